/* fuzz_nl80211: libFuzzer harness for the nl80211 reply parsers (agent/nl80211parse.c), which
 * read whatever the kernel's generic netlink hands the agent on a Wi-Fi path.
 *
 * Every input goes to both vr_nl80211_parse_iface() and vr_nl80211_parse_station(). Properties:
 *  - each returns 0, VR_ETRUNC or VR_EINVAL, without reading past the input (ASan);
 *  - VR_ETRUNC exactly when the input is shorter than the headers or than its nlmsg_len;
 *  - on success the SSID is at most 32 octets, and vr_nl80211_format_ssid() of it fits
 *    VR_WIFI_SSID_LEN, reports the length it wrote, and writes no control character;
 *  - a message accepted for one command is refused for the other (the command byte differs).
 * A broken property calls abort(), so libFuzzer keeps the input as a crash.
 *
 * Built three ways, like fuzz_probe.c: fuzz_nl80211 (clang, -fsanitize=fuzzer), the replay
 * (with replay.c: each file of the given directories once, any compiler) and the seed
 * generator (-DVR_FUZZ_GEN DIR: messages laid out as net/wireless/nl80211.c sends them). */
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "nl80211parse.h"

#define SSID_TEXT_LEN (4 * VR_NL80211_SSID_MAX + 1) /* wifi.h's VR_WIFI_SSID_LEN */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int truncated(const uint8_t *data, size_t size)
{
    uint32_t nlmsg_len;
    if (size < 20)
        return 1;
    memcpy(&nlmsg_len, data, sizeof(nlmsg_len));
    return nlmsg_len > size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_nl80211_iface i;
    struct vr_nl80211_station s;
    int ri = vr_nl80211_parse_iface(data, size, &i);
    int rs = vr_nl80211_parse_station(data, size, &s);

    check(ri == 0 || ri == VR_ETRUNC || ri == VR_EINVAL);
    check(rs == 0 || rs == VR_ETRUNC || rs == VR_EINVAL);
    check((ri == VR_ETRUNC) == truncated(data, size));
    check((rs == VR_ETRUNC) == truncated(data, size));
    check(!(ri == 0 && rs == 0));
    if (ri == 0) {
        char text[SSID_TEXT_LEN];
        size_t n;
        check(i.ssid_len <= VR_NL80211_SSID_MAX);
        check(i.has_ssid || i.ssid_len == 0);
        n = vr_nl80211_format_ssid(i.ssid, i.ssid_len, text, sizeof(text));
        check(n < sizeof(text) && strlen(text) == n);
        for (size_t k = 0; k < n; k++)
            check((unsigned char)text[k] >= 0x20 && text[k] != 0x7f);
    }
    return 0;
}

#if defined(VR_FUZZ_GEN)
#include <linux/genetlink.h>
#include <stdio.h>

struct mb {
    uint8_t buf[1024];
    size_t len;
};

static void put(struct mb *m, const void *p, size_t n)
{
    if (m->len + n > sizeof(m->buf))
        abort();
    memcpy(m->buf + m->len, p, n);
    m->len += n;
}

static void start(struct mb *m, uint8_t cmd)
{
    struct nlmsghdr h = {0, 0x1c, NLM_F_MULTI, 1, 4242};
    struct genlmsghdr g = {cmd, 1, 0};
    m->len = 0;
    put(m, &h, sizeof(h));
    put(m, &g, sizeof(g));
}

static void attr(struct mb *m, uint16_t type, const void *data, size_t n)
{
    static const uint8_t pad[4] = {0};
    struct nlattr a = {(uint16_t)(NLA_HDRLEN + n), type};
    put(m, &a, sizeof(a));
    put(m, data, n);
    put(m, pad, NLA_ALIGN(n) - n);
}

static void u32(struct mb *m, uint16_t type, uint32_t v)
{
    attr(m, type, &v, 4);
}

static void u8(struct mb *m, uint16_t type, uint8_t v)
{
    attr(m, type, &v, 1);
}

static size_t nest(struct mb *m, uint16_t type)
{
    size_t off = m->len;
    struct nlattr a = {0, type};
    put(m, &a, sizeof(a));
    return off;
}

static void nest_end(struct mb *m, size_t off)
{
    uint16_t n = (uint16_t)(m->len - off);
    memcpy(m->buf + off, &n, 2);
}

static void end(struct mb *m)
{
    uint32_t n = (uint32_t)m->len;
    memcpy(m->buf, &n, 4);
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_nl80211_gen: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const uint8_t mac[6] = {0x3c, 0x37, 0x86, 0x12, 0x9a, 0x01};
    struct mb m;
    uint16_t br16 = 4333;
    size_t a, b;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_nl80211_gen DIR\n");
        return 2;
    }
    start(&m, NL80211_CMD_NEW_INTERFACE);
    u32(&m, NL80211_ATTR_IFINDEX, 3);
    attr(&m, NL80211_ATTR_IFNAME, "wlan0", 6);
    u32(&m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION);
    u32(&m, NL80211_ATTR_WIPHY_FREQ, 5180);
    u32(&m, NL80211_ATTR_CHANNEL_WIDTH, NL80211_CHAN_WIDTH_80);
    attr(&m, NL80211_ATTR_SSID, "corp-5g", 7);
    end(&m);
    rc |= write_file(argv[1], "iface-associated", m.buf, m.len);
    rc |= write_file(argv[1], "iface-truncated", m.buf, m.len - 5);

    start(&m, NL80211_CMD_NEW_INTERFACE);
    u32(&m, NL80211_ATTR_IFINDEX, 3);
    u32(&m, NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION);
    end(&m);
    rc |= write_file(argv[1], "iface-idle", m.buf, m.len);

    start(&m, NL80211_CMD_NEW_INTERFACE);
    attr(&m, NL80211_ATTR_SSID, "caf\xc3\xa9\\\x01\xff", 8);
    a = nest(&m, NL80211_ATTR_MLO_LINKS);
    b = nest(&m, 1);
    u8(&m, NL80211_ATTR_MLO_LINK_ID, 0);
    u32(&m, NL80211_ATTR_WIPHY_FREQ, 5955);
    nest_end(&m, b);
    nest_end(&m, a);
    end(&m);
    rc |= write_file(argv[1], "iface-mlo-odd-ssid", m.buf, m.len);

    start(&m, NL80211_CMD_NEW_STATION);
    u32(&m, NL80211_ATTR_IFINDEX, 3);
    attr(&m, NL80211_ATTR_MAC, mac, sizeof(mac));
    a = nest(&m, NL80211_ATTR_STA_INFO);
    u8(&m, NL80211_STA_INFO_SIGNAL, (uint8_t)-61);
    u8(&m, NL80211_STA_INFO_SIGNAL_AVG, (uint8_t)-60);
    b = nest(&m, NL80211_STA_INFO_TX_BITRATE);
    u32(&m, NL80211_RATE_INFO_BITRATE32, 4333);
    attr(&m, NL80211_RATE_INFO_BITRATE, &br16, 2);
    u8(&m, NL80211_RATE_INFO_VHT_MCS, 9);
    nest_end(&m, b);
    nest_end(&m, a);
    end(&m);
    rc |= write_file(argv[1], "station", m.buf, m.len);
    m.buf[20] = 2; /* IFINDEX's nla_len below its header */
    rc |= write_file(argv[1], "station-bad-attr-len", m.buf, m.len);

    start(&m, NL80211_CMD_NEW_STATION);
    a = nest(&m, NL80211_ATTR_STA_INFO | NLA_F_NESTED);
    b = nest(&m, NL80211_STA_INFO_TX_BITRATE | NLA_F_NESTED);
    attr(&m, NL80211_RATE_INFO_BITRATE, &br16, 2);
    nest_end(&m, b);
    nest_end(&m, a);
    end(&m);
    rc |= write_file(argv[1], "station-rate16-nested-flag", m.buf, m.len);
    return rc;
}
#endif
