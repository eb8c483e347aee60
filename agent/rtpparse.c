#include "rtpparse.h"

#include <string.h>

#include "cursor.h"
#include "err.h"

#define ETH_IPV4   0x0800
#define ETH_IPV6   0x86DD
#define ETH_VLAN   0x8100 /* 802.1Q */
#define ETH_QINQ   0x88A8 /* 802.1ad service tag */
#define ETH_QINQ_9 0x9100 /* pre-standard QinQ */
#define MAX_TAGS   4      /* deeper stacks are not Ethernet anyone sends */
#define MAX_EXT6   8      /* IPv6 extension headers followed before giving up */

#define STUN_COOKIE 0x2112A442u /* RFC 8489 §6 */

int vr_rtpparse_is_relay_port(uint16_t port)
{
    return port >= 3478 && port <= 3481;
}

const char *vr_rtpparse_status_name(int status)
{
    switch (status) {
    case VR_RTPP_OK:
        return "rtp";
    case VR_RTPP_LINK:
        return "link_type";
    case VR_RTPP_NOT_IP:
        return "not_ip";
    case VR_RTPP_NOT_UDP:
        return "not_udp";
    case VR_RTPP_FRAGMENT:
        return "fragment";
    case VR_RTPP_STUN:
        return "stun";
    case VR_RTPP_NOT_RTP:
        return "not_rtp";
    case VR_RTPP_BAD_IP:
        return "bad_ip";
    case VR_ETRUNC:
        return "truncated";
    default:
        return "other";
    }
}

/* RTP fixed header and what follows it (RFC 3550 §5.1). avail bytes were captured of a datagram
 * the headers say is claimed bytes long. */
static int parse_rtp(const uint8_t *p, size_t avail, size_t claimed, struct vr_rtp_frame *out)
{
    struct vr_rd c;
    uint8_t b0, b1;
    vr_rd_init(&c, p, avail);
    if (claimed < 12)
        return VR_RTPP_NOT_RTP;
    if (vr_rd_u8(&c, &b0) != 0 || vr_rd_u8(&c, &b1) != 0)
        return VR_ETRUNC;
    if ((b0 >> 6) != 2)
        return VR_RTPP_NOT_RTP;
    /* RFC 5761 §4: second octet 192–223 is RTCP (SR 200, RR 201, ...) multiplexed on the port */
    if (b1 >= 192 && b1 <= 223)
        return VR_RTPP_NOT_RTP;
    if (vr_rd_u16be(&c, &out->seq) != 0 || vr_rd_u32be(&c, &out->ts) != 0 ||
        vr_rd_u32be(&c, &out->ssrc) != 0)
        return VR_ETRUNC;
    out->marker = (uint8_t)(b1 >> 7);
    out->pt = (uint8_t)(b1 & 0x7f);
    out->csrc_count = (uint8_t)(b0 & 0x0f);

    size_t hdr = 12 + 4u * out->csrc_count;
    if (hdr > claimed)
        return VR_RTPP_NOT_RTP;
    out->snapped = avail < claimed;
    out->payload_len = 0;
    if (out->snapped)
        return VR_RTPP_OK; /* the fixed header is all the statistics need */
    if (vr_rd_skip(&c, 4u * out->csrc_count) != 0)
        return VR_RTPP_NOT_RTP;
    if (b0 & 0x10) { /* header extension: profile-defined 16 bits, length in 32-bit words */
        uint16_t prof, words;
        if (vr_rd_u16be(&c, &prof) != 0 || vr_rd_u16be(&c, &words) != 0 ||
            vr_rd_skip(&c, 4u * words) != 0)
            return VR_RTPP_NOT_RTP;
        hdr += 4 + 4u * words;
    }
    size_t pad = 0;
    if (b0 & 0x20) { /* padding: the last octet counts the padding octets, itself included */
        pad = p[claimed - 1];
        if (pad == 0 || pad > claimed - hdr)
            return VR_RTPP_NOT_RTP;
    }
    out->payload_len = claimed - hdr - pad;
    return VR_RTPP_OK;
}

int vr_rtpparse_udp_payload(const uint8_t *p, size_t len, size_t claimed_len,
                            struct vr_rtp_frame *out)
{
    out->channel_data = 0;
    out->channel = 0;
    if (claimed_len < len)
        len = claimed_len;
    if (len >= 1 && (p[0] >> 6) == 0) {
        /* The first two bits 00 are a STUN message (RFC 8489 §6, any port: ICE checks share the
         * media ports); anything else there is not media. */
        struct vr_rd c;
        uint32_t cookie;
        vr_rd_init(&c, p, len);
        if (vr_rd_skip(&c, 4) == 0 && vr_rd_u32be(&c, &cookie) == 0 && cookie == STUN_COOKIE)
            return VR_RTPP_STUN;
        if (len < 8 && claimed_len >= 8)
            return VR_ETRUNC;
        return VR_RTPP_NOT_RTP;
    }
    if (len >= 1 && (p[0] >> 6) == 1 &&
        (vr_rtpparse_is_relay_port(out->sport) || vr_rtpparse_is_relay_port(out->dport))) {
        /* RFC 8656 §12.4 ChannelData: channel number 0x4000–0x7FFF, length of the application
         * data (padding to 4 bytes only over TCP). Over UDP the length must fit the datagram. */
        struct vr_rd c;
        uint16_t chan, dlen;
        vr_rd_init(&c, p, len);
        if (claimed_len < 4)
            return VR_RTPP_NOT_RTP;
        if (vr_rd_u16be(&c, &chan) != 0 || vr_rd_u16be(&c, &dlen) != 0)
            return VR_ETRUNC;
        if ((size_t)dlen + 4 > claimed_len)
            return VR_RTPP_NOT_RTP;
        out->channel_data = 1;
        out->channel = chan;
        size_t avail = len - 4 < dlen ? len - 4 : dlen;
        return parse_rtp(p + 4, avail, dlen, out);
    }
    return parse_rtp(p, len, claimed_len, out);
}

/* UDP header, then the payload. c holds exactly what the IP layer says belongs to it (or less
 * when snapped); claimed is the IP payload length from the headers. */
static int parse_udp(struct vr_rd *c, size_t claimed, struct vr_rtp_frame *out)
{
    uint16_t ulen, csum;
    if (vr_rd_u16be(c, &out->sport) != 0 || vr_rd_u16be(c, &out->dport) != 0 ||
        vr_rd_u16be(c, &ulen) != 0 || vr_rd_u16be(c, &csum) != 0)
        return VR_ETRUNC;
    /* A first fragment carries only part of the datagram: ulen may exceed what IP carries. */
    if (ulen < 8)
        return VR_RTPP_BAD_IP;
    out->udp_len = (size_t)ulen - 8;
    (void)claimed;
    size_t avail = c->left;
    return vr_rtpparse_udp_payload(c->p, avail, out->udp_len, out);
}

static int parse_ipv4(struct vr_rd *c, struct vr_rtp_frame *out)
{
    uint8_t vihl, tos, ttl, proto;
    uint16_t totlen, id, frag, csum;
    if (vr_rd_u8(c, &vihl) != 0)
        return VR_ETRUNC;
    if ((vihl >> 4) != 4)
        return VR_RTPP_BAD_IP;
    size_t ihl = 4u * (vihl & 0x0f);
    if (ihl < 20)
        return VR_RTPP_BAD_IP;
    if (vr_rd_u8(c, &tos) != 0 || vr_rd_u16be(c, &totlen) != 0 || vr_rd_u16be(c, &id) != 0 ||
        vr_rd_u16be(c, &frag) != 0 || vr_rd_u8(c, &ttl) != 0 || vr_rd_u8(c, &proto) != 0 ||
        vr_rd_u16be(c, &csum) != 0 || vr_rd_bytes(c, out->src, 4) != 0 ||
        vr_rd_bytes(c, out->dst, 4) != 0 || vr_rd_skip(c, ihl - 20) != 0)
        return VR_ETRUNC;
    out->ip_version = 4;
    out->dscp = (uint8_t)(tos >> 2);
    out->ecn = (uint8_t)(tos & 3);
    if ((frag & 0x1fff) != 0)
        return VR_RTPP_FRAGMENT; /* only the first fragment has the UDP and RTP headers */
    if (proto != 17)
        return VR_RTPP_NOT_UDP;
    /* Total length 0 appears in captures of TSO/GRO super-packets: trust the capture then. */
    size_t claimed = c->left;
    if (totlen != 0) {
        if (totlen < ihl)
            return VR_RTPP_BAD_IP;
        claimed = (size_t)totlen - ihl;
        if (c->left > claimed)
            c->left = claimed; /* Ethernet pads short frames: the padding is not UDP */
    }
    return parse_udp(c, claimed, out);
}

static int parse_ipv6(struct vr_rd *c, struct vr_rtp_frame *out)
{
    uint32_t vtf;
    uint16_t plen;
    uint8_t nh, hlim;
    if (vr_rd_u32be(c, &vtf) != 0)
        return VR_ETRUNC;
    if ((vtf >> 28) != 6)
        return VR_RTPP_BAD_IP;
    if (vr_rd_u16be(c, &plen) != 0 || vr_rd_u8(c, &nh) != 0 || vr_rd_u8(c, &hlim) != 0 ||
        vr_rd_bytes(c, out->src, 16) != 0 || vr_rd_bytes(c, out->dst, 16) != 0)
        return VR_ETRUNC;
    out->ip_version = 6;
    uint8_t tclass = (uint8_t)(vtf >> 20);
    out->dscp = (uint8_t)(tclass >> 2);
    out->ecn = (uint8_t)(tclass & 3);
    /* Payload length 0 is a jumbogram (RFC 2675) or a GRO capture: trust the capture. */
    size_t claimed = plen != 0 ? plen : c->left;
    if (c->left > claimed)
        c->left = claimed;
    for (int i = 0; i <= MAX_EXT6; i++) {
        uint8_t next, hlen;
        size_t skip;
        switch (nh) {
        case 17:
            return parse_udp(c, claimed, out);
        case 0:   /* hop-by-hop options */
        case 43:  /* routing */
        case 60:  /* destination options */
        case 135: /* mobility */
        case 139: /* HIP */
        case 140: /* shim6 */
            if (vr_rd_u8(c, &next) != 0 || vr_rd_u8(c, &hlen) != 0)
                return VR_ETRUNC;
            skip = 8u * ((size_t)hlen + 1) - 2;
            break;
        case 51: /* AH: length in 32-bit words minus 2 */
            if (vr_rd_u8(c, &next) != 0 || vr_rd_u8(c, &hlen) != 0)
                return VR_ETRUNC;
            skip = 4u * ((size_t)hlen + 2) - 2;
            break;
        case 44: { /* fragment: RFC 8200 §4.5 */
            uint16_t off;
            if (vr_rd_u8(c, &next) != 0 || vr_rd_u8(c, &hlen) != 0 || vr_rd_u16be(c, &off) != 0)
                return VR_ETRUNC;
            if ((off >> 3) != 0)
                return VR_RTPP_FRAGMENT;
            skip = 4;
            break;
        }
        default:
            return VR_RTPP_NOT_UDP; /* TCP, ICMPv6, ESP (opaque), no next header (59), ... */
        }
        if (vr_rd_skip(c, skip) != 0)
            return VR_ETRUNC;
        if (claimed < skip + 2)
            return VR_RTPP_BAD_IP;
        claimed -= skip + 2;
        nh = next;
    }
    return VR_RTPP_NOT_UDP; /* a chain this long is not media */
}

static int parse_ip(struct vr_rd *c, struct vr_rtp_frame *out)
{
    if (c->left < 1)
        return VR_ETRUNC;
    switch (c->p[0] >> 4) {
    case 4:
        return parse_ipv4(c, out);
    case 6:
        return parse_ipv6(c, out);
    default:
        return VR_RTPP_NOT_IP;
    }
}

/* Ethertype dispatch, after stripping any stack of 802.1Q / 802.1ad tags. */
static int parse_ethertype(struct vr_rd *c, uint16_t type, struct vr_rtp_frame *out)
{
    for (int tags = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_9; tags++) {
        uint16_t tci;
        if (tags == MAX_TAGS)
            return VR_RTPP_NOT_IP;
        if (vr_rd_u16be(c, &tci) != 0 || vr_rd_u16be(c, &type) != 0)
            return VR_ETRUNC;
    }
    if (type == ETH_IPV4)
        return parse_ipv4(c, out);
    if (type == ETH_IPV6)
        return parse_ipv6(c, out);
    return VR_RTPP_NOT_IP; /* ARP, LLC (type <= 1500 is a length), ... */
}

/* BSD loopback family values: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD,
 * OpenBSD), 28 (FreeBSD), 30 (macOS). */
static int parse_null(struct vr_rd *c, uint32_t fam, struct vr_rtp_frame *out)
{
    (void)fam;
    if (fam == 2)
        return parse_ipv4(c, out);
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
        return parse_ipv6(c, out);
    return VR_RTPP_NOT_IP;
}

int vr_rtpparse_frame(int linktype, const uint8_t *frame, size_t len, struct vr_rtp_frame *out)
{
    struct vr_rd c;
    uint16_t type;
    uint32_t fam;
    memset(out, 0, sizeof(*out));
    vr_rd_init(&c, frame, len);
    switch (linktype) {
    case VR_LINK_EN10MB:
        if (vr_rd_skip(&c, 12) != 0 || vr_rd_u16be(&c, &type) != 0)
            return VR_ETRUNC;
        return parse_ethertype(&c, type, out);
    case VR_LINK_LINUX_SLL: /* packet type, ARPHRD, address length, 8 address bytes, protocol */
        if (vr_rd_skip(&c, 14) != 0 || vr_rd_u16be(&c, &type) != 0)
            return VR_ETRUNC;
        return parse_ethertype(&c, type, out);
    case VR_LINK_SLL2: /* protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr */
        if (vr_rd_u16be(&c, &type) != 0 || vr_rd_skip(&c, 18) != 0)
            return VR_ETRUNC;
        return parse_ethertype(&c, type, out);
    case VR_LINK_RAW:
    case VR_LINK_RAW_BSD:
    case VR_LINK_RAW_FILE:
        return parse_ip(&c, out);
    case VR_LINK_IPV4:
        return parse_ipv4(&c, out);
    case VR_LINK_IPV6:
        return parse_ipv6(&c, out);
    case VR_LINK_NULL: /* host byte order of the capturing machine: accept either */
        if (len < 4)
            return VR_ETRUNC;
        fam = (uint32_t)frame[0] | (uint32_t)frame[1] << 8 | (uint32_t)frame[2] << 16 |
              (uint32_t)frame[3] << 24;
        if (fam > 0xffff)
            fam = (uint32_t)frame[3] | (uint32_t)frame[2] << 8;
        (void)vr_rd_skip(&c, 4);
        return parse_null(&c, fam, out);
    case VR_LINK_LOOP:
        if (vr_rd_u32be(&c, &fam) != 0)
            return VR_ETRUNC;
        return parse_null(&c, fam, out);
    default:
        return VR_RTPP_LINK;
    }
}
