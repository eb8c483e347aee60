/* nl80211parse: nl80211 replies from raw bytes; see nl80211parse.h. */
#include "nl80211parse.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <string.h>

/* struct nlmsghdr is 16 bytes and struct genlmsghdr 4; read by offset, never cast (STYLE.md) */
#define NLMSG_HDR_LEN 16u
#define GENL_HDR_LEN  4u
#define NLA_HDR_LEN   4u
#define ALIGN4(n)     (((n) + 3u) & ~(size_t)3u)

static uint16_t get_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* An attribute stream: a run of struct nlattr, each 4-aligned. */
struct attrs {
    const uint8_t *p;
    size_t left;
};

/* Next attribute: 1 with *type (flags masked off), *data and *len set; 0 at the end; VR_EINVAL
 * when a header's length is below the header or beyond what is left. Fewer than 4 bytes left
 * over is padding, as libnl's nla_ok() treats it. */
static int next_attr(struct attrs *a, uint16_t *type, const uint8_t **data, size_t *len)
{
    size_t nla_len, step;

    if (a->left < NLA_HDR_LEN)
        return 0;
    nla_len = get_u16(a->p);
    if (nla_len < NLA_HDR_LEN || nla_len > a->left)
        return VR_EINVAL;
    *type = (uint16_t)(get_u16(a->p + 2) & NLA_TYPE_MASK);
    *data = a->p + NLA_HDR_LEN;
    *len = nla_len - NLA_HDR_LEN;
    step = ALIGN4(nla_len);
    if (step > a->left)
        step = a->left; /* the last attribute may omit its padding */
    a->p += step;
    a->left -= step;
    return 1;
}

/* Checks the headers and positions a at the message's attributes. */
static int open_msg(const void *msg, size_t len, uint8_t want_cmd, struct attrs *a)
{
    const uint8_t *p = msg;
    uint32_t nlmsg_len;

    if (msg == NULL || len < NLMSG_HDR_LEN + GENL_HDR_LEN)
        return VR_ETRUNC;
    nlmsg_len = get_u32(p);
    if (nlmsg_len > len)
        return VR_ETRUNC;
    if (nlmsg_len < NLMSG_HDR_LEN + GENL_HDR_LEN)
        return VR_EINVAL;
    if (p[NLMSG_HDR_LEN] != want_cmd) /* genlmsghdr.cmd */
        return VR_EINVAL;
    a->p = p + NLMSG_HDR_LEN + GENL_HDR_LEN;
    a->left = nlmsg_len - NLMSG_HDR_LEN - GENL_HDR_LEN;
    return 0;
}

static int need_u32(const uint8_t *data, size_t len, uint32_t *out)
{
    if (len < 4)
        return VR_EINVAL;
    *out = get_u32(data);
    return 0;
}

/* NL80211_ATTR_MLO_LINKS: an array of nested links; the first link with a frequency gives it. */
static int mlo_first_freq(const uint8_t *data, size_t len, uint32_t *freq)
{
    struct attrs links = {data, len};
    const uint8_t *ld, *d;
    size_t ln, n;
    uint16_t ltype, type;
    int rc;

    while ((rc = next_attr(&links, &ltype, &ld, &ln)) > 0) {
        struct attrs link = {ld, ln};
        while ((rc = next_attr(&link, &type, &d, &n)) > 0) {
            uint32_t f;
            if (type != NL80211_ATTR_WIPHY_FREQ)
                continue;
            if (need_u32(d, n, &f) < 0)
                return VR_EINVAL;
            if (*freq == 0)
                *freq = f;
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

int vr_nl80211_parse_iface(const void *msg, size_t len, struct vr_nl80211_iface *out)
{
    struct attrs a;
    const uint8_t *d, *mlo = NULL;
    size_t n, mlo_len = 0;
    uint16_t type;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = open_msg(msg, len, NL80211_CMD_NEW_INTERFACE, &a);
    if (rc < 0)
        return rc;
    while ((rc = next_attr(&a, &type, &d, &n)) > 0) {
        switch (type) {
        case NL80211_ATTR_IFINDEX:
            rc = need_u32(d, n, &out->ifindex);
            break;
        case NL80211_ATTR_IFTYPE:
            rc = need_u32(d, n, &out->iftype);
            break;
        case NL80211_ATTR_WIPHY_FREQ:
            rc = need_u32(d, n, &out->freq_mhz);
            break;
        case NL80211_ATTR_SSID:
            if (n > VR_NL80211_SSID_MAX)
                return VR_EINVAL;
            memcpy(out->ssid, d, n);
            out->ssid_len = n;
            out->has_ssid = true;
            break;
        case NL80211_ATTR_MLO_LINKS:
            mlo = d;
            mlo_len = n;
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    /* an MLO association has its channels per link, not at the top level (Linux 6.1+) */
    if (mlo != NULL) {
        uint32_t f = 0;
        rc = mlo_first_freq(mlo, mlo_len, &f);
        if (rc < 0)
            return rc;
        if (out->freq_mhz == 0)
            out->freq_mhz = f;
    }
    return 0;
}

/* NL80211_STA_INFO_TX_BITRATE: nested NL80211_RATE_INFO_*; BITRATE32 exists because the u16
 * BITRATE overflows past 6.5 Gbit/s, so it wins when both are present. */
static int parse_rate(const uint8_t *data, size_t len, uint32_t *rate_100kbps)
{
    struct attrs a = {data, len};
    const uint8_t *d;
    size_t n;
    uint16_t type;
    uint32_t r32 = 0, r16 = 0;
    int rc;

    while ((rc = next_attr(&a, &type, &d, &n)) > 0) {
        if (type == NL80211_RATE_INFO_BITRATE32) {
            if (need_u32(d, n, &r32) < 0)
                return VR_EINVAL;
        } else if (type == NL80211_RATE_INFO_BITRATE) {
            if (n < 2)
                return VR_EINVAL;
            r16 = get_u16(d);
        } else if (type == NL80211_RATE_INFO_MCS || type == NL80211_RATE_INFO_VHT_MCS ||
                   type == NL80211_RATE_INFO_VHT_NSS) {
            if (n < 1)
                return VR_EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    *rate_100kbps = r32 != 0 ? r32 : r16;
    return 0;
}

static int parse_sta_info(const uint8_t *data, size_t len, struct vr_nl80211_station *out)
{
    struct attrs a = {data, len};
    const uint8_t *d;
    size_t n;
    uint16_t type;
    int rc;

    while ((rc = next_attr(&a, &type, &d, &n)) > 0) {
        switch (type) {
        case NL80211_STA_INFO_SIGNAL:
        case NL80211_STA_INFO_SIGNAL_AVG:
            if (n < 1)
                return VR_EINVAL;
            /* a u8 carrying an s8 dBm value (net/wireless/nl80211.c, PUT_SINFO(SIGNAL, u8)) */
            if (type == NL80211_STA_INFO_SIGNAL) {
                out->signal_dbm = (int8_t)d[0];
                out->has_signal = true;
            } else {
                out->signal_avg_dbm = (int8_t)d[0];
                out->has_signal_avg = true;
            }
            break;
        case NL80211_STA_INFO_TX_BITRATE:
            rc = parse_rate(d, n, &out->tx_bitrate_100kbps);
            if (rc < 0)
                return rc;
            break;
        default:
            break;
        }
    }
    return rc;
}

int vr_nl80211_parse_station(const void *msg, size_t len, struct vr_nl80211_station *out)
{
    struct attrs a;
    const uint8_t *d;
    size_t n;
    uint16_t type;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = open_msg(msg, len, NL80211_CMD_NEW_STATION, &a);
    if (rc < 0)
        return rc;
    while ((rc = next_attr(&a, &type, &d, &n)) > 0) {
        switch (type) {
        case NL80211_ATTR_IFINDEX:
            rc = need_u32(d, n, &out->ifindex);
            break;
        case NL80211_ATTR_MAC:
            if (n != sizeof(out->mac))
                return VR_EINVAL;
            memcpy(out->mac, d, sizeof(out->mac));
            out->has_mac = true;
            break;
        case NL80211_ATTR_STA_INFO:
            /* last one counts: start it afresh */
            out->has_signal = out->has_signal_avg = false;
            out->signal_dbm = out->signal_avg_dbm = 0;
            out->tx_bitrate_100kbps = 0;
            rc = parse_sta_info(d, n, out);
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    return rc < 0 ? rc : 0;
}

/* Length of the valid UTF-8 sequence at p (left bytes available), or 0 (RFC 3629 §4). */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c >= 0x20 && c < 0x7f)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0; /* controls, DEL, continuation bytes, overlong leads, > U+10FFFF */
    if (n > left)
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* beyond U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    if (c == 0xc2 && p[1] <= 0x9f)
        return 0; /* C1 control characters U+0080..U+009F */
    return n;
}

size_t vr_nl80211_format_ssid(const uint8_t *ssid, size_t ssid_len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t need = 0;

    if (ssid_len > VR_NL80211_SSID_MAX)
        ssid_len = VR_NL80211_SSID_MAX;
    for (size_t i = 0; i < ssid_len;) {
        size_t n = ssid[i] == '\\' ? 0 : utf8_seq(ssid + i, ssid_len - i);
        char esc[4] = {'\\', 'x', hex[ssid[i] >> 4], hex[ssid[i] & 15]};
        const char *src = n > 0 ? (const char *)ssid + i : esc;
        size_t w = n > 0 ? n : sizeof(esc);

        /* whole sequences only: a cut character would be invalid UTF-8 */
        if (need + w < cap)
            memcpy(out + need, src, w);
        else if (need < cap)
            cap = need + 1;
        need += w;
        i += n > 0 ? n : 1;
    }
    if (cap > 0)
        out[need < cap ? need : cap - 1] = '\0';
    return need;
}
