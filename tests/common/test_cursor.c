/* cursor.h: each reader and writer succeeds when exactly its size is left, and one byte short
 * returns VR_ETRUNC with the cursor, the output and the buffer untouched. Values are big endian.
 * System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const uint8_t seq[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

static void assert_rd_at(const struct vr_rd *c, const void *p, size_t left)
{
    assert_ptr_equal(c->p, p);
    assert_int_equal(c->left, left);
}

static void assert_wr_at(const struct vr_wr *c, const void *p, size_t left)
{
    assert_ptr_equal(c->p, p);
    assert_int_equal(c->left, left);
}

static void test_rd_init_sets_cursor(void **state)
{
    struct vr_rd r;
    struct vr_wr w;
    uint8_t buf[4];
    (void)state;

    vr_rd_init(&r, seq, sizeof(seq));
    assert_rd_at(&r, seq, sizeof(seq));
    vr_wr_init(&w, buf, sizeof(buf));
    assert_wr_at(&w, buf, sizeof(buf));
}

static void test_rd_u8_exact_and_short(void **state)
{
    struct vr_rd r;
    uint8_t v = 0xee;
    (void)state;

    vr_rd_init(&r, seq, 1);
    assert_int_equal(vr_rd_u8(&r, &v), 0);
    assert_int_equal(v, 0x01);
    assert_rd_at(&r, seq + 1, 0);

    v = 0xee;
    assert_int_equal(vr_rd_u8(&r, &v), VR_ETRUNC);
    assert_int_equal(v, 0xee);
    assert_rd_at(&r, seq + 1, 0);
}

static void test_rd_u16be_exact_and_short(void **state)
{
    struct vr_rd r;
    uint16_t v = 0xeeee;
    (void)state;

    vr_rd_init(&r, seq, 2);
    assert_int_equal(vr_rd_u16be(&r, &v), 0);
    assert_int_equal(v, 0x0102);
    assert_rd_at(&r, seq + 2, 0);

    v = 0xeeee;
    vr_rd_init(&r, seq, 1);
    assert_int_equal(vr_rd_u16be(&r, &v), VR_ETRUNC);
    assert_int_equal(v, 0xeeee);
    assert_rd_at(&r, seq, 1);
}

static void test_rd_u32be_exact_and_short(void **state)
{
    struct vr_rd r;
    uint32_t v = 0xeeeeeeeeu;
    (void)state;

    vr_rd_init(&r, seq, 4);
    assert_int_equal(vr_rd_u32be(&r, &v), 0);
    assert_int_equal(v, 0x01020304u);
    assert_rd_at(&r, seq + 4, 0);

    v = 0xeeeeeeeeu;
    vr_rd_init(&r, seq, 3);
    assert_int_equal(vr_rd_u32be(&r, &v), VR_ETRUNC);
    assert_int_equal(v, 0xeeeeeeeeu);
    assert_rd_at(&r, seq, 3);
}

static void test_rd_u64be_exact_and_short(void **state)
{
    struct vr_rd r;
    uint64_t v = UINT64_C(0xeeeeeeeeeeeeeeee);
    (void)state;

    vr_rd_init(&r, seq, 8);
    assert_int_equal(vr_rd_u64be(&r, &v), 0);
    assert_int_equal(v, UINT64_C(0x0102030405060708));
    assert_rd_at(&r, seq + 8, 0);

    /* 7 left: the first half would fit, so a half-read must not happen */
    v = UINT64_C(0xeeeeeeeeeeeeeeee);
    vr_rd_init(&r, seq, 7);
    assert_int_equal(vr_rd_u64be(&r, &v), VR_ETRUNC);
    assert_int_equal(v, UINT64_C(0xeeeeeeeeeeeeeeee));
    assert_rd_at(&r, seq, 7);
}

static void test_rd_u64be_high_bits(void **state)
{
    static const uint8_t hi[8] = {0xff, 0xfe, 0xfd, 0xfc, 0x80, 0x00, 0x00, 0x01};
    struct vr_rd r;
    uint64_t v;
    uint32_t v32;
    uint16_t v16;
    (void)state;

    /* top bits must not be lost to int promotion or sign extension */
    vr_rd_init(&r, hi, sizeof(hi));
    assert_int_equal(vr_rd_u64be(&r, &v), 0);
    assert_int_equal(v, UINT64_C(0xfffefdfc80000001));
    vr_rd_init(&r, hi, sizeof(hi));
    assert_int_equal(vr_rd_u32be(&r, &v32), 0);
    assert_int_equal(v32, 0xfffefdfcu);
    vr_rd_init(&r, hi, sizeof(hi));
    assert_int_equal(vr_rd_u16be(&r, &v16), 0);
    assert_int_equal(v16, 0xfffe);
}

static void test_rd_sequence_consumes_in_order(void **state)
{
    struct vr_rd r;
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint8_t d;
    (void)state;

    vr_rd_init(&r, seq, sizeof(seq));
    assert_int_equal(vr_rd_u8(&r, &a), 0);
    assert_int_equal(vr_rd_u16be(&r, &b), 0);
    assert_int_equal(vr_rd_u32be(&r, &c), 0);
    assert_int_equal(vr_rd_u8(&r, &d), 0);
    assert_int_equal(a, 0x01);
    assert_int_equal(b, 0x0203);
    assert_int_equal(c, 0x04050607u);
    assert_int_equal(d, 0x08);
    assert_rd_at(&r, seq + 8, 0);
    assert_int_equal(vr_rd_u8(&r, &d), VR_ETRUNC);
}

static void test_rd_skip_exact_and_short(void **state)
{
    struct vr_rd r;
    (void)state;

    vr_rd_init(&r, seq, sizeof(seq));
    assert_int_equal(vr_rd_skip(&r, 0), 0);
    assert_rd_at(&r, seq, 8);
    assert_int_equal(vr_rd_skip(&r, 3), 0);
    assert_rd_at(&r, seq + 3, 5);
    assert_int_equal(vr_rd_skip(&r, 6), VR_ETRUNC);
    assert_rd_at(&r, seq + 3, 5);
    assert_int_equal(vr_rd_skip(&r, SIZE_MAX), VR_ETRUNC);
    assert_rd_at(&r, seq + 3, 5);
    assert_int_equal(vr_rd_skip(&r, 5), 0);
    assert_rd_at(&r, seq + 8, 0);
}

static void test_rd_bytes_exact_and_short(void **state)
{
    struct vr_rd r;
    uint8_t out[8];
    (void)state;

    vr_rd_init(&r, seq, sizeof(seq));
    memset(out, 0xee, sizeof(out));
    assert_int_equal(vr_rd_bytes(&r, out, 8), 0);
    assert_memory_equal(out, seq, 8);
    assert_rd_at(&r, seq + 8, 0);

    vr_rd_init(&r, seq, 4);
    memset(out, 0xee, sizeof(out));
    assert_int_equal(vr_rd_bytes(&r, out, 5), VR_ETRUNC);
    for (size_t i = 0; i < sizeof(out); i++)
        assert_int_equal(out[i], 0xee);
    assert_rd_at(&r, seq, 4);
    assert_int_equal(vr_rd_bytes(&r, out, 0), 0);
    assert_rd_at(&r, seq, 4);
}

/* Runs a writer on a buffer with exactly n bytes left and on one with n - 1 left. */
#define CHECK_WRITER(fn, v, n, ...)                   \
    do {                                              \
        static const uint8_t want_[] = {__VA_ARGS__}; \
        uint8_t buf_[16];                             \
        struct vr_wr w_;                              \
        assert_int_equal(sizeof(want_), (n));         \
        memset(buf_, 0xee, sizeof(buf_));             \
        vr_wr_init(&w_, buf_, (n));                   \
        assert_int_equal(fn(&w_, (v)), 0);            \
        assert_memory_equal(buf_, want_, (n));        \
        assert_int_equal(buf_[(n)], 0xee);            \
        assert_wr_at(&w_, buf_ + (n), 0);             \
        memset(buf_, 0xee, sizeof(buf_));             \
        vr_wr_init(&w_, buf_, (n)-1);                 \
        assert_int_equal(fn(&w_, (v)), VR_ETRUNC);    \
        assert_wr_at(&w_, buf_, (n)-1);               \
        for (size_t i_ = 0; i_ < sizeof(buf_); i_++)  \
            assert_int_equal(buf_[i_], 0xee);         \
    } while (0)

static void test_wr_u8_exact_and_short(void **state)
{
    (void)state;
    CHECK_WRITER(vr_wr_u8, 0xa5, 1, 0xa5);
}

static void test_wr_u16be_exact_and_short(void **state)
{
    (void)state;
    CHECK_WRITER(vr_wr_u16be, 0x0102, 2, 0x01, 0x02);
    CHECK_WRITER(vr_wr_u16be, 0xfffe, 2, 0xff, 0xfe);
}

static void test_wr_u32be_exact_and_short(void **state)
{
    (void)state;
    CHECK_WRITER(vr_wr_u32be, 0x01020304u, 4, 0x01, 0x02, 0x03, 0x04);
    CHECK_WRITER(vr_wr_u32be, 0xfffefdfcu, 4, 0xff, 0xfe, 0xfd, 0xfc);
}

static void test_wr_u64be_exact_and_short(void **state)
{
    (void)state;
    /* 7 left: the first half would fit, so a half-write must not happen */
    CHECK_WRITER(vr_wr_u64be, UINT64_C(0x0102030405060708), 8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                 0x07, 0x08);
    CHECK_WRITER(vr_wr_u64be, UINT64_C(0xfffefdfc80000001), 8, 0xff, 0xfe, 0xfd, 0xfc, 0x80, 0x00,
                 0x00, 0x01);
}

static void test_wr_zero_exact_and_short(void **state)
{
    uint8_t buf[8];
    struct vr_wr w;
    (void)state;

    memset(buf, 0xee, sizeof(buf));
    vr_wr_init(&w, buf, 6);
    assert_int_equal(vr_wr_zero(&w, 0), 0);
    assert_wr_at(&w, buf, 6);
    assert_int_equal(vr_wr_zero(&w, 7), VR_ETRUNC);
    assert_wr_at(&w, buf, 6);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xee);
    assert_int_equal(vr_wr_zero(&w, 6), 0);
    assert_wr_at(&w, buf + 6, 0);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(buf[6], 0xee);
    assert_int_equal(vr_wr_zero(&w, SIZE_MAX), VR_ETRUNC);
}

static void test_wr_rd_round_trip(void **state)
{
    uint8_t buf[15];
    struct vr_wr w;
    struct vr_rd r;
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    (void)state;

    vr_wr_init(&w, buf, sizeof(buf));
    assert_int_equal(vr_wr_u8(&w, 0x9a), 0);
    assert_int_equal(vr_wr_u16be(&w, 0xbeef), 0);
    assert_int_equal(vr_wr_u32be(&w, 0xcafef00du), 0);
    assert_int_equal(vr_wr_u64be(&w, UINT64_C(0x8000000000000001)), 0);
    assert_int_equal(w.left, 0);
    assert_int_equal(vr_wr_u8(&w, 0), VR_ETRUNC);

    vr_rd_init(&r, buf, sizeof(buf));
    assert_int_equal(vr_rd_u8(&r, &a), 0);
    assert_int_equal(vr_rd_u16be(&r, &b), 0);
    assert_int_equal(vr_rd_u32be(&r, &c), 0);
    assert_int_equal(vr_rd_u64be(&r, &d), 0);
    assert_int_equal(a, 0x9a);
    assert_int_equal(b, 0xbeef);
    assert_int_equal(c, 0xcafef00du);
    assert_int_equal(d, UINT64_C(0x8000000000000001));
    assert_int_equal(r.left, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rd_init_sets_cursor),
        cmocka_unit_test(test_rd_u8_exact_and_short),
        cmocka_unit_test(test_rd_u16be_exact_and_short),
        cmocka_unit_test(test_rd_u32be_exact_and_short),
        cmocka_unit_test(test_rd_u64be_exact_and_short),
        cmocka_unit_test(test_rd_u64be_high_bits),
        cmocka_unit_test(test_rd_sequence_consumes_in_order),
        cmocka_unit_test(test_rd_skip_exact_and_short),
        cmocka_unit_test(test_rd_bytes_exact_and_short),
        cmocka_unit_test(test_wr_u8_exact_and_short),
        cmocka_unit_test(test_wr_u16be_exact_and_short),
        cmocka_unit_test(test_wr_u32be_exact_and_short),
        cmocka_unit_test(test_wr_u64be_exact_and_short),
        cmocka_unit_test(test_wr_zero_exact_and_short),
        cmocka_unit_test(test_wr_rd_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
