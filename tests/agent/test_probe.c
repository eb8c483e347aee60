/* probe.h: the wire format. Every field survives a round trip at the offset the header draws,
 * the two in-place writers touch only their own bytes, and decode refuses everything that is not
 * a complete voiceready v1 packet with the code the header names. System headers come before
 * cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "probe.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Every field distinct and using its full width, so a swapped or shortened field shows. */
static void make_probe(struct vr_probe *p, enum vr_probe_kind kind)
{
    memset(p, 0, sizeof(*p));
    p->rtp_pt = 0x6f;
    p->rtp_seq = 0xa1b2;
    p->rtp_ts = 0xc3d4e5f6u;
    p->ssrc = 0x01234567u;
    p->kind = kind;
    p->flags = VR_PROBE_F_SYNCED | VR_PROBE_F_TOS_VALID | VR_PROBE_F_TTL_VALID;
    p->reply_dscp = 46;
    p->rx_tos = 0xb8;
    p->rx_ttl = 61;
    p->sender_seq = 0x89abcdefu;
    p->epoch = 0xfedcba98u;
    p->t1_ns = UINT64_C(0x1112131415161718);
    p->t2_ns = UINT64_C(0x2122232425262728);
    p->t3_ns = UINT64_C(0x3132333435363738);
    p->refl_seq = 0x41424344u;
    p->refl_epoch_rx = 0x51525354u;
    p->refl_prev_rx = 0x61626364u;
    p->refl_host = UINT64_C(0x7172737475767778);
}

static void assert_probe_equal(const struct vr_probe *a, const struct vr_probe *b)
{
    assert_int_equal(a->rtp_pt, b->rtp_pt);
    assert_int_equal(a->rtp_seq, b->rtp_seq);
    assert_int_equal(a->rtp_ts, b->rtp_ts);
    assert_int_equal(a->ssrc, b->ssrc);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->reply_dscp, b->reply_dscp);
    assert_int_equal(a->rx_tos, b->rx_tos);
    assert_int_equal(a->rx_ttl, b->rx_ttl);
    assert_int_equal(a->sender_seq, b->sender_seq);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->t1_ns, b->t1_ns);
    assert_int_equal(a->t2_ns, b->t2_ns);
    assert_int_equal(a->t3_ns, b->t3_ns);
    assert_int_equal(a->refl_seq, b->refl_seq);
    assert_int_equal(a->refl_epoch_rx, b->refl_epoch_rx);
    assert_int_equal(a->refl_prev_rx, b->refl_prev_rx);
    assert_int_equal(a->refl_host, b->refl_host);
}

static uint64_t get_be(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

/* A valid request of len bytes in buf. */
static void make_packet(uint8_t *buf, size_t len)
{
    struct vr_probe p;
    make_probe(&p, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&p, buf, len), (int)len);
}

/* Fails unless a and b differ at most at the offsets for which allowed[i] is set. */
static void assert_only_changed(const uint8_t *a, const uint8_t *b, size_t len,
                                const unsigned char *allowed)
{
    for (size_t i = 0; i < len; i++) {
        if (a[i] != b[i] && !allowed[i])
            fail_msg("byte %zu changed from 0x%02x to 0x%02x", i, a[i], b[i]);
    }
}

static void test_probe_encode_decode_round_trip(void **state)
{
    static const enum vr_probe_kind kinds[] = {VR_PROBE_REQUEST, VR_PROBE_REPLY,
                                               VR_PROBE_COUNT_QUERY, VR_PROBE_COUNT_ANSWER};
    static const size_t lens[] = {VR_PROBE_HDR_LEN, 100, 172, 1200, VR_PROBE_MAX_LEN};
    uint8_t buf[VR_PROBE_MAX_LEN];
    (void)state;

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            struct vr_probe in, out;
            make_probe(&in, kinds[k]);
            memset(&out, 0, sizeof(out));
            assert_int_equal(vr_probe_encode(&in, buf, lens[l]), (int)lens[l]);
            assert_int_equal(vr_probe_decode(buf, lens[l], &out), 0);
            assert_probe_equal(&in, &out);
        }
    }
}

static void test_probe_encode_decode_round_trip_extremes(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN];
    struct vr_probe in, out;
    (void)state;

    /* all ones where the wire allows it */
    memset(&in, 0xff, sizeof(in));
    in.rtp_pt = 0x7f;
    in.kind = VR_PROBE_COUNT_ANSWER;
    in.reply_dscp = 63;
    memset(&out, 0, sizeof(out));
    assert_int_equal(vr_probe_encode(&in, buf, sizeof(buf)), VR_PROBE_HDR_LEN);
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
    assert_probe_equal(&in, &out);

    /* all zeros */
    memset(&in, 0, sizeof(in));
    in.kind = VR_PROBE_REQUEST;
    memset(&out, 0xff, sizeof(out));
    assert_int_equal(vr_probe_encode(&in, buf, sizeof(buf)), VR_PROBE_HDR_LEN);
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
    assert_probe_equal(&in, &out);
}

/* Offsets and byte order as drawn in probe.h. */
static void test_probe_encode_layout(void **state)
{
    uint8_t b[VR_PROBE_HDR_LEN];
    struct vr_probe p;
    (void)state;

    make_probe(&p, VR_PROBE_REPLY);
    assert_int_equal(vr_probe_encode(&p, b, sizeof(b)), VR_PROBE_HDR_LEN);
    assert_int_equal(b[0], 0x80); /* V=2 P=0 X=0 CC=0 */
    assert_int_equal(b[1], 0x6f);
    assert_int_equal(get_be(b + 2, 2), 0xa1b2);
    assert_int_equal(get_be(b + 4, 4), 0xc3d4e5f6u);
    assert_int_equal(get_be(b + 8, 4), 0x01234567u);
    assert_int_equal(b[12], 'V');
    assert_int_equal(b[13], 'R');
    assert_int_equal(b[14], VR_PROBE_VERSION);
    assert_int_equal(b[15], VR_PROBE_REPLY);
    assert_int_equal(b[16], 0x07);
    assert_int_equal(b[17], 46);
    assert_int_equal(b[18], 0xb8);
    assert_int_equal(b[19], 61);
    assert_int_equal(get_be(b + 20, 4), 0x89abcdefu);
    assert_int_equal(get_be(b + 24, 4), 0xfedcba98u);
    assert_int_equal(get_be(b + 28, 8), UINT64_C(0x1112131415161718));
    assert_int_equal(get_be(b + 36, 8), UINT64_C(0x2122232425262728));
    assert_int_equal(get_be(b + 44, 8), UINT64_C(0x3132333435363738));
    assert_int_equal(get_be(b + 52, 4), 0x41424344u);
    assert_int_equal(get_be(b + 56, 4), 0x51525354u);
    assert_int_equal(get_be(b + 60, 4), 0x61626364u);
    assert_int_equal(get_be(b + 64, 8), UINT64_C(0x7172737475767778));
}

/* The marker bit is not part of the payload type: encode clears it, decode ignores it. */
static void test_probe_encode_masks_marker_bit(void **state)
{
    uint8_t b[VR_PROBE_HDR_LEN];
    struct vr_probe p, out;
    (void)state;

    make_probe(&p, VR_PROBE_REQUEST);
    p.rtp_pt = 0xff;
    assert_int_equal(vr_probe_encode(&p, b, sizeof(b)), VR_PROBE_HDR_LEN);
    assert_int_equal(b[1], 0x7f);
    b[1] = 0x80 | 0x12;
    assert_int_equal(vr_probe_decode(b, sizeof(b), &out), 0);
    assert_int_equal(out.rtp_pt, 0x12);
}

static void test_probe_encode_zeroes_padding(void **state)
{
    uint8_t buf[VR_PROBE_MAX_LEN + 16];
    struct vr_probe p;
    (void)state;

    make_probe(&p, VR_PROBE_REQUEST);
    for (size_t len = VR_PROBE_HDR_LEN; len <= VR_PROBE_MAX_LEN; len += 100) {
        memset(buf, 0xaa, sizeof(buf));
        assert_int_equal(vr_probe_encode(&p, buf, len), (int)len);
        for (size_t i = VR_PROBE_HDR_LEN; i < len; i++) {
            if (buf[i] != 0)
                fail_msg("len %zu: padding byte %zu is 0x%02x", len, i, buf[i]);
        }
        for (size_t i = len; i < sizeof(buf); i++) {
            if (buf[i] != 0xaa)
                fail_msg("len %zu: byte %zu past the packet written", len, i);
        }
    }
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(vr_probe_encode(&p, buf, VR_PROBE_MAX_LEN), VR_PROBE_MAX_LEN);
    for (size_t i = VR_PROBE_HDR_LEN; i < VR_PROBE_MAX_LEN; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(buf[VR_PROBE_MAX_LEN], 0xaa);
}

static void test_probe_encode_rejects_bad_len(void **state)
{
    static const size_t bad[] = {0, 1, 12, VR_PROBE_HDR_LEN - 1, VR_PROBE_MAX_LEN + 1, 65536};
    uint8_t buf[VR_PROBE_MAX_LEN + 1];
    struct vr_probe p;
    (void)state;

    make_probe(&p, VR_PROBE_REQUEST);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(buf, 0xaa, sizeof(buf));
        /* 65536 exceeds buf, but the range check comes before any write */
        assert_int_equal(vr_probe_encode(&p, buf, bad[i]), VR_ERANGE);
        for (size_t j = 0; j < sizeof(buf); j++)
            assert_int_equal(buf[j], 0xaa);
    }
}

static void test_probe_encode_accepts_len_limits(void **state)
{
    uint8_t buf[VR_PROBE_MAX_LEN];
    struct vr_probe p;
    (void)state;

    make_probe(&p, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&p, buf, VR_PROBE_HDR_LEN), VR_PROBE_HDR_LEN);
    assert_int_equal(vr_probe_encode(&p, buf, VR_PROBE_MAX_LEN), VR_PROBE_MAX_LEN);
}

/* A prefix of a valid packet is incomplete, never "not ours". */
static void test_probe_decode_rejects_short_header(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN];
    (void)state;

    make_packet(buf, sizeof(buf));
    for (size_t len = 0; len < VR_PROBE_HDR_LEN; len++) {
        struct vr_probe out;
        int rc = vr_probe_decode(buf, len, &out);
        if (rc != VR_ETRUNC)
            fail_msg("len %zu: got %d (%s), want VR_ETRUNC", len, rc, vr_strerror(rc));
    }
}

/* Short garbage may be called truncated or foreign, but is never accepted. */
static void test_probe_decode_rejects_short_garbage(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN];
    (void)state;

    memset(buf, 0x55, sizeof(buf));
    for (size_t len = 0; len < VR_PROBE_HDR_LEN; len++) {
        struct vr_probe out;
        int rc = vr_probe_decode(buf, len, &out);
        if (rc != VR_ETRUNC && rc != VR_EMAGIC)
            fail_msg("len %zu: got %d (%s), want VR_ETRUNC or VR_EMAGIC", len, rc, vr_strerror(rc));
    }
}

static void test_probe_decode_accepts_exact_header(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN];
    struct vr_probe in, out;
    (void)state;

    make_probe(&in, VR_PROBE_COUNT_QUERY);
    assert_int_equal(vr_probe_encode(&in, buf, sizeof(buf)), VR_PROBE_HDR_LEN);
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
    assert_probe_equal(&in, &out);
}

/* A stream that is RTP but not version 2 is not ours. */
static void test_probe_decode_rejects_rtp_version(void **state)
{
    static const uint8_t b0[] = {0x00, 0x40, 0xc0, 0x3f, 0xff};
    uint8_t buf[100];
    (void)state;

    for (size_t i = 0; i < sizeof(b0); i++) {
        struct vr_probe out;
        make_packet(buf, sizeof(buf));
        buf[0] = b0[i];
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EMAGIC);
    }
}

static void test_probe_decode_rejects_csrc_extension_padding(void **state)
{
    static const uint8_t b0[] = {0x81, 0x8f, 0x90, 0xa0, 0xbf};
    uint8_t buf[100];
    (void)state;

    for (size_t i = 0; i < sizeof(b0); i++) {
        struct vr_probe out;
        make_packet(buf, sizeof(buf));
        buf[0] = b0[i];
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EINVAL);
    }
}

static void test_probe_decode_rejects_bad_magic(void **state)
{
    uint8_t buf[100];
    struct vr_probe out;
    (void)state;

    make_packet(buf, sizeof(buf));
    buf[12] = 'v';
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EMAGIC);
    make_packet(buf, sizeof(buf));
    buf[13] = 'r';
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EMAGIC);
    make_packet(buf, sizeof(buf));
    buf[12] = 'R';
    buf[13] = 'V';
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EMAGIC);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EMAGIC);
}

static void test_probe_decode_rejects_wrong_version(void **state)
{
    static const uint8_t versions[] = {0, 2, 0x7f, 0xff};
    uint8_t buf[100];
    (void)state;

    for (size_t i = 0; i < sizeof(versions); i++) {
        struct vr_probe out;
        make_packet(buf, sizeof(buf));
        buf[14] = versions[i];
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EVERSION);
    }
}

static void test_probe_decode_rejects_unknown_kind(void **state)
{
    static const uint8_t kinds[] = {0, 5, 0x80, 0xff};
    uint8_t buf[100];
    (void)state;

    for (size_t i = 0; i < sizeof(kinds); i++) {
        struct vr_probe out;
        make_packet(buf, sizeof(buf));
        buf[15] = kinds[i];
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EINVAL);
    }
}

static void test_probe_decode_accepts_every_kind(void **state)
{
    uint8_t buf[100];
    (void)state;

    for (uint8_t k = VR_PROBE_REQUEST; k <= VR_PROBE_COUNT_ANSWER; k++) {
        struct vr_probe out;
        make_packet(buf, sizeof(buf));
        buf[15] = k;
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
        assert_int_equal(out.kind, k);
    }
}

static void test_probe_decode_rejects_reply_dscp_64(void **state)
{
    static const uint8_t bad[] = {64, 65, 0x80, 0xff};
    uint8_t buf[100];
    struct vr_probe out;
    (void)state;

    for (size_t i = 0; i < sizeof(bad); i++) {
        make_packet(buf, sizeof(buf));
        buf[17] = bad[i];
        assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), VR_EINVAL);
    }
    make_packet(buf, sizeof(buf));
    buf[17] = 63;
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
    assert_int_equal(out.reply_dscp, 63);
}

/* The header says padding is not inspected: a middlebox that scribbles there is tolerated. */
static void test_probe_decode_ignores_padding(void **state)
{
    uint8_t buf[200];
    struct vr_probe in, out;
    (void)state;

    make_probe(&in, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&in, buf, sizeof(buf)), (int)sizeof(buf));
    memset(buf + VR_PROBE_HDR_LEN, 0xee, sizeof(buf) - VR_PROBE_HDR_LEN);
    assert_int_equal(vr_probe_decode(buf, sizeof(buf), &out), 0);
    assert_probe_equal(&in, &out);
}

static void test_probe_set_send_fields_touches_only_its_fields(void **state)
{
    uint8_t before[172], after[172];
    unsigned char allowed[172] = {0};
    struct vr_probe want, out;
    (void)state;

    make_probe(&want, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&want, before, sizeof(before)), (int)sizeof(before));
    memcpy(after, before, sizeof(after));
    vr_probe_set_send_fields(after, 0x0102, 0x03040506u, 0x0708090au, 0x0b0c0d0eu,
                             UINT64_C(0x0f10111213141516));

    memset(allowed + 2, 1, 6);   /* RTP seq, timestamp */
    memset(allowed + 20, 1, 16); /* sender_seq, epoch, t1 */
    assert_only_changed(before, after, sizeof(before), allowed);
    assert_int_equal(get_be(after + 2, 2), 0x0102);
    assert_int_equal(get_be(after + 4, 4), 0x03040506u);
    assert_int_equal(get_be(after + 20, 4), 0x0708090au);
    assert_int_equal(get_be(after + 24, 4), 0x0b0c0d0eu);
    assert_int_equal(get_be(after + 28, 8), UINT64_C(0x0f10111213141516));

    want.rtp_seq = 0x0102;
    want.rtp_ts = 0x03040506u;
    want.sender_seq = 0x0708090au;
    want.epoch = 0x0b0c0d0eu;
    want.t1_ns = UINT64_C(0x0f10111213141516);
    assert_int_equal(vr_probe_decode(after, sizeof(after), &out), 0);
    assert_probe_equal(&want, &out);
}

static void test_probe_set_send_fields_on_exact_header(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN + 8];
    struct vr_probe p;
    (void)state;

    memset(buf, 0xaa, sizeof(buf));
    make_probe(&p, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&p, buf, VR_PROBE_HDR_LEN), VR_PROBE_HDR_LEN);
    vr_probe_set_send_fields(buf, UINT16_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT64_MAX);
    for (size_t i = VR_PROBE_HDR_LEN; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xaa);
}

static void test_probe_fill_reply_touches_only_its_fields(void **state)
{
    uint8_t before[172], after[172];
    unsigned char allowed[172] = {0};
    struct vr_probe req, reply, want, out;
    (void)state;

    make_probe(&req, VR_PROBE_REQUEST);
    req.flags = 0;
    req.rx_tos = 0;
    req.rx_ttl = 0;
    req.t2_ns = req.t3_ns = 0;
    req.refl_seq = req.refl_epoch_rx = req.refl_prev_rx = 0;
    req.refl_host = 0;
    assert_int_equal(vr_probe_encode(&req, before, sizeof(before)), (int)sizeof(before));
    memcpy(after, before, sizeof(after));

    /* the reflector's view: fields it must not write carry values that differ from the packet */
    memset(&reply, 0x5a, sizeof(reply));
    reply.kind = VR_PROBE_REPLY;
    reply.flags = VR_PROBE_F_TOS_VALID | VR_PROBE_F_TTL_VALID;
    reply.reply_dscp = 10;
    reply.rx_tos = 0x88;
    reply.rx_ttl = 57;
    reply.t2_ns = UINT64_C(0x8182838485868788);
    reply.t3_ns = UINT64_C(0x9192939495969798);
    reply.refl_seq = 0xa1a2a3a4u;
    reply.refl_epoch_rx = 0xb1b2b3b4u;
    reply.refl_prev_rx = 0xc1c2c3c4u;
    reply.refl_host = UINT64_C(0xd1d2d3d4d5d6d7d8);
    vr_probe_fill_reply(after, &reply);

    allowed[15] = allowed[16] = allowed[18] = allowed[19] = 1; /* kind, flags, rx_tos, rx_ttl */
    memset(allowed + 36, 1, VR_PROBE_HDR_LEN - 36);            /* t2, t3, refl_* */
    assert_only_changed(before, after, sizeof(before), allowed);

    want = req;
    want.kind = VR_PROBE_REPLY;
    want.flags = reply.flags;
    want.rx_tos = reply.rx_tos;
    want.rx_ttl = reply.rx_ttl;
    want.t2_ns = reply.t2_ns;
    want.t3_ns = reply.t3_ns;
    want.refl_seq = reply.refl_seq;
    want.refl_epoch_rx = reply.refl_epoch_rx;
    want.refl_prev_rx = reply.refl_prev_rx;
    want.refl_host = reply.refl_host;
    assert_int_equal(vr_probe_decode(after, sizeof(after), &out), 0);
    assert_probe_equal(&want, &out);
}

static void test_probe_fill_reply_on_exact_header(void **state)
{
    uint8_t buf[VR_PROBE_HDR_LEN + 8];
    struct vr_probe p;
    (void)state;

    memset(buf, 0xaa, sizeof(buf));
    make_probe(&p, VR_PROBE_REQUEST);
    assert_int_equal(vr_probe_encode(&p, buf, VR_PROBE_HDR_LEN), VR_PROBE_HDR_LEN);
    p.kind = VR_PROBE_COUNT_ANSWER;
    vr_probe_fill_reply(buf, &p);
    for (size_t i = VR_PROBE_HDR_LEN; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xaa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_encode_decode_round_trip),
        cmocka_unit_test(test_probe_encode_decode_round_trip_extremes),
        cmocka_unit_test(test_probe_encode_layout),
        cmocka_unit_test(test_probe_encode_masks_marker_bit),
        cmocka_unit_test(test_probe_encode_zeroes_padding),
        cmocka_unit_test(test_probe_encode_rejects_bad_len),
        cmocka_unit_test(test_probe_encode_accepts_len_limits),
        cmocka_unit_test(test_probe_decode_rejects_short_header),
        cmocka_unit_test(test_probe_decode_rejects_short_garbage),
        cmocka_unit_test(test_probe_decode_accepts_exact_header),
        cmocka_unit_test(test_probe_decode_rejects_rtp_version),
        cmocka_unit_test(test_probe_decode_rejects_csrc_extension_padding),
        cmocka_unit_test(test_probe_decode_rejects_bad_magic),
        cmocka_unit_test(test_probe_decode_rejects_wrong_version),
        cmocka_unit_test(test_probe_decode_rejects_unknown_kind),
        cmocka_unit_test(test_probe_decode_accepts_every_kind),
        cmocka_unit_test(test_probe_decode_rejects_reply_dscp_64),
        cmocka_unit_test(test_probe_decode_ignores_padding),
        cmocka_unit_test(test_probe_set_send_fields_touches_only_its_fields),
        cmocka_unit_test(test_probe_set_send_fields_on_exact_header),
        cmocka_unit_test(test_probe_fill_reply_touches_only_its_fields),
        cmocka_unit_test(test_probe_fill_reply_on_exact_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
