/* rtpparse.h: hand-built frames of every supported link type, VLAN stacks, IPv6 extension
 * headers, fragments, TURN ChannelData, STUN, RTCP, and every truncation of a valid frame.
 * System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rtpparse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct buf {
    uint8_t b[512];
    size_t n;
};

static void put(struct buf *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof(f->b));
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put8(struct buf *f, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(f, &b, 1);
}

static void put16(struct buf *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static void put32(struct buf *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void rtp(struct buf *f, unsigned pt, unsigned seq, uint32_t ts, uint32_t ssrc,
                size_t payload)
{
    put8(f, 0x80);
    put8(f, pt);
    put16(f, seq);
    put32(f, ts);
    put32(f, ssrc);
    for (size_t i = 0; i < payload; i++)
        put8(f, 0xab);
}

/* UDP header + payload p (n bytes) */
static void udp(struct buf *f, unsigned sport, unsigned dport, const struct buf *p)
{
    put16(f, sport);
    put16(f, dport);
    put16(f, (unsigned)(8 + p->n));
    put16(f, 0);
    put(f, p->b, p->n);
}

static void ipv4(struct buf *f, unsigned tos, unsigned frag, unsigned proto, const struct buf *p)
{
    static const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    put8(f, 0x45);
    put8(f, tos);
    put16(f, (unsigned)(20 + p->n));
    put16(f, 1);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put(f, src, 4);
    put(f, dst, 4);
    put(f, p->b, p->n);
}

static void ipv6(struct buf *f, unsigned tclass, unsigned nh, const struct buf *ext,
                 const struct buf *p)
{
    uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, b[16] = {0x20, 0x01, 0x0d, 0xb8};
    a[15] = 1;
    b[15] = 2;
    put32(f, (uint32_t)6 << 28 | (uint32_t)tclass << 20);
    put16(f, (unsigned)(ext->n + p->n));
    put8(f, nh);
    put8(f, 64);
    put(f, a, 16);
    put(f, b, 16);
    put(f, ext->b, ext->n);
    put(f, p->b, p->n);
}

static void eth_hdr(struct buf *f)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    put(f, macs, 12);
}

/* An Ethernet / IPv4 / UDP / RTP frame, EF, 50000 -> 3479, 160 bytes of payload. */
static void v4_frame(struct buf *f, unsigned seq)
{
    struct buf r = {0}, u = {0};
    rtp(&r, 0, seq, 1234, 0xdeadbeef, 160);
    udp(&u, 50000, 3479, &r);
    eth_hdr(f);
    put16(f, 0x0800);
    ipv4(f, 0xb8, 0, 17, &u);
}

static void test_rtpparse_frame_ethernet_ipv4(void **state)
{
    struct buf f = {0};
    struct vr_rtp_frame o;
    (void)state;
    v4_frame(&f, 65535);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, f.n, &o), VR_RTPP_OK);
    assert_int_equal(o.ip_version, 4);
    assert_int_equal(o.dscp, 46);
    assert_int_equal(o.ecn, 0);
    assert_int_equal(o.src[0], 10);
    assert_int_equal(o.dst[3], 2);
    assert_int_equal(o.sport, 50000);
    assert_int_equal(o.dport, 3479);
    assert_int_equal(o.pt, 0);
    assert_int_equal(o.seq, 65535);
    assert_int_equal(o.ts, 1234);
    assert_int_equal(o.ssrc, 0xdeadbeef);
    assert_int_equal(o.payload_len, 160);
    assert_int_equal(o.snapped, 0);
    assert_int_equal(o.channel_data, 0);
}

static void test_rtpparse_frame_every_truncation_is_clean(void **state)
{
    struct buf f = {0};
    struct vr_rtp_frame o;
    (void)state;
    v4_frame(&f, 7);
    /* 14 Ethernet + 20 IP + 8 UDP + 12 RTP = 54: shorter than that is truncated; from there on
     * the headers are complete and the rest was only cut by a snaplen. */
    for (size_t n = 0; n < 54; n++) {
        uint8_t *copy = malloc(n > 0 ? n : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, f.b, n);
        assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, copy, n, &o), VR_ETRUNC);
        free(copy);
    }
    for (size_t n = 54; n < f.n; n++) {
        assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, n, &o), VR_RTPP_OK);
        assert_int_equal(o.snapped, 1);
        assert_int_equal(o.seq, 7);
    }
}

static void test_rtpparse_frame_vlan_and_qinq(void **state)
{
    struct buf r = {0}, u = {0}, ip = {0}, f = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 8, 42, 0, 1, 20);
    udp(&u, 40000, 40002, &r);
    ipv4(&ip, 0x88, 0, 17, &u);
    eth_hdr(&f);
    put16(&f, 0x88a8); /* service tag */
    put16(&f, 20);
    put16(&f, 0x8100); /* customer tag */
    put16(&f, 200);
    put16(&f, 0x0800);
    put(&f, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, f.n, &o), VR_RTPP_OK);
    assert_int_equal(o.dscp, 34);
    assert_int_equal(o.seq, 42);
    assert_int_equal(o.pt, 8);

    /* five tags is not something anyone sends: refused, not looped over */
    struct buf g = {0};
    eth_hdr(&g);
    for (int i = 0; i < 5; i++) {
        put16(&g, 0x8100);
        put16(&g, 1);
    }
    put16(&g, 0x0800);
    put(&g, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, g.b, g.n, &o), VR_RTPP_NOT_IP);
}

static void test_rtpparse_frame_ipv6_extension_headers(void **state)
{
    struct buf r = {0}, u = {0}, ext = {0}, f = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 96, 9, 90000, 0x33, 100);
    udp(&u, 50020, 50024, &r);
    /* hop-by-hop (8 bytes) -> routing (24 bytes) -> fragment, first (8) -> dest opts (8) */
    put8(&ext, 43);
    put8(&ext, 0);
    put16(&ext, 0x0104);
    put32(&ext, 0);
    put8(&ext, 44);
    put8(&ext, 2);
    for (int i = 0; i < 22; i++)
        put8(&ext, 0);
    put8(&ext, 60);
    put8(&ext, 0);
    put16(&ext, 0x0001); /* offset 0, more fragments */
    put32(&ext, 99);
    put8(&ext, 17);
    put8(&ext, 0);
    put16(&ext, 0x0104);
    put32(&ext, 0);
    eth_hdr(&f);
    put16(&f, 0x86dd);
    ipv6(&f, 0xb8, 0, &ext, &u);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, f.n, &o), VR_RTPP_OK);
    assert_int_equal(o.ip_version, 6);
    assert_int_equal(o.dscp, 46);
    assert_int_equal(o.src[15], 1);
    assert_int_equal(o.dst[0], 0x20);
    assert_int_equal(o.sport, 50020);
    assert_int_equal(o.pt, 96);
    assert_int_equal(o.payload_len, 100);
    for (size_t n = 0; n < 14 + 40 + ext.n + 8 + 12; n++)
        assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, n, &o), VR_ETRUNC);
}

static void test_rtpparse_frame_fragments_skipped(void **state)
{
    struct buf r = {0}, u = {0}, f = {0}, ext = {0}, g = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 0, 1, 0, 1, 160);
    udp(&u, 1, 2, &r);
    ipv4(&f, 0, 0x0010, 17, &u); /* offset 16 * 8 */
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, f.b, f.n, &o), VR_RTPP_FRAGMENT);
    struct buf h = {0};
    ipv4(&h, 0, 0x2000, 17, &u); /* first fragment (MF): has the headers */
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, h.b, h.n, &o), VR_RTPP_OK);
    put8(&ext, 17);
    put8(&ext, 0);
    put16(&ext, 185 << 3);
    put32(&ext, 5);
    ipv6(&g, 0, 44, &ext, &u);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_IPV6, g.b, g.n, &o), VR_RTPP_FRAGMENT);
}

static void test_rtpparse_frame_link_types(void **state)
{
    struct buf r = {0}, u = {0}, ip = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 18, 5, 0, 2, 20);
    udp(&u, 5004, 5006, &r);
    ipv4(&ip, 0, 0, 17, &u);

    struct buf sll = {0};
    for (int i = 0; i < 14; i++)
        put8(&sll, 0);
    put16(&sll, 0x0800);
    put(&sll, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_LINUX_SLL, sll.b, sll.n, &o), VR_RTPP_OK);

    struct buf sll2 = {0};
    put16(&sll2, 0x0800);
    for (int i = 0; i < 18; i++)
        put8(&sll2, 0);
    put(&sll2, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_SLL2, sll2.b, sll2.n, &o), VR_RTPP_OK);

    struct buf nul = {0}, loop = {0};
    put32(&nul, 0x02000000); /* AF_INET = 2 in little-endian host order */
    put(&nul, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_NULL, nul.b, nul.n, &o), VR_RTPP_OK);
    put32(&loop, 2);
    put(&loop, ip.b, ip.n);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_LOOP, loop.b, loop.n, &o), VR_RTPP_OK);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_NULL, loop.b, loop.n, &o), VR_RTPP_OK);

    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip.b, ip.n, &o), VR_RTPP_OK);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW_FILE, ip.b, ip.n, &o), VR_RTPP_OK);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_IPV4, ip.b, ip.n, &o), VR_RTPP_OK);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_IPV6, ip.b, ip.n, &o), VR_RTPP_BAD_IP);
    assert_int_equal(vr_rtpparse_frame(127, ip.b, ip.n, &o), VR_RTPP_LINK);
    assert_int_equal(o.seq, 0); /* nothing filled for an unknown link */
}

static void test_rtpparse_frame_turn_channel_data(void **state)
{
    struct buf r = {0}, cd = {0}, u = {0}, ip = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 111, 300, 48000, 0x44, 80);
    put16(&cd, 0x4001);
    put16(&cd, (unsigned)r.n);
    put(&cd, r.b, r.n);
    udp(&u, 50001, 3478, &cd);
    ipv4(&ip, 0xb8, 0, 17, &u);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip.b, ip.n, &o), VR_RTPP_OK);
    assert_int_equal(o.channel_data, 1);
    assert_int_equal(o.channel, 0x4001);
    assert_int_equal(o.pt, 111);
    assert_int_equal(o.seq, 300);
    assert_int_equal(o.ssrc, 0x44);
    assert_int_equal(o.payload_len, 80);

    /* a length that claims more than the datagram holds is not ChannelData */
    struct buf bad = {0}, ub = {0}, ipb = {0};
    put16(&bad, 0x4001);
    put16(&bad, 500);
    put(&bad, r.b, r.n);
    udp(&ub, 50001, 3478, &bad);
    ipv4(&ipb, 0, 0, 17, &ub);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ipb.b, ipb.n, &o), VR_RTPP_NOT_RTP);

    /* the same bytes off the relay ports are not unwrapped (first bits 01 are not RTP) */
    struct buf u2 = {0}, ip2 = {0};
    udp(&u2, 50001, 50002, &cd);
    ipv4(&ip2, 0, 0, 17, &u2);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip2.b, ip2.n, &o), VR_RTPP_NOT_RTP);
}

static void test_rtpparse_frame_stun_rtcp_and_junk(void **state)
{
    struct buf s = {0}, u = {0}, ip = {0};
    struct vr_rtp_frame o;
    (void)state;
    put16(&s, 0x0001);
    put16(&s, 0);
    put32(&s, 0x2112A442);
    for (int i = 0; i < 12; i++)
        put8(&s, (unsigned)i);
    udp(&u, 50000, 3478, &s);
    ipv4(&ip, 0, 0, 17, &u);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip.b, ip.n, &o), VR_RTPP_STUN);

    struct buf rr = {0}, u2 = {0}, ip2 = {0};
    put8(&rr, 0x81);
    put8(&rr, 201); /* RTCP receiver report */
    put16(&rr, 7);
    put32(&rr, 1);
    put32(&rr, 2);
    put32(&rr, 3);
    udp(&u2, 50000, 50001, &rr);
    ipv4(&ip2, 0, 0, 17, &u2);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip2.b, ip2.n, &o), VR_RTPP_NOT_RTP);

    struct buf tcp = {0};
    ipv4(&tcp, 0, 0, 6, &rr);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, tcp.b, tcp.n, &o), VR_RTPP_NOT_UDP);

    /* an RTP header whose CSRC count claims more than the datagram */
    struct buf cc = {0}, u3 = {0}, ip3 = {0};
    rtp(&cc, 0, 1, 0, 1, 0);
    cc.b[0] = 0x8f;
    udp(&u3, 1, 2, &cc);
    ipv4(&ip3, 0, 0, 17, &u3);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, ip3.b, ip3.n, &o), VR_RTPP_NOT_RTP);

    /* IP total length shorter than its header, UDP length below 8 */
    struct buf l = {0};
    ipv4(&l, 0, 0, 17, &u3);
    l.b[2] = 0;
    l.b[3] = 10;
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, l.b, l.n, &o), VR_RTPP_BAD_IP);
    struct buf m = {0};
    ipv4(&m, 0, 0, 17, &u3);
    m.b[20 + 4] = 0;
    m.b[20 + 5] = 4;
    assert_int_equal(vr_rtpparse_frame(VR_LINK_RAW, m.b, m.n, &o), VR_RTPP_BAD_IP);
}

static void test_rtpparse_frame_ethernet_padding_ignored(void **state)
{
    /* a 60-byte minimum frame pads a short datagram: padding must not count as RTP payload */
    struct buf r = {0}, u = {0}, f = {0};
    struct vr_rtp_frame o;
    (void)state;
    rtp(&r, 0, 3, 0, 1, 2);
    udp(&u, 1, 2, &r);
    eth_hdr(&f);
    put16(&f, 0x0800);
    ipv4(&f, 0, 0, 17, &u);
    while (f.n < 60)
        put8(&f, 0);
    assert_int_equal(vr_rtpparse_frame(VR_LINK_EN10MB, f.b, f.n, &o), VR_RTPP_OK);
    assert_int_equal(o.payload_len, 2);
    assert_int_equal(o.snapped, 0);
}

static void test_rtpparse_status_name_covers_all(void **state)
{
    (void)state;
    for (int s = 0; s < VR_RTPP_STATUS_COUNT; s++)
        assert_string_not_equal(vr_rtpparse_status_name(s), "other");
    assert_string_equal(vr_rtpparse_status_name(VR_ETRUNC), "truncated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtpparse_frame_ethernet_ipv4),
        cmocka_unit_test(test_rtpparse_frame_every_truncation_is_clean),
        cmocka_unit_test(test_rtpparse_frame_vlan_and_qinq),
        cmocka_unit_test(test_rtpparse_frame_ipv6_extension_headers),
        cmocka_unit_test(test_rtpparse_frame_fragments_skipped),
        cmocka_unit_test(test_rtpparse_frame_link_types),
        cmocka_unit_test(test_rtpparse_frame_turn_channel_data),
        cmocka_unit_test(test_rtpparse_frame_stun_rtcp_and_junk),
        cmocka_unit_test(test_rtpparse_frame_ethernet_padding_ignored),
        cmocka_unit_test(test_rtpparse_status_name_covers_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
