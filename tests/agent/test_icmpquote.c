/* icmpquote.h: hand-built frames of every supported link type carrying ICMP and ICMPv6 errors
 * that quote a probe; each field the parser returns is checked against the bytes put in, and
 * every prefix of a frame parses to a documented code without reading past it.
 * System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "icmpquote.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct frame {
    uint8_t b[2048];
    size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof(f->b));
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put8(struct frame *f, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(f, &b, 1);
}

static void put16(struct frame *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v & 0xff);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void set16(struct frame *f, size_t off, unsigned v)
{
    f->b[off] = (uint8_t)(v >> 8);
    f->b[off + 1] = (uint8_t)v;
}

static const uint8_t router4[4] = {10, 0, 12, 2}, me4[4] = {10, 0, 1, 1},
                     target4[4] = {10, 0, 34, 4};
static const uint8_t router6[16] = {0xfd, 0, 0, 0x12, [15] = 2},
                     me6[16] = {0xfd, 0, 0, 1, [15] = 1},
                     target6[16] = {0xfd, 0, 0, 0x34, [15] = 4};

/* The probe as sent: RTP v2 header (seq 0x1234, SSRC 0xcafef00d) and 20 bytes more. */
static void put_udp_probe(struct frame *f, size_t payload_quoted)
{
    uint8_t payload[40];
    memset(payload, 0xab, sizeof(payload));
    payload[0] = 0x80;
    payload[1] = 111;
    payload[2] = 0x12;
    payload[3] = 0x34;
    payload[8] = 0xca;
    payload[9] = 0xfe;
    payload[10] = 0xf0;
    payload[11] = 0x0d;
    put16(f, 40001);  /* source port */
    put16(f, 5004);   /* destination port */
    put16(f, 8 + 40); /* length */
    put16(f, 0xbeef); /* checksum */
    put(f, payload, payload_quoted);
}

/* IPv4 header; returns the offset of the total length field. */
static size_t put_ip4(struct frame *f, uint8_t tos, uint8_t ttl, uint8_t proto, const uint8_t *src,
                      const uint8_t *dst, unsigned frag)
{
    size_t at = f->n + 2;
    put8(f, 0x45);
    put8(f, tos);
    put16(f, 0);      /* total length, set later */
    put16(f, 0x4d2e); /* id */
    put16(f, frag);
    put8(f, ttl);
    put8(f, proto);
    put16(f, 0);
    put(f, src, 4);
    put(f, dst, 4);
    return at;
}

/* An ICMP time exceeded from router4 quoting a probe marked tos; quote_payload bytes of
 * UDP payload quoted. Returns the frame length at the start of the IP header in *ip_at. */
static void put_v4_error(struct frame *f, uint8_t type, uint8_t code, uint8_t tos,
                         size_t quote_payload)
{
    size_t ip_at = f->n;
    size_t outer_len = put_ip4(f, 0xc0, 63, 1, router4, me4, 0);
    size_t inner_len;
    size_t inner_at;

    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put32(f, 0);
    inner_at = f->n;
    inner_len = put_ip4(f, tos, 1, 17, me4, target4, 0x4000);
    put_udp_probe(f, quote_payload);
    set16(f, inner_len, 20 + 8 + 40); /* the quote states the length of the probe as sent */
    (void)inner_at;
    set16(f, outer_len, (unsigned)(f->n - ip_at));
}

static void put_eth(struct frame *f, unsigned ethertype)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    put(f, macs, sizeof(macs));
    put16(f, ethertype);
}

static void assert_v4_probe(const struct vr_icmpquote *q, uint8_t tos, size_t payload_len)
{
    assert_int_equal(q->family, AF_INET);
    assert_int_equal(q->icmp_type, 11);
    assert_int_equal(q->icmp_code, 0);
    assert_true(vr_icmpquote_is_time_exceeded(q));
    assert_memory_equal(q->from, router4, 4);
    assert_memory_equal(q->to, me4, 4);
    assert_int_equal(q->outer_ttl, 63);
    assert_int_equal(q->q_tos, tos);
    assert_int_equal(q->q_ttl, 1);
    assert_int_equal(q->q_ipid, 0x4d2e);
    assert_memory_equal(q->q_src, me4, 4);
    assert_memory_equal(q->q_dst, target4, 4);
    assert_int_equal(q->q_proto, 17);
    assert_true(q->has_udp);
    assert_int_equal(q->q_sport, 40001);
    assert_int_equal(q->q_dport, 5004);
    assert_int_equal(q->q_udp_len, 48);
    assert_int_equal(q->q_udp_sum, 0xbeef);
    assert_int_equal(q->payload_len, payload_len);
    if (payload_len >= 4) {
        assert_int_equal(q->payload[0], 0x80);
        assert_int_equal(q->payload[2], 0x12);
        assert_int_equal(q->payload[3], 0x34);
    }
}

/* Every cut of the frame short of full parses to 0, VR_ETRUNC or VR_EINVAL; cuts before the
 * end of the quoted IP header (at quote_ip_end) must be VR_ETRUNC. Exact-size heap copies so
 * that ASan sees any read past the cut. */
static void assert_prefixes_safe(int linktype, const struct frame *f, size_t quote_ip_end)
{
    for (size_t cut = 0; cut < f->n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        struct vr_icmpquote q;
        int rc;
        assert_non_null(copy);
        memcpy(copy, f->b, cut);
        rc = vr_icmpquote_parse(linktype, copy, cut, &q);
        if (cut < quote_ip_end)
            assert_int_equal(rc, VR_ETRUNC);
        else
            assert_int_equal(rc, 0);
        free(copy);
    }
}

static void test_icmpquote_parse_v4_ethernet(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_eth(&f, 0x0800);
    put_v4_error(&f, 11, 0, 0xb8, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), 0);
    assert_v4_probe(&q, 0xb8, VR_ICMPQUOTE_PAYLOAD_MAX);
    /* link 14 + outer IP 20 + ICMP 8 + quoted IP 20 */
    assert_prefixes_safe(VR_ICMPQUOTE_DLT_EN10MB, &f, 14 + 20 + 8 + 20);
}

static void test_icmpquote_parse_v4_vlan_tags(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_eth(&f, 0x88a8); /* QinQ: service tag, then customer tag */
    put16(&f, 100);
    put16(&f, 0x8100);
    put16(&f, 200);
    put16(&f, 0x0800);
    put_v4_error(&f, 11, 0, 0x88, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), 0);
    assert_v4_probe(&q, 0x88, VR_ICMPQUOTE_PAYLOAD_MAX);
}

static void test_icmpquote_parse_rejects_too_many_vlan_tags(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_eth(&f, 0x8100);
    for (int i = 0; i < 5; i++) {
        put16(&f, (unsigned)i);
        put16(&f, 0x8100);
    }
    put16(&f, 1);
    put16(&f, 0x0800);
    put_v4_error(&f, 11, 0, 0xb8, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), VR_EINVAL);
}

static void test_icmpquote_parse_v4_linux_sll(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put16(&f, 0); /* to us */
    put16(&f, 1); /* ARPHRD_ETHER */
    put16(&f, 6);
    put32(&f, 0x02000000);
    put32(&f, 0x00010000);
    put16(&f, 0x0800);
    put_v4_error(&f, 11, 0, 0x48, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_LINUX_SLL, f.b, f.n, &q), 0);
    assert_v4_probe(&q, 0x48, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_prefixes_safe(VR_ICMPQUOTE_DLT_LINUX_SLL, &f, 16 + 48);
}

static void test_icmpquote_parse_v4_linux_sll2(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put16(&f, 0x0800);
    put16(&f, 0);
    put32(&f, 7); /* ifindex */
    put16(&f, 1);
    put8(&f, 0);
    put8(&f, 6);
    put32(&f, 0x02000000);
    put32(&f, 0x00010000);
    put_v4_error(&f, 11, 0, 0xb9, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_LINUX_SLL2, f.b, f.n, &q), 0);
    assert_v4_probe(&q, 0xb9, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_prefixes_safe(VR_ICMPQUOTE_DLT_LINUX_SLL2, &f, 20 + 48);
}

static void test_icmpquote_parse_v4_raw_link_types(void **state)
{
    static const int types[] = {VR_ICMPQUOTE_DLT_RAW, VR_ICMPQUOTE_DLT_RAW_FILE,
                                VR_ICMPQUOTE_DLT_IPV4};
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v4_error(&f, 11, 0, 0xb8, 40);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_int_equal(vr_icmpquote_parse(types[i], f.b, f.n, &q), 0);
        assert_v4_probe(&q, 0xb8, VR_ICMPQUOTE_PAYLOAD_MAX);
    }
    /* IPv4 bytes under the IPv6 link type are not an IPv6 packet */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_IPV6, f.b, f.n, &q), VR_EINVAL);
}

/* RFC 792 minimum: the IP header and 8 bytes; Ethernet pads the 56-byte packet to 60. */
static void test_icmpquote_parse_v4_minimal_quote_ignores_padding(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    static const uint8_t pad[4] = {0x80, 0, 0x12, 0x34}; /* looks like RTP: must not be read */
    (void)state;

    put_eth(&f, 0x0800);
    put_v4_error(&f, 11, 0, 0xb8, 0);
    put(&f, pad, sizeof(pad));
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), 0);
    assert_v4_probe(&q, 0xb8, 0);
}

static void test_icmpquote_parse_v4_quote_cut_in_udp_header(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v4_error(&f, 11, 0, 0xb8, 0);
    f.n -= 4; /* the router quoted the IP header and 4 bytes only */
    set16(&f, 2, (unsigned)f.n);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_int_equal(q.q_tos, 0xb8);
    assert_false(q.has_udp);
    assert_int_equal(q.payload_len, 0);
}

/* RFC 4884: the length field bounds the quote; the extension structure after it is not UDP
 * payload. */
static void test_icmpquote_parse_v4_rfc4884_length(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    static const uint8_t ext[8] = {0x20, 0, 0, 0, 0, 4, 1, 1};
    (void)state;

    put_v4_error(&f, 11, 0, 0xb8, 0);
    put32(&f, 0x80001234); /* 4 more quoted payload bytes: 32 quoted bytes in all */
    f.b[20 + 5] = (20 + 8 + 4) / 4;
    put(&f, ext, sizeof(ext));
    set16(&f, 2, (unsigned)f.n);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_true(q.has_udp);
    assert_int_equal(q.payload_len, 4);
    assert_int_equal(q.payload[3], 0x34);
}

static void test_icmpquote_parse_v4_unreachable(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v4_error(&f, 3, 3, 0xb8, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_int_equal(q.icmp_type, 3);
    assert_int_equal(q.icmp_code, 3);
    assert_false(vr_icmpquote_is_time_exceeded(&q));
    assert_true(q.has_udp);
}

static void test_icmpquote_parse_rejects_non_errors(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v4_error(&f, 0, 0, 0xb8, 40); /* echo reply */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    f.b[20] = 11;
    f.b[9] = 17; /* outer protocol UDP */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    f.b[9] = 1;
    set16(&f, 6, 0x0010); /* a later fragment of an ICMP message */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    set16(&f, 6, 0);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    f.b[28] = 0x65; /* quoted packet is not IPv4 */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    f.b[28] = 0x44; /* IHL 4 */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    assert_int_equal(vr_icmpquote_parse(4242, f.b, f.n, &q), VR_EINVAL);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, NULL, 0, &q), VR_ETRUNC);

    f.n = 0;
    put_eth(&f, 0x0806); /* ARP */
    put32(&f, 0);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), VR_EINVAL);
}

static void test_icmpquote_parse_v4_later_fragment_quote_has_no_udp(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v4_error(&f, 11, 1, 0xb8, 40);
    set16(&f, 28 + 6, 0x0003); /* quoted fragment offset 24 bytes */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_int_equal(q.q_tos, 0xb8);
    assert_false(q.has_udp);
    assert_false(vr_icmpquote_is_time_exceeded(&q)); /* code 1: reassembly time exceeded */
}

/* IPv6 header; returns the offset of the payload length field. */
static size_t put_ip6(struct frame *f, uint8_t tclass, uint32_t flow, uint8_t nh, uint8_t hlim,
                      const uint8_t *src, const uint8_t *dst)
{
    size_t at;
    put32(f, 6u << 28 | (uint32_t)tclass << 20 | flow);
    at = f->n;
    put16(f, 0);
    put8(f, nh);
    put8(f, hlim);
    put(f, src, 16);
    put(f, dst, 16);
    return at;
}

/* An ICMPv6 error from router6 quoting a probe with traffic class tc. ext adds, in the
 * outer packet, a hop-by-hop header, and in the quote a hop-by-hop, a destination options and
 * a (first) fragment header before UDP. */
static void put_v6_error(struct frame *f, uint8_t type, uint8_t code, uint8_t tc, bool ext,
                         size_t quote_payload)
{
    size_t start = f->n, outer_plen, inner_plen, inner_start;

    outer_plen = put_ip6(f, 0, 0, ext ? 0 : 58, 62, router6, me6);
    if (ext) {
        put8(f, 58);
        put8(f, 0);
        put32(f, 0x05020000); /* router alert + padding: 6 bytes */
        put16(f, 0);
    }
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put32(f, 0);
    inner_start = f->n;
    inner_plen = put_ip6(f, tc, 0xabcde, ext ? 0 : 17, 1, me6, target6);
    if (ext) {
        put8(f, 60); /* hop-by-hop, 8 bytes */
        put8(f, 0);
        put32(f, 0x01040000);
        put16(f, 0);
        put8(f, 44); /* destination options, 16 bytes */
        put8(f, 1);
        for (int i = 0; i < 14; i++)
            put8(f, i == 0 ? 1 : 0);
        put8(f, 17); /* fragment, offset 0, M set */
        put8(f, 0);
        put16(f, 1);
        put32(f, 0x11223344);
    }
    put_udp_probe(f, quote_payload);
    set16(f, inner_plen, (unsigned)(f->n - inner_start - 40 + 40 - quote_payload));
    set16(f, outer_plen, (unsigned)(f->n - start - 40));
}

static void assert_v6_probe(const struct vr_icmpquote *q, uint8_t tc, size_t payload_len)
{
    assert_int_equal(q->family, AF_INET6);
    assert_int_equal(q->icmp_type, 3);
    assert_true(vr_icmpquote_is_time_exceeded(q));
    assert_memory_equal(q->from, router6, 16);
    assert_memory_equal(q->to, me6, 16);
    assert_int_equal(q->outer_ttl, 62);
    assert_int_equal(q->q_tos, tc);
    assert_int_equal(q->q_ttl, 1);
    assert_int_equal(q->q_flow, 0xabcde);
    assert_memory_equal(q->q_src, me6, 16);
    assert_memory_equal(q->q_dst, target6, 16);
    assert_int_equal(q->q_proto, 17);
    assert_true(q->has_udp);
    assert_int_equal(q->q_sport, 40001);
    assert_int_equal(q->q_dport, 5004);
    assert_int_equal(q->payload_len, payload_len);
    if (payload_len >= 12)
        assert_int_equal(q->payload[11], 0x0d);
}

static void test_icmpquote_parse_v6_ethernet(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_eth(&f, 0x86dd);
    put_v6_error(&f, 3, 0, 0xb8, false, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_EN10MB, f.b, f.n, &q), 0);
    assert_v6_probe(&q, 0xb8, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_prefixes_safe(VR_ICMPQUOTE_DLT_EN10MB, &f, 14 + 40 + 8 + 40);
}

static void test_icmpquote_parse_v6_extension_headers(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v6_error(&f, 3, 0, 0x88, true, 40);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_v6_probe(&q, 0x88, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_IPV6, f.b, f.n, &q), 0);
    assert_v6_probe(&q, 0x88, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_prefixes_safe(VR_ICMPQUOTE_DLT_RAW, &f, 40 + 8 + 8 + 40);
}

static void test_icmpquote_parse_v6_later_fragment_quote_has_no_udp(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v6_error(&f, 3, 0, 0x48, true, 40);
    /* outer 40 + hop-by-hop 8 + ICMPv6 8 + quoted 40 + 8 + 16, then the fragment header */
    set16(&f, 40 + 8 + 8 + 40 + 8 + 16 + 2, 0x0101); /* offset 32 bytes, M set */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    assert_int_equal(q.q_tos, 0x48);
    assert_false(q.has_udp);
}

static void test_icmpquote_parse_v6_unreachable_and_sll2(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put16(&f, 0x86dd);
    put16(&f, 0);
    put32(&f, 3);
    put16(&f, 1);
    put8(&f, 0);
    put8(&f, 6);
    put32(&f, 0);
    put32(&f, 0);
    put_v6_error(&f, 1, 4, 0x00, false, 12);
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_LINUX_SLL2, f.b, f.n, &q), 0);
    assert_int_equal(q.icmp_type, 1);
    assert_int_equal(q.icmp_code, 4);
    assert_false(vr_icmpquote_is_time_exceeded(&q));
    assert_int_equal(q.q_tos, 0);
    assert_int_equal(q.payload_len, 12);
}

static void test_icmpquote_parse_v6_rejects_non_errors(void **state)
{
    struct frame f = {.n = 0};
    struct vr_icmpquote q;
    (void)state;

    put_v6_error(&f, 135, 0, 0, false, 0); /* neighbour solicitation */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    f.b[40] = 3;
    f.b[6] = 17; /* outer next header UDP */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
    f.b[6] = 58;
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), 0);
    f.b[48] = 0x45; /* quoted packet is IPv4 */
    assert_int_equal(vr_icmpquote_parse(VR_ICMPQUOTE_DLT_RAW, f.b, f.n, &q), VR_EINVAL);
}

/* Real frames captured by tcpdump in the trace lab (tests/trace/chain.sh): r1's ICMP time
 * exceeded for an EF audio probe (100-byte payload, quoted whole) on the "any" device
 * (DLT_LINUX_SLL2), and r3's ICMPv6 time exceeded for one sent to port 5999 on branch's eth0
 * (DLT_EN10MB). veths offload the UDP checksum, so the quotes hold only the pseudo-header sum
 * (quoted); the full checksums (full) are those tshark calculates for the quoted datagrams (tshark
 * -o udp.check_checksum:TRUE -V: "Calculated Checksum"), an independent truth that
 * vr_icmpquote_udp_checksum must reproduce. */
static const uint8_t lab_v4_sll2[176] = {
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x02, 0xf1, 0xac, 0x73,
    0x8c, 0x11, 0x00, 0x00, 0x45, 0xd8, 0x00, 0x9c, 0xac, 0x7d, 0x00, 0x00, 0x40, 0x01, 0xb7, 0x09,
    0x0a, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x01, 0x01, 0x0b, 0x00, 0xb5, 0x4e, 0x00, 0x00, 0x00, 0x00,
    0x45, 0xb8, 0x00, 0x80, 0x32, 0xf4, 0x40, 0x00, 0x01, 0x11, 0x0e, 0xbd, 0x0a, 0x00, 0x01, 0x01,
    0x0a, 0x00, 0x22, 0x04, 0x87, 0xfb, 0x13, 0x8c, 0x00, 0x6c, 0x37, 0x82, 0x80, 0x6f, 0x3c, 0x4d,
    0x00, 0x4b, 0x60, 0x40, 0x95, 0x9e, 0x26, 0x8e, 0x56, 0x52, 0x01, 0x01, 0x00, 0x2e, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x18, 0xeb, 0xf5, 0xe7, 0x4d, 0xd3, 0xde, 0x9d};
static const uint8_t lab_v6_eth[210] = {
    0x9a, 0x29, 0xc7, 0xf3, 0x3a, 0x51, 0x02, 0xf1, 0xac, 0x73, 0x8c, 0x11, 0x86, 0xdd, 0x60,
    0x0d, 0x93, 0xb0, 0x00, 0x9c, 0x3a, 0x40, 0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0xb1, 0x00, 0x00,
    0x00, 0x00, 0x6b, 0x86, 0x67, 0xaf, 0x00, 0x6c, 0x11, 0x01, 0xfd, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x34,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd5, 0x1d, 0x17,
    0x6f, 0x00, 0x6c, 0xfa, 0xb8, 0x80, 0x6f, 0xef, 0x95, 0x01, 0x2b, 0x7a, 0x40, 0x06, 0xf7,
    0xca, 0xed, 0x56, 0x52, 0x01, 0x01, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x18, 0xeb, 0xf5, 0xe7, 0x5e, 0xf7, 0xb7, 0x3e};

static void assert_real_frame(int linktype, const uint8_t *frame, size_t len, int family,
                              size_t payload_at, uint16_t dport, uint16_t quoted, uint16_t full)
{
    struct vr_icmpquote q;

    assert_int_equal(vr_icmpquote_parse(linktype, frame, len, &q), 0);
    assert_int_equal(q.family, family);
    assert_true(vr_icmpquote_is_time_exceeded(&q));
    assert_int_equal(q.q_tos, 0xb8);
    assert_true(q.has_udp);
    assert_int_equal(q.q_dport, dport);
    assert_int_equal(q.q_udp_len, 108);
    assert_int_equal(q.q_udp_sum, quoted);
    assert_int_equal(q.payload_len, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_memory_equal(q.payload, frame + payload_at, VR_ICMPQUOTE_PAYLOAD_MAX);
    assert_int_equal(len - payload_at, 100);
    assert_int_equal(vr_icmpquote_udp_checksum(family, q.q_src, q.q_dst, q.q_sport, q.q_dport,
                                               frame + payload_at, len - payload_at),
                     full);
    /* one payload byte different: another checksum, so 8-byte quotes still tell probes apart */
    assert_int_not_equal(vr_icmpquote_udp_checksum(family, q.q_src, q.q_dst, q.q_sport, q.q_dport,
                                                   frame + payload_at, len - payload_at - 1),
                         full);
}

static void test_icmpquote_parse_real_frames_and_checksum(void **state)
{
    (void)state;
    /* SLL2 20 + IP 20 + ICMP 8 + quoted IP 20 + UDP 8 */
    assert_real_frame(VR_ICMPQUOTE_DLT_LINUX_SLL2, lab_v4_sll2, sizeof(lab_v4_sll2), AF_INET, 76,
                      5004, 0x3782, 0xc04e);
    /* Ethernet 14 + IPv6 40 + ICMPv6 8 + quoted IPv6 40 + UDP 8 */
    assert_real_frame(VR_ICMPQUOTE_DLT_EN10MB, lab_v6_eth, sizeof(lab_v6_eth), AF_INET6, 110, 5999,
                      0xfab8, 0xde6c);
}

static void test_icmpquote_is_error(void **state)
{
    (void)state;
    assert_true(vr_icmpquote_is_error(AF_INET, 3));
    assert_true(vr_icmpquote_is_error(AF_INET, 11));
    assert_true(vr_icmpquote_is_error(AF_INET, 12));
    assert_false(vr_icmpquote_is_error(AF_INET, 0));
    assert_false(vr_icmpquote_is_error(AF_INET, 8));
    assert_true(vr_icmpquote_is_error(AF_INET6, 1));
    assert_true(vr_icmpquote_is_error(AF_INET6, 4));
    assert_false(vr_icmpquote_is_error(AF_INET6, 128));
    assert_false(vr_icmpquote_is_error(AF_INET6, 11));
    assert_false(vr_icmpquote_is_error(0, 11));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmpquote_parse_v4_ethernet),
        cmocka_unit_test(test_icmpquote_parse_v4_vlan_tags),
        cmocka_unit_test(test_icmpquote_parse_rejects_too_many_vlan_tags),
        cmocka_unit_test(test_icmpquote_parse_v4_linux_sll),
        cmocka_unit_test(test_icmpquote_parse_v4_linux_sll2),
        cmocka_unit_test(test_icmpquote_parse_v4_raw_link_types),
        cmocka_unit_test(test_icmpquote_parse_v4_minimal_quote_ignores_padding),
        cmocka_unit_test(test_icmpquote_parse_v4_quote_cut_in_udp_header),
        cmocka_unit_test(test_icmpquote_parse_v4_rfc4884_length),
        cmocka_unit_test(test_icmpquote_parse_v4_unreachable),
        cmocka_unit_test(test_icmpquote_parse_rejects_non_errors),
        cmocka_unit_test(test_icmpquote_parse_v4_later_fragment_quote_has_no_udp),
        cmocka_unit_test(test_icmpquote_parse_v6_ethernet),
        cmocka_unit_test(test_icmpquote_parse_v6_extension_headers),
        cmocka_unit_test(test_icmpquote_parse_v6_later_fragment_quote_has_no_udp),
        cmocka_unit_test(test_icmpquote_parse_v6_unreachable_and_sll2),
        cmocka_unit_test(test_icmpquote_parse_v6_rejects_non_errors),
        cmocka_unit_test(test_icmpquote_parse_real_frames_and_checksum),
        cmocka_unit_test(test_icmpquote_is_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
