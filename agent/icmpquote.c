#include "icmpquote.h"

#include <string.h>
#include <sys/socket.h>

#include "cursor.h"
#include "err.h"

#define ETH_P_IPV4    0x0800
#define ETH_P_IPV6    0x86dd
#define ETH_P_8021Q   0x8100
#define ETH_P_8021AD  0x88a8
#define ETH_P_QINQ1   0x9100 /* pre-standard QinQ, still seen on switches */
#define MAX_VLAN_TAGS 4
#define MAX_EXT_HDRS  8 /* IPv6 extension headers walked before giving up */

#define IPPROTO_ICMP_   1
#define IPPROTO_UDP_    17
#define IPPROTO_ICMPV6_ 58

/* The cursor returns VR_ETRUNC; every caller propagates it with this. */
#define TRY(expr)         \
    do {                  \
        int rc_ = (expr); \
        if (rc_ != 0)     \
            return rc_;   \
    } while (0)

bool vr_icmpquote_is_error(int family, uint8_t type)
{
    if (family == AF_INET)
        return type == 3 || type == 11 || type == 12;
    if (family == AF_INET6)
        return type >= 1 && type <= 4;
    return false;
}

bool vr_icmpquote_is_time_exceeded(const struct vr_icmpquote *q)
{
    return (q->family == AF_INET && q->icmp_type == 11 && q->icmp_code == 0) ||
           (q->family == AF_INET6 && q->icmp_type == 3 && q->icmp_code == 0);
}

uint16_t vr_icmpquote_udp_checksum(int family, const uint8_t *src, const uint8_t *dst,
                                   uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
    const uint8_t *p = payload;
    size_t alen = family == AF_INET6 ? 16 : 4;
    uint64_t ulen = (uint64_t)len + 8;
    uint64_t sum = 0;

    for (size_t i = 0; i < alen; i += 2)
        sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
    /* pseudo-header: protocol and length; then the UDP header with a zero checksum */
    sum += IPPROTO_UDP_ + (ulen >> 16) + (ulen & 0xffff);
    sum += (uint32_t)sport + dport + (ulen & 0xffff);
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    return sum == 0 ? 0xffff : (uint16_t)sum;
}

/* Keeps at most n bytes readable: drops link-layer padding and bytes beyond a stated length. */
static void limit(struct vr_rd *c, size_t n)
{
    if (c->left > n)
        c->left = n;
}

static int skip_vlan_tags(struct vr_rd *c, uint16_t *ethertype)
{
    for (int i = 0;
         *ethertype == ETH_P_8021Q || *ethertype == ETH_P_8021AD || *ethertype == ETH_P_QINQ1;
         i++) {
        if (i == MAX_VLAN_TAGS)
            return VR_EINVAL;
        TRY(vr_rd_skip(c, 2)); /* TCI */
        TRY(vr_rd_u16be(c, ethertype));
    }
    return 0;
}

/* Moves c past the link-layer header; sets *family from the ethertype or the IP version. */
static int skip_link(int linktype, struct vr_rd *c, int *family)
{
    uint16_t et = 0;
    uint8_t b0;

    switch (linktype) {
    case VR_ICMPQUOTE_DLT_EN10MB:
        TRY(vr_rd_skip(c, 12)); /* destination and source MAC */
        TRY(vr_rd_u16be(c, &et));
        break;
    case VR_ICMPQUOTE_DLT_LINUX_SLL:
        /* packet type, ARPHRD type, address length, 8 address bytes, protocol */
        TRY(vr_rd_skip(c, 14));
        TRY(vr_rd_u16be(c, &et));
        break;
    case VR_ICMPQUOTE_DLT_LINUX_SLL2:
        /* protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 bytes */
        TRY(vr_rd_u16be(c, &et));
        TRY(vr_rd_skip(c, 18));
        break;
    case VR_ICMPQUOTE_DLT_RAW:
    case VR_ICMPQUOTE_DLT_RAW_FILE:
        if (c->left < 1)
            return VR_ETRUNC;
        b0 = c->p[0];
        et = (b0 >> 4) == 4 ? ETH_P_IPV4 : (b0 >> 4) == 6 ? ETH_P_IPV6 : 0;
        break;
    case VR_ICMPQUOTE_DLT_IPV4:
        et = ETH_P_IPV4;
        break;
    case VR_ICMPQUOTE_DLT_IPV6:
        et = ETH_P_IPV6;
        break;
    default:
        return VR_EINVAL;
    }
    TRY(skip_vlan_tags(c, &et));
    if (et == ETH_P_IPV4)
        *family = AF_INET;
    else if (et == ETH_P_IPV6)
        *family = AF_INET6;
    else
        return VR_EINVAL;
    return 0;
}

struct ip4hdr {
    uint8_t tos, ttl, proto;
    uint16_t tot_len, id, frag;
    size_t hlen;
    uint8_t src[4], dst[4];
};

/* Reads an IPv4 header and its options. */
static int read_ip4(struct vr_rd *c, struct ip4hdr *h)
{
    uint8_t b0;
    uint16_t sum;

    TRY(vr_rd_u8(c, &b0));
    if ((b0 >> 4) != 4 || (b0 & 0x0f) < 5)
        return VR_EINVAL;
    h->hlen = (size_t)(b0 & 0x0f) * 4;
    TRY(vr_rd_u8(c, &h->tos));
    TRY(vr_rd_u16be(c, &h->tot_len));
    TRY(vr_rd_u16be(c, &h->id));
    TRY(vr_rd_u16be(c, &h->frag));
    TRY(vr_rd_u8(c, &h->ttl));
    TRY(vr_rd_u8(c, &h->proto));
    TRY(vr_rd_u16be(c, &sum));
    TRY(vr_rd_bytes(c, h->src, 4));
    TRY(vr_rd_bytes(c, h->dst, 4));
    return vr_rd_skip(c, h->hlen - 20);
}

struct ip6hdr {
    uint8_t tclass, hlim, nh; /* nh: the protocol after the extension headers walked */
    uint16_t plen;
    uint32_t flow;
    uint8_t src[16], dst[16];
    bool later_fragment; /* a fragment header with a non-zero offset was found */
};

/* Reads the 40-byte IPv6 header; leaves c at the first extension header. */
static int read_ip6(struct vr_rd *c, struct ip6hdr *h)
{
    uint32_t w;

    TRY(vr_rd_u32be(c, &w));
    if ((w >> 28) != 6)
        return VR_EINVAL;
    h->tclass = (uint8_t)(w >> 20);
    h->flow = w & 0xfffff;
    TRY(vr_rd_u16be(c, &h->plen));
    TRY(vr_rd_u8(c, &h->nh));
    TRY(vr_rd_u8(c, &h->hlim));
    TRY(vr_rd_bytes(c, h->src, 16));
    TRY(vr_rd_bytes(c, h->dst, 16));
    h->later_fragment = false;
    return 0;
}

/* Walks hop-by-hop, routing, fragment, destination options and AH headers until h->nh names
 * an upper-layer protocol (RFC 8200 4.1). Stops at a non-first fragment, whose payload is not
 * the start of the upper-layer header. */
static int walk_ext6(struct vr_rd *c, struct ip6hdr *h)
{
    for (int i = 0;; i++) {
        uint8_t nh, len;
        uint16_t off;

        switch (h->nh) {
        case 0:  /* hop-by-hop options */
        case 43: /* routing */
        case 60: /* destination options */
            if (i == MAX_EXT_HDRS)
                return VR_EINVAL;
            TRY(vr_rd_u8(c, &nh));
            TRY(vr_rd_u8(c, &len));
            TRY(vr_rd_skip(c, (size_t)len * 8 + 6));
            h->nh = nh;
            break;
        case 51: /* authentication header: length in 4-byte units, minus 2 */
            if (i == MAX_EXT_HDRS)
                return VR_EINVAL;
            TRY(vr_rd_u8(c, &nh));
            TRY(vr_rd_u8(c, &len));
            TRY(vr_rd_skip(c, (size_t)len * 4 + 6));
            h->nh = nh;
            break;
        case 44: /* fragment */
            if (i == MAX_EXT_HDRS)
                return VR_EINVAL;
            TRY(vr_rd_u8(c, &nh));
            TRY(vr_rd_skip(c, 1));
            TRY(vr_rd_u16be(c, &off));
            TRY(vr_rd_skip(c, 4));
            h->nh = nh;
            if ((off >> 3) != 0) {
                h->later_fragment = true;
                return 0;
            }
            break;
        default:
            return 0;
        }
    }
}

/* Reads the quoted UDP header and the first payload bytes, if they were quoted. */
static void read_udp(struct vr_rd *c, struct vr_icmpquote *q)
{
    size_t n;

    if (c->left < 8)
        return;
    (void)vr_rd_u16be(c, &q->q_sport);
    (void)vr_rd_u16be(c, &q->q_dport);
    (void)vr_rd_u16be(c, &q->q_udp_len);
    (void)vr_rd_u16be(c, &q->q_udp_sum);
    q->has_udp = true;
    if (q->q_udp_len >= 8)
        limit(c, (size_t)q->q_udp_len - 8);
    n = c->left < VR_ICMPQUOTE_PAYLOAD_MAX ? c->left : VR_ICMPQUOTE_PAYLOAD_MAX;
    if (q->q_udp_len < 8)
        n = 0;
    (void)vr_rd_bytes(c, q->payload, n);
    q->payload_len = n;
}

static int parse_v4(struct vr_rd *c, struct vr_icmpquote *q)
{
    struct ip4hdr o, in;
    uint8_t rest[4];
    uint16_t sum;

    TRY(read_ip4(c, &o));
    if (o.tot_len < o.hlen)
        return VR_EINVAL;
    limit(c, (size_t)o.tot_len - o.hlen);
    if (o.proto != IPPROTO_ICMP_ || (o.frag & 0x1fff) != 0)
        return VR_EINVAL;
    memcpy(q->from, o.src, 4);
    memcpy(q->to, o.dst, 4);
    q->outer_ttl = o.ttl;

    TRY(vr_rd_u8(c, &q->icmp_type));
    TRY(vr_rd_u8(c, &q->icmp_code));
    if (!vr_icmpquote_is_error(AF_INET, q->icmp_type))
        return VR_EINVAL;
    TRY(vr_rd_u16be(c, &sum));
    TRY(vr_rd_bytes(c, rest, 4));
    /* RFC 4884: a non-zero length (32-bit words) bounds the quote; extensions follow it */
    if (rest[1] != 0)
        limit(c, (size_t)rest[1] * 4);

    TRY(read_ip4(c, &in));
    q->q_tos = in.tos;
    q->q_ttl = in.ttl;
    q->q_ipid = in.id;
    q->q_proto = in.proto;
    memcpy(q->q_src, in.src, 4);
    memcpy(q->q_dst, in.dst, 4);
    if (in.tot_len >= in.hlen)
        limit(c, (size_t)in.tot_len - in.hlen); /* drop the zero padding RFC 4884 allows */
    if ((in.frag & 0x1fff) == 0 && in.proto == IPPROTO_UDP_)
        read_udp(c, q);
    return 0;
}

static int parse_v6(struct vr_rd *c, struct vr_icmpquote *q)
{
    struct ip6hdr o, in;
    uint8_t rest[4];
    uint16_t sum;
    int rc;

    TRY(read_ip6(c, &o));
    limit(c, o.plen);
    TRY(walk_ext6(c, &o));
    if (o.nh != IPPROTO_ICMPV6_ || o.later_fragment)
        return VR_EINVAL;
    memcpy(q->from, o.src, 16);
    memcpy(q->to, o.dst, 16);
    q->outer_ttl = o.hlim;

    TRY(vr_rd_u8(c, &q->icmp_type));
    TRY(vr_rd_u8(c, &q->icmp_code));
    if (!vr_icmpquote_is_error(AF_INET6, q->icmp_type))
        return VR_EINVAL;
    TRY(vr_rd_u16be(c, &sum));
    TRY(vr_rd_bytes(c, rest, 4));
    /* RFC 4884: unreachable and time exceeded carry the quote length in 64-bit words */
    if ((q->icmp_type == 1 || q->icmp_type == 3) && rest[0] != 0)
        limit(c, (size_t)rest[0] * 8);

    TRY(read_ip6(c, &in));
    q->q_tos = in.tclass;
    q->q_ttl = in.hlim;
    q->q_flow = in.flow;
    memcpy(q->q_src, in.src, 16);
    memcpy(q->q_dst, in.dst, 16);
    limit(c, in.plen);
    q->q_proto = in.nh;
    /* a quote cut inside the extension headers still tells the traffic class */
    rc = walk_ext6(c, &in);
    q->q_proto = in.nh;
    if (rc == 0 && !in.later_fragment && in.nh == IPPROTO_UDP_)
        read_udp(c, q);
    return 0;
}

int vr_icmpquote_parse(int linktype, const void *frame, size_t caplen, struct vr_icmpquote *out)
{
    struct vr_rd c;
    int family = 0;

    memset(out, 0, sizeof(*out));
    if (frame == NULL && caplen > 0)
        return VR_EINVAL;
    vr_rd_init(&c, frame, caplen);
    TRY(skip_link(linktype, &c, &family));
    out->family = family;
    return family == AF_INET ? parse_v4(&c, out) : parse_v6(&c, out);
}
