/* System headers before cmocka.h: with UNIT_TESTING it redefines malloc and friends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "stats.h"

/* Transit times 0, 16000, 16000, 0, 32000 ns, worked by hand with J += (|D| - J) / 16
 * (RFC 3550 A.8); every step is exact in binary floating point:
 *   p1: first packet              J = 0
 *   p2: D = +16000                J = 0      + (16000 - 0)      / 16 = 1000
 *   p3: D = 0                     J = 1000   + (0 - 1000)       / 16 = 937.5
 *   p4: D = -16000, |D| = 16000   J = 937.5  + (16000 - 937.5)  / 16 = 1878.90625
 *   p5: D = +32000                J = 1878.90625 + (32000 - 1878.90625) / 16 = 3761.474609375 */
static const int64_t transits[] = {0, 16000, 16000, 0, 32000};
static const double want_j[] = {0.0, 1000.0, 937.5, 1878.90625, 3761.474609375};

static void test_jitter_update_hand_worked(void **state)
{
    (void)state;
    struct vr_jitter j;
    vr_jitter_init(&j);
    for (size_t i = 0; i < 5; i++)
        assert_true(vr_jitter_update(&j, transits[i]) == want_j[i]);
    assert_true(j.j_ns == 3761.474609375);
}

static void test_jitter_update_offset_cancels(void **state)
{
    (void)state;
    /* Unsynced clocks: a constant (even negative) offset must not change J. */
    struct vr_jitter j;
    vr_jitter_init(&j);
    for (size_t i = 0; i < 5; i++)
        assert_true(vr_jitter_update(&j, transits[i] - INT64_C(5000000000000)) == want_j[i]);
}

static void test_jitter_update_constant_transit(void **state)
{
    (void)state;
    struct vr_jitter j;
    vr_jitter_init(&j);
    for (int i = 0; i < 100; i++)
        assert_true(vr_jitter_update(&j, 123456) == 0.0);
}

static void test_seqwin_init_rounds_capacity(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 1, 0), 0);
    assert_int_equal(w.cap_bits, 64);
    vr_seqwin_free(&w);
    assert_int_equal(vr_seqwin_init(&w, 64, 0), 0);
    assert_int_equal(w.cap_bits, 64);
    vr_seqwin_free(&w);
    assert_int_equal(vr_seqwin_init(&w, 100, 7), 0);
    assert_int_equal(w.cap_bits, 128);
    assert_int_equal(w.base, 7);
    vr_seqwin_free(&w);
    assert_null(w.bits);
    vr_seqwin_free(&w); /* no-op on a zeroed struct */
}

static void test_seqwin_mark_results(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 64, 100), 0);
    assert_int_equal(vr_seqwin_mark(&w, 100), VR_SEQ_NEW);
    assert_int_equal(vr_seqwin_mark(&w, 100), VR_SEQ_DUP);
    assert_int_equal(vr_seqwin_mark(&w, 163), VR_SEQ_NEW); /* last slot of the window */
    assert_int_equal(vr_seqwin_mark(&w, 164), VR_SEQ_TOO_NEW);
    assert_int_equal(vr_seqwin_mark(&w, 99), VR_SEQ_TOO_OLD);
    assert_int_equal(vr_seqwin_mark(&w, 163), VR_SEQ_DUP);
    assert_int_equal(vr_seqwin_count(&w, 100, 164), 2);
    vr_seqwin_free(&w);
}

static void test_seqwin_mark_wrap(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 64, 0xFFFFFFF0u), 0);
    /* 0xFFFFFFF0 .. 0x0F (32 numbers across the wrap), all but 0xFFFFFFFE and 0x01. */
    for (uint32_t s = 0xFFFFFFF0u; s != 0x10u; s++) {
        if (s == 0xFFFFFFFEu || s == 0x01u)
            continue;
        assert_int_equal(vr_seqwin_mark(&w, s), VR_SEQ_NEW);
    }
    assert_int_equal(vr_seqwin_mark(&w, 0x00u), VR_SEQ_DUP);
    assert_int_equal(vr_seqwin_mark(&w, 0xFFFFFFEFu), VR_SEQ_TOO_OLD);
    assert_int_equal(vr_seqwin_mark(&w, 0x30u), VR_SEQ_TOO_NEW); /* base + 64 */
    assert_int_equal(vr_seqwin_count(&w, 0xFFFFFFF0u, 0x10u), 30);
    assert_int_equal(vr_seqwin_count(&w, 0xFFFFFFFCu, 0x04u), 6);
    assert_int_equal(vr_seqwin_burst_max(&w, 0xFFFFFFF0u, 0x10u, 4), 2); /* FE..01 */

    /* Slide past the wrap: 0x30 reuses the ring slot of the released 0xFFFFFFF0. */
    vr_seqwin_release(&w, 0x08u);
    assert_int_equal(w.base, 0x08u);
    assert_int_equal(vr_seqwin_mark(&w, 0xFFFFFFFFu), VR_SEQ_TOO_OLD);
    assert_int_equal(vr_seqwin_mark(&w, 0x30u), VR_SEQ_NEW);
    assert_int_equal(vr_seqwin_mark(&w, 0x47u), VR_SEQ_NEW);
    assert_int_equal(vr_seqwin_mark(&w, 0x48u), VR_SEQ_TOO_NEW);
    assert_int_equal(vr_seqwin_count(&w, 0x08u, 0x48u), 8 + 2);
    vr_seqwin_free(&w);
}

static void test_seqwin_release_zeroes_bits(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 64, 0), 0);
    for (uint32_t s = 0; s < 64; s++)
        assert_int_equal(vr_seqwin_mark(&w, s), VR_SEQ_NEW);
    /* Partial release: 0..31 freed, their slots now stand for 64..95 and must read empty. */
    vr_seqwin_release(&w, 32);
    assert_int_equal(vr_seqwin_count(&w, 32, 96), 32);
    for (uint32_t s = 64; s < 96; s += 2)
        assert_int_equal(vr_seqwin_mark(&w, s), VR_SEQ_NEW);
    assert_int_equal(vr_seqwin_count(&w, 64, 96), 16);
    /* Release more than the capacity at once: everything is cleared. */
    vr_seqwin_release(&w, 1000);
    assert_int_equal(w.base, 1000);
    assert_int_equal(vr_seqwin_count(&w, 1000, 1064), 0);
    for (uint32_t s = 1000; s < 1064; s++)
        assert_int_equal(vr_seqwin_mark(&w, s), VR_SEQ_NEW);
    /* Releasing backwards or to the base does nothing. */
    vr_seqwin_release(&w, 900);
    vr_seqwin_release(&w, 1000);
    assert_int_equal(w.base, 1000);
    assert_int_equal(vr_seqwin_count(&w, 1000, 1064), 64);
    vr_seqwin_free(&w);
}

static void test_seqwin_count_ranges(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 128, 1000), 0);
    for (uint32_t s = 1000; s < 1100; s++)
        vr_seqwin_mark(&w, s);
    assert_int_equal(vr_seqwin_count(&w, 1000, 1100), 100);
    assert_int_equal(vr_seqwin_count(&w, 1010, 1020), 10);
    /* Parts outside the window count 0. */
    assert_int_equal(vr_seqwin_count(&w, 900, 1010), 10);
    assert_int_equal(vr_seqwin_count(&w, 1090, 2000), 10);
    assert_int_equal(vr_seqwin_count(&w, 500, 600), 0);
    /* Empty and inverted ranges. */
    assert_int_equal(vr_seqwin_count(&w, 1050, 1050), 0);
    assert_int_equal(vr_seqwin_count(&w, 1060, 1050), 0);
    vr_seqwin_free(&w);
}

static void test_seqwin_burst_max_burst_of_four(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 128, 1000), 0);
    /* 1000..1099 arrive except 1020-1023 (burst of 4) and singles 1050, 1060, 1065. The worst
     * 10-number run holds the burst: 4. The singles 1060 and 1065 together give only 2. */
    for (uint32_t s = 1000; s < 1100; s++) {
        if ((s >= 1020 && s <= 1023) || s == 1050 || s == 1060 || s == 1065)
            continue;
        vr_seqwin_mark(&w, s);
    }
    assert_int_equal(vr_seqwin_burst_max(&w, 1000, 1100, 10), 4);
    assert_int_equal(vr_seqwin_burst_max(&w, 1040, 1100, 10), 2);
    assert_int_equal(vr_seqwin_burst_max(&w, 1000, 1100, 1), 1);
    assert_int_equal(vr_seqwin_burst_max(&w, 1000, 1100, 0), 0);
    /* Range shorter than the span: the whole range is the run. */
    assert_int_equal(vr_seqwin_burst_max(&w, 1019, 1025, 10), 4);
    assert_int_equal(vr_seqwin_burst_max(&w, 1048, 1052, 10), 1);
    assert_int_equal(vr_seqwin_burst_max(&w, 1030, 1040, 10), 0);
    assert_int_equal(vr_seqwin_burst_max(&w, 1030, 1030, 10), 0);
    vr_seqwin_free(&w);
}

static void test_seqwin_burst_max_split_losses(void **state)
{
    (void)state;
    struct vr_seqwin w;
    assert_int_equal(vr_seqwin_init(&w, 64, 0xFFFFFFE0u), 0);
    /* Across the wrap: 0xFFFFFFFE, 0xFFFFFFFF, 0x00 and 0x05, 0x06 missing; the run
     * 0xFFFFFFFD..0x06 (10 numbers) holds all 5. */
    for (uint32_t s = 0xFFFFFFE0u; s != 0x20u; s++) {
        if (s == 0xFFFFFFFEu || s == 0xFFFFFFFFu || s == 0x00u || s == 0x05u || s == 0x06u)
            continue;
        vr_seqwin_mark(&w, s);
    }
    assert_int_equal(vr_seqwin_burst_max(&w, 0xFFFFFFE0u, 0x20u, 10), 5);
    assert_int_equal(vr_seqwin_burst_max(&w, 0xFFFFFFE0u, 0x20u, 3), 3);
    assert_int_equal(vr_seqwin_burst_max(&w, 0x02u, 0x20u, 10), 2);
    vr_seqwin_free(&w);
}

static void test_reorder_update_one_late(void **state)
{
    (void)state;
    struct vr_reorder r;
    vr_reorder_init(&r);
    /* 1,2,4,3,5: NextExp 2,3,5; 3 < 5 is reordered; 5 >= 5 is not. */
    static const uint32_t seq[] = {1, 2, 4, 3, 5};
    static const int want[] = {0, 0, 0, 1, 0};
    int total = 0;
    for (size_t i = 0; i < 5; i++) {
        int got = vr_reorder_update(&r, seq[i]);
        assert_int_equal(got, want[i]);
        total += got;
    }
    assert_int_equal(total, 1);
    assert_int_equal(r.next_exp, 6);
}

static void test_reorder_update_swap(void **state)
{
    (void)state;
    struct vr_reorder r;
    vr_reorder_init(&r);
    /* 1,3,2,4: only 2 is reordered (NextExp is 4 when it comes). */
    static const uint32_t seq[] = {1, 3, 2, 4};
    int total = 0;
    for (size_t i = 0; i < 4; i++)
        total += vr_reorder_update(&r, seq[i]);
    assert_int_equal(total, 1);
}

static void test_reorder_update_wrap(void **state)
{
    (void)state;
    struct vr_reorder r;
    vr_reorder_init(&r);
    assert_int_equal(vr_reorder_update(&r, 0xFFFFFFFEu), 0);
    assert_int_equal(vr_reorder_update(&r, 0x00u), 0); /* jump over 0xFFFFFFFF */
    assert_int_equal(vr_reorder_update(&r, 0xFFFFFFFFu), 1);
    assert_int_equal(vr_reorder_update(&r, 0x01u), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jitter_update_hand_worked),
        cmocka_unit_test(test_jitter_update_offset_cancels),
        cmocka_unit_test(test_jitter_update_constant_transit),
        cmocka_unit_test(test_seqwin_init_rounds_capacity),
        cmocka_unit_test(test_seqwin_mark_results),
        cmocka_unit_test(test_seqwin_mark_wrap),
        cmocka_unit_test(test_seqwin_release_zeroes_bits),
        cmocka_unit_test(test_seqwin_count_ranges),
        cmocka_unit_test(test_seqwin_burst_max_burst_of_four),
        cmocka_unit_test(test_seqwin_burst_max_split_losses),
        cmocka_unit_test(test_reorder_update_one_late),
        cmocka_unit_test(test_reorder_update_swap),
        cmocka_unit_test(test_reorder_update_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
