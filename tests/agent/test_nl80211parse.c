/* nl80211parse.h: nl80211 replies built here byte for byte as the kernel sends them
 * (net/wireless/nl80211.c: nl80211_send_iface, nl80211_send_station) — no Wi-Fi hardware
 * exists on the test machines — then broken in every way a length can be wrong. The library is
 * included before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "link.h"
#include "nl80211parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FAMILY_ID 0x1c /* what genl_ctrl_resolve("nl80211") returned on a test laptop */

/* ---- a netlink message builder --------------------------------------------------------------- */

struct mb {
    uint8_t buf[2048];
    size_t len;
};

static void put_bytes(struct mb *m, const void *p, size_t n)
{
    assert_true(m->len + n <= sizeof(m->buf));
    if (n > 0) /* a flag attribute has no payload (and p may be NULL) */
        memcpy(m->buf + m->len, p, n);
    m->len += n;
}

static void put_u16_at(struct mb *m, size_t off, uint16_t v)
{
    memcpy(m->buf + off, &v, sizeof(v));
}

static void put_u32_at(struct mb *m, size_t off, uint32_t v)
{
    memcpy(m->buf + off, &v, sizeof(v));
}

/* nlmsghdr + genlmsghdr; flags NLM_F_MULTI as in a dump */
static void mb_start(struct mb *m, uint8_t cmd)
{
    struct nlmsghdr h = {0, FAMILY_ID, NLM_F_MULTI, 1795788300, 4242};
    struct genlmsghdr g = {cmd, 1, 0};
    memset(m, 0, sizeof(*m));
    put_bytes(m, &h, sizeof(h));
    put_bytes(m, &g, sizeof(g));
}

static void mb_attr(struct mb *m, uint16_t type, const void *data, size_t n)
{
    struct nlattr a = {(uint16_t)(NLA_HDRLEN + n), type};
    static const uint8_t pad[4] = {0};
    put_bytes(m, &a, sizeof(a));
    put_bytes(m, data, n);
    put_bytes(m, pad, NLA_ALIGN(n) - n);
}

static void mb_u8(struct mb *m, uint16_t type, uint8_t v)
{
    mb_attr(m, type, &v, 1);
}

static void mb_u16(struct mb *m, uint16_t type, uint16_t v)
{
    mb_attr(m, type, &v, 2);
}

static void mb_u32(struct mb *m, uint16_t type, uint32_t v)
{
    mb_attr(m, type, &v, 4);
}

static void mb_u64(struct mb *m, uint16_t type, uint64_t v)
{
    mb_attr(m, type, &v, 8);
}

static void mb_flag(struct mb *m, uint16_t type)
{
    mb_attr(m, type, NULL, 0);
}

/* nla_nest_start_noflag(): nl80211 sends its nests without NLA_F_NESTED */
static size_t mb_nest(struct mb *m, uint16_t type)
{
    size_t off = m->len;
    struct nlattr a = {0, type};
    put_bytes(m, &a, sizeof(a));
    return off;
}

static void mb_nest_end(struct mb *m, size_t off)
{
    put_u16_at(m, off, (uint16_t)(m->len - off));
}

static void mb_end(struct mb *m)
{
    put_u32_at(m, 0, (uint32_t)m->len);
}

static const uint8_t ap_mac[6] = {0x3c, 0x37, 0x86, 0x12, 0x9a, 0x01};

/* NL80211_CMD_NEW_INTERFACE for a station associated to "corp-5g" on channel 36, 80 MHz. */
static void build_iface(struct mb *m, bool associated)
{
    static const uint8_t own_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00};
    mb_start(m, NL80211_CMD_NEW_INTERFACE);
    mb_u32(m, NL80211_ATTR_IFINDEX, 3);
    mb_attr(m, NL80211_ATTR_IFNAME, "wlan0", 6);
    mb_u32(m, NL80211_ATTR_WIPHY, 0);
    mb_u32(m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION);
    mb_u64(m, NL80211_ATTR_WDEV, 1);
    mb_attr(m, NL80211_ATTR_MAC, own_mac, sizeof(own_mac));
    mb_u32(m, NL80211_ATTR_GENERATION, 7);
    mb_u8(m, NL80211_ATTR_4ADDR, 0);
    if (associated) {
        mb_u32(m, NL80211_ATTR_WIPHY_FREQ, 5180);
        mb_u32(m, NL80211_ATTR_WIPHY_FREQ_OFFSET, 0);
        mb_u32(m, NL80211_ATTR_CHANNEL_WIDTH, NL80211_CHAN_WIDTH_80);
        mb_u32(m, NL80211_ATTR_CENTER_FREQ1, 5210);
        mb_u32(m, NL80211_ATTR_WIPHY_TX_POWER_LEVEL, 2000);
        mb_attr(m, NL80211_ATTR_SSID, "corp-5g", 7);
    }
    mb_end(m);
}

/* One NL80211_CMD_NEW_STATION of a GET_STATION dump: the access point, -61 dBm, VHT MCS 9 2SS
 * 80 MHz short GI = 866.7 Mbit/s received, 433.3 Mbit/s sent. */
static void build_station(struct mb *m, bool with_rate16, bool nested_flag)
{
    uint16_t nf = nested_flag ? NLA_F_NESTED : 0;
    mb_start(m, NL80211_CMD_NEW_STATION);
    mb_u32(m, NL80211_ATTR_IFINDEX, 3);
    mb_attr(m, NL80211_ATTR_MAC, ap_mac, sizeof(ap_mac));
    mb_u32(m, NL80211_ATTR_GENERATION, 7);
    size_t info = mb_nest(m, NL80211_ATTR_STA_INFO | nf);
    mb_u32(m, NL80211_STA_INFO_INACTIVE_TIME, 40);
    mb_u64(m, NL80211_STA_INFO_RX_BYTES64, 123456789);
    mb_u64(m, NL80211_STA_INFO_TX_BYTES64, 23456789);
    mb_u8(m, NL80211_STA_INFO_SIGNAL, (uint8_t)-61);
    mb_u8(m, NL80211_STA_INFO_SIGNAL_AVG, (uint8_t)-60);
    size_t chain = mb_nest(m, NL80211_STA_INFO_CHAIN_SIGNAL | nf);
    mb_u8(m, 0, (uint8_t)-63);
    mb_u8(m, 1, (uint8_t)-64);
    mb_nest_end(m, chain);
    size_t tx = mb_nest(m, NL80211_STA_INFO_TX_BITRATE | nf);
    mb_u32(m, NL80211_RATE_INFO_BITRATE32, 4333);
    if (with_rate16)
        mb_u16(m, NL80211_RATE_INFO_BITRATE, 4333);
    mb_u8(m, NL80211_RATE_INFO_VHT_MCS, 9);
    mb_u8(m, NL80211_RATE_INFO_VHT_NSS, 1);
    mb_flag(m, NL80211_RATE_INFO_80_MHZ_WIDTH);
    mb_flag(m, NL80211_RATE_INFO_SHORT_GI);
    mb_nest_end(m, tx);
    size_t rx = mb_nest(m, NL80211_STA_INFO_RX_BITRATE | nf);
    mb_u32(m, NL80211_RATE_INFO_BITRATE32, 8667);
    mb_u16(m, NL80211_RATE_INFO_BITRATE, 8667);
    mb_nest_end(m, rx);
    mb_u32(m, NL80211_STA_INFO_TX_PACKETS, 5000);
    mb_u32(m, NL80211_STA_INFO_CONNECTED_TIME, 3600);
    mb_nest_end(m, info);
    mb_end(m);
}

/* ---- well-formed messages ------------------------------------------------------------------ */

static void test_parse_iface_associated(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    build_iface(&m, true);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    assert_int_equal(i.ifindex, 3);
    assert_int_equal(i.iftype, NL80211_IFTYPE_STATION);
    assert_int_equal(i.freq_mhz, 5180);
    assert_true(i.has_ssid);
    assert_int_equal(i.ssid_len, 7);
    assert_memory_equal(i.ssid, "corp-5g", 7);
}

static void test_parse_iface_not_associated(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    build_iface(&m, false);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    assert_int_equal(i.ifindex, 3);
    assert_false(i.has_ssid);
    assert_int_equal(i.freq_mhz, 0);
}

static void test_parse_iface_mlo_link_frequency(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    mb_u32(&m, NL80211_ATTR_IFINDEX, 5);
    mb_u32(&m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION);
    mb_attr(&m, NL80211_ATTR_SSID, "mlo", 3);
    size_t links = mb_nest(&m, NL80211_ATTR_MLO_LINKS);
    size_t l0 = mb_nest(&m, 1);
    mb_u8(&m, NL80211_ATTR_MLO_LINK_ID, 0);
    mb_attr(&m, NL80211_ATTR_MAC, ap_mac, sizeof(ap_mac));
    mb_u32(&m, NL80211_ATTR_WIPHY_FREQ, 5955);
    mb_nest_end(&m, l0);
    size_t l1 = mb_nest(&m, 2);
    mb_u8(&m, NL80211_ATTR_MLO_LINK_ID, 1);
    mb_u32(&m, NL80211_ATTR_WIPHY_FREQ, 5180);
    mb_nest_end(&m, l1);
    mb_nest_end(&m, links);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    assert_int_equal(i.freq_mhz, 5955);
}

static void test_parse_station_managed(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    build_station(&m, true, false);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_int_equal(s.ifindex, 3);
    assert_true(s.has_mac);
    assert_memory_equal(s.mac, ap_mac, 6);
    assert_true(s.has_signal);
    assert_int_equal(s.signal_dbm, -61);
    assert_true(s.has_signal_avg);
    assert_int_equal(s.signal_avg_dbm, -60);
    assert_int_equal(s.tx_bitrate_100kbps, 4333); /* TX, not the RX rate that follows */
}

static void test_parse_station_nested_flag_accepted(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    build_station(&m, true, true);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_int_equal(s.signal_dbm, -61);
    assert_int_equal(s.tx_bitrate_100kbps, 4333);
}

static void test_parse_station_bitrate32_beyond_u16(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    /* the kernel omits the u16 BITRATE above 6553.5 Mbit/s (Wi-Fi 7) */
    mb_start(&m, NL80211_CMD_NEW_STATION);
    size_t info = mb_nest(&m, NL80211_ATTR_STA_INFO);
    size_t tx = mb_nest(&m, NL80211_STA_INFO_TX_BITRATE);
    mb_u32(&m, NL80211_RATE_INFO_BITRATE32, 86480);
    mb_nest_end(&m, tx);
    mb_nest_end(&m, info);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_int_equal(s.tx_bitrate_100kbps, 86480);
    assert_false(s.has_signal);
}

static void test_parse_station_bitrate16_only(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    /* kernels before 3.x sent only the u16 */
    mb_start(&m, NL80211_CMD_NEW_STATION);
    size_t info = mb_nest(&m, NL80211_ATTR_STA_INFO);
    mb_u8(&m, NL80211_STA_INFO_SIGNAL, (uint8_t)-82);
    size_t tx = mb_nest(&m, NL80211_STA_INFO_TX_BITRATE);
    mb_u16(&m, NL80211_RATE_INFO_BITRATE, 540);
    mb_nest_end(&m, tx);
    mb_nest_end(&m, info);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_int_equal(s.tx_bitrate_100kbps, 540);
    assert_int_equal(s.signal_dbm, -82);
}

static void test_parse_station_missing_attrs(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    struct vr_wifi w;
    mb_start(&m, NL80211_CMD_NEW_STATION);
    mb_u32(&m, NL80211_ATTR_IFINDEX, 3);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_false(s.has_mac);
    assert_false(s.has_signal);
    assert_int_equal(s.tx_bitrate_100kbps, 0);
    vr_wifi_from_nl80211(NULL, &s, &w);
    assert_false(w.has_signal);
    assert_true(w.tx_bitrate_mbps < 0);
}

static void test_parse_ignores_bytes_after_message(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    build_station(&m, true, false);
    size_t one = m.len;
    /* a dump packs several messages in one read; the parser takes the first's nlmsg_len */
    put_bytes(&m, m.buf, one);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    assert_int_equal(s.signal_dbm, -61);
}

static void test_parse_last_duplicate_wins_unknown_skipped(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    mb_u32(&m, NL80211_ATTR_WIPHY_FREQ, 2412);
    mb_attr(&m, 0x3ff0, "future attribute", 16);
    mb_u32(&m, NL80211_ATTR_WIPHY_FREQ, 2437);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    assert_int_equal(i.freq_mhz, 2437);
}

static void test_parse_last_attribute_without_padding(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    /* an odd-length SSID last, without the pad byte that would align the end */
    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    mb_u32(&m, NL80211_ATTR_IFINDEX, 3);
    mb_attr(&m, NL80211_ATTR_SSID, "corp-5g", 7);
    m.len -= 1;
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    assert_int_equal(i.ssid_len, 7);
}

/* ---- malformed messages -------------------------------------------------------------------- */

static void test_parse_every_truncation_is_etrunc(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    struct vr_nl80211_iface i;
    build_station(&m, true, false);
    for (size_t n = 0; n < m.len; n++) {
        /* an exact-size copy so that ASan sees any read past n */
        uint8_t *cut = malloc(n > 0 ? n : 1);
        assert_non_null(cut);
        memcpy(cut, m.buf, n);
        assert_int_equal(vr_nl80211_parse_station(cut, n, &s), VR_ETRUNC);
        free(cut);
    }
    build_iface(&m, true);
    for (size_t n = 0; n < m.len; n++)
        assert_int_equal(vr_nl80211_parse_iface(m.buf, n, &i), VR_ETRUNC);
    assert_int_equal(vr_nl80211_parse_iface(NULL, 64, &i), VR_ETRUNC);
}

static void test_parse_rejects_bad_header_lengths(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    build_station(&m, true, false);
    put_u32_at(&m, 0, 19); /* shorter than nlmsghdr + genlmsghdr */
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
    put_u32_at(&m, 0, (uint32_t)m.len + 4);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_ETRUNC);
    put_u32_at(&m, 0, UINT32_MAX);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_ETRUNC);
}

static void test_parse_rejects_wrong_command(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    struct vr_nl80211_iface i;
    build_iface(&m, true);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
    build_station(&m, true, false);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), VR_EINVAL);
}

/* Attribute offsets inside build_station's message: the first attribute (IFINDEX) is at 20. */
static void test_parse_rejects_bad_attribute_lengths(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    static const uint16_t bad[] = {0, 1, 3, 0xffff};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        build_station(&m, true, false);
        put_u16_at(&m, 20, bad[k]);
        assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
    }
    /* the nest claims more than the message holds */
    build_station(&m, true, false);
    size_t info = 20 + 8 + 12 + 8; /* IFINDEX, MAC, GENERATION */
    uint16_t type;
    memcpy(&type, m.buf + info + 2, 2);
    assert_int_equal(type, NL80211_ATTR_STA_INFO);
    put_u16_at(&m, info, (uint16_t)(m.len - info + 4));
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
}

static void test_parse_rejects_bad_nested_lengths(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_station s;
    /* a rate whose inner attribute runs past the TX_BITRATE nest, still inside STA_INFO */
    mb_start(&m, NL80211_CMD_NEW_STATION);
    size_t info = mb_nest(&m, NL80211_ATTR_STA_INFO);
    size_t tx = mb_nest(&m, NL80211_STA_INFO_TX_BITRATE);
    size_t inner = m.len;
    mb_u32(&m, NL80211_RATE_INFO_BITRATE32, 4333);
    mb_nest_end(&m, tx);
    mb_u32(&m, NL80211_STA_INFO_TX_PACKETS, 5000);
    mb_nest_end(&m, info);
    mb_end(&m);
    put_u16_at(&m, inner, 16);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
    /* an MLO link whose attribute overruns the link */
    struct vr_nl80211_iface i;
    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    size_t links = mb_nest(&m, NL80211_ATTR_MLO_LINKS);
    size_t l0 = mb_nest(&m, 1);
    size_t f = m.len;
    mb_u32(&m, NL80211_ATTR_WIPHY_FREQ, 5955);
    mb_nest_end(&m, l0);
    mb_nest_end(&m, links);
    mb_end(&m);
    put_u16_at(&m, f, 12);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), VR_EINVAL);
}

static void test_parse_rejects_short_payloads(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    struct vr_nl80211_station s;
    uint8_t big[33] = {0};

    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    mb_u16(&m, NL80211_ATTR_WIPHY_FREQ, 5180); /* a u32 in 2 bytes */
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), VR_EINVAL);

    mb_start(&m, NL80211_CMD_NEW_INTERFACE);
    mb_attr(&m, NL80211_ATTR_SSID, big, sizeof(big)); /* 33 octets */
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), VR_EINVAL);

    mb_start(&m, NL80211_CMD_NEW_STATION);
    mb_attr(&m, NL80211_ATTR_MAC, ap_mac, 5);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);

    mb_start(&m, NL80211_CMD_NEW_STATION);
    size_t info = mb_nest(&m, NL80211_ATTR_STA_INFO);
    mb_flag(&m, NL80211_STA_INFO_SIGNAL); /* a u8 with no byte */
    mb_nest_end(&m, info);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);

    mb_start(&m, NL80211_CMD_NEW_STATION);
    info = mb_nest(&m, NL80211_ATTR_STA_INFO);
    size_t tx = mb_nest(&m, NL80211_STA_INFO_TX_BITRATE);
    mb_u8(&m, NL80211_RATE_INFO_BITRATE, 54); /* a u16 in 1 byte */
    mb_nest_end(&m, tx);
    mb_nest_end(&m, info);
    mb_end(&m);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), VR_EINVAL);
}

/* ---- to struct vr_wifi --------------------------------------------------------------------- */

static void test_wifi_from_nl80211_combines(void **state)
{
    (void)state;
    struct mb m;
    struct vr_nl80211_iface i;
    struct vr_nl80211_station s;
    struct vr_wifi w;
    build_iface(&m, true);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    build_station(&m, false, false);
    assert_int_equal(vr_nl80211_parse_station(m.buf, m.len, &s), 0);
    vr_wifi_from_nl80211(&i, &s, &w);
    assert_string_equal(w.ssid, "corp-5g");
    assert_true(w.has_signal);
    assert_int_equal(w.signal_dbm, -61);
    assert_true(w.tx_bitrate_mbps > 433.29 && w.tx_bitrate_mbps < 433.31);
    assert_int_equal(w.freq_mhz, 5180);
    assert_string_equal(vr_wifi_band(w.freq_mhz), "5GHz");

    /* only the average: use it */
    s.has_signal = false;
    vr_wifi_from_nl80211(&i, &s, &w);
    assert_int_equal(w.signal_dbm, -60);
    /* not associated: nothing but what the interface says */
    build_iface(&m, false);
    assert_int_equal(vr_nl80211_parse_iface(m.buf, m.len, &i), 0);
    vr_wifi_from_nl80211(&i, NULL, &w);
    assert_string_equal(w.ssid, "");
    assert_false(w.has_signal);
    assert_int_equal(w.freq_mhz, 0);
}

/* ---- SSID formatting ----------------------------------------------------------------------- */

static void expect_ssid(const char *raw, size_t n, const char *want)
{
    char out[VR_WIFI_SSID_LEN];
    size_t need = vr_nl80211_format_ssid((const uint8_t *)raw, n, out, sizeof(out));
    assert_string_equal(out, want);
    assert_int_equal(need, strlen(want));
    /* jansson refuses invalid UTF-8: the result must be a valid JSON string */
    json_t *j = json_string(out);
    assert_non_null(j);
    json_decref(j);
}

static void test_format_ssid_escapes(void **state)
{
    (void)state;
    expect_ssid("corp-5g", 7, "corp-5g");
    expect_ssid("caf\xc3\xa9 \xe2\x98\x95", 9, "caf\xc3\xa9 \xe2\x98\x95"); /* café ☕ */
    expect_ssid("a\0b", 3, "a\\x00b");
    expect_ssid("back\\slash", 10, "back\\x5cslash");
    expect_ssid("\x1b[31m", 5, "\\x1b[31m");
    expect_ssid("\x7f", 1, "\\x7f");
    expect_ssid("\xff\xfe", 2, "\\xff\\xfe");
    expect_ssid("end\xc3", 4, "end\\xc3");                      /* cut sequence */
    expect_ssid("\xc0\x80", 2, "\\xc0\\x80");                   /* overlong NUL */
    expect_ssid("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* surrogate */
    expect_ssid("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
    expect_ssid("\xc2\x85", 2, "\\xc2\\x85");                   /* C1 control NEL */
    expect_ssid("", 0, "");
}

static void test_format_ssid_worst_case_fits(void **state)
{
    (void)state;
    uint8_t raw[VR_NL80211_SSID_MAX];
    char out[VR_WIFI_SSID_LEN];
    memset(raw, 0xff, sizeof(raw));
    assert_int_equal(vr_nl80211_format_ssid(raw, sizeof(raw), out, sizeof(out)), 128);
    assert_int_equal(strlen(out), 128);
    /* more than 32 octets is never read */
    uint8_t more[40];
    memset(more, 'a', sizeof(more));
    assert_int_equal(vr_nl80211_format_ssid(more, sizeof(more), out, sizeof(out)), 32);
}

static void test_format_ssid_truncates_whole_sequences(void **state)
{
    (void)state;
    char out[6];
    /* "ab" + é (2 bytes) + \x01 (4 chars): room for 5 characters */
    size_t need = vr_nl80211_format_ssid((const uint8_t *)"ab\xc3\xa9\x01", 5, out, sizeof(out));
    assert_int_equal(need, 8);
    assert_string_equal(out, "ab\xc3\xa9");
    need = vr_nl80211_format_ssid((const uint8_t *)"abcd\xc3\xa9", 6, out, sizeof(out));
    assert_string_equal(out, "abcd");                        /* é would not fit whole */
    vr_nl80211_format_ssid((const uint8_t *)"a", 1, out, 0); /* no write at all */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_iface_associated),
        cmocka_unit_test(test_parse_iface_not_associated),
        cmocka_unit_test(test_parse_iface_mlo_link_frequency),
        cmocka_unit_test(test_parse_station_managed),
        cmocka_unit_test(test_parse_station_nested_flag_accepted),
        cmocka_unit_test(test_parse_station_bitrate32_beyond_u16),
        cmocka_unit_test(test_parse_station_bitrate16_only),
        cmocka_unit_test(test_parse_station_missing_attrs),
        cmocka_unit_test(test_parse_ignores_bytes_after_message),
        cmocka_unit_test(test_parse_last_duplicate_wins_unknown_skipped),
        cmocka_unit_test(test_parse_last_attribute_without_padding),
        cmocka_unit_test(test_parse_every_truncation_is_etrunc),
        cmocka_unit_test(test_parse_rejects_bad_header_lengths),
        cmocka_unit_test(test_parse_rejects_wrong_command),
        cmocka_unit_test(test_parse_rejects_bad_attribute_lengths),
        cmocka_unit_test(test_parse_rejects_bad_nested_lengths),
        cmocka_unit_test(test_parse_rejects_short_payloads),
        cmocka_unit_test(test_wifi_from_nl80211_combines),
        cmocka_unit_test(test_format_ssid_escapes),
        cmocka_unit_test(test_format_ssid_worst_case_fits),
        cmocka_unit_test(test_format_ssid_truncates_whole_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
