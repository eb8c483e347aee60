/* System headers before cmocka.h: with UNIT_TESTING it redefines malloc and friends. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hist.h"

/* The histogram is ~16 KB: keep it off the test stack. */
static struct vr_hist h1, h2, h3;

/* Deterministic xorshift64* so failures reproduce. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0; /* [0, 1) */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact type-7 quantile of a sorted array, the rule vr_hist_quantile_ns() documents. */
static double exact_quantile(const uint64_t *v, size_t n, double q)
{
    double rank = q * (double)(n - 1);
    size_t k = (size_t)rank;
    double frac = rank - (double)k;
    if (k + 1 >= n)
        return (double)v[n - 1];
    return (double)v[k] + frac * ((double)v[k + 1] - (double)v[k]);
}

static const double qs[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};

static void check_precision(uint64_t *v, size_t n)
{
    vr_hist_init(&h1);
    for (size_t i = 0; i < n; i++)
        vr_hist_add(&h1, v[i]);
    qsort(v, n, sizeof(v[0]), cmp_u64);
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        double want = exact_quantile(v, n, qs[i]);
        double got = vr_hist_quantile_ns(&h1, qs[i]);
        assert_true(fabs(got - want) <= 0.004 * want);
    }
    assert_true(vr_hist_quantile_ns(&h1, 0.0) == (double)v[0]);
    assert_true(vr_hist_quantile_ns(&h1, 1.0) == (double)v[n - 1]);
}

static void test_hist_init_empty(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    assert_int_equal(h1.count, 0);
    assert_true(h1.min_ns == UINT64_MAX);
    assert_int_equal(h1.max_ns, 0);
    assert_true(vr_hist_quantile_ns(&h1, 0.0) == 0.0);
    assert_true(vr_hist_quantile_ns(&h1, 0.5) == 0.0);
    assert_true(vr_hist_quantile_ns(&h1, 1.0) == 0.0);
    assert_true(vr_hist_mean_ns(&h1) == 0.0);
}

static void test_hist_quantile_uniform_grid(void **state)
{
    (void)state;
    /* 1..100000 us in 1 us steps: the exact p-quantile is (1 + p * 99999) us. */
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)(i + 1) * 1000u;
    check_precision(v, n);
    assert_true(fabs(vr_hist_quantile_ns(&h1, 0.5) - 50000500.0) <= 0.004 * 50000500.0);
    assert_true(fabs(vr_hist_mean_ns(&h1) - 50000500.0) < 1e-6);
    free(v);
}

static void test_hist_quantile_uniform_random(void **state)
{
    (void)state;
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i < n; i++)
        v[i] = 1000u + rng_next() % UINT64_C(99999001); /* 1 us .. 100 ms */
    check_precision(v, n);
    free(v);
}

static void test_hist_quantile_exponential(void **state)
{
    (void)state;
    /* Skewed, long-tailed like real delay: exponential with mean 5 ms over a 1 ms floor. */
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    rng_state = UINT64_C(12345);
    for (size_t i = 0; i < n; i++)
        v[i] = 1000000u + (uint64_t)(-log(1.0 - rng_unit()) * 5e6);
    check_precision(v, n);
    free(v);
}

static void test_hist_quantile_exact_below_128(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    for (uint64_t i = 0; i < 128; i++)
        vr_hist_add(&h1, i);
    /* Rank q * 127 = k lands on value k exactly. */
    for (uint64_t k = 0; k < 128; k++)
        assert_true(vr_hist_quantile_ns(&h1, (double)k / 127.0) == (double)k);
    assert_true(vr_hist_quantile_ns(&h1, 0.5) == 63.5);
}

static void test_hist_add_zero(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    for (int i = 0; i < 3; i++)
        vr_hist_add(&h1, 0);
    assert_int_equal(h1.count, 3);
    assert_int_equal(h1.min_ns, 0);
    assert_int_equal(h1.max_ns, 0);
    assert_int_equal(h1.buckets[0], 3);
    assert_true(vr_hist_quantile_ns(&h1, 0.5) == 0.0);
    assert_true(vr_hist_quantile_ns(&h1, 0.99) == 0.0);
    assert_true(vr_hist_mean_ns(&h1) == 0.0);
}

static void test_hist_add_single_value(void **state)
{
    (void)state;
    /* One sample: every quantile is that sample (clamped to [min,max], no bucket smear). */
    vr_hist_init(&h1);
    vr_hist_add(&h1, 12345678);
    assert_true(vr_hist_quantile_ns(&h1, 0.01) == 12345678.0);
    assert_true(vr_hist_quantile_ns(&h1, 0.5) == 12345678.0);
    assert_true(vr_hist_quantile_ns(&h1, 0.99) == 12345678.0);
    assert_true(vr_hist_mean_ns(&h1) == 12345678.0);
}

static void test_hist_add_at_and_above_max(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    vr_hist_add(&h1, VR_HIST_MAX_NS);
    vr_hist_add(&h1, VR_HIST_MAX_NS + 1);
    vr_hist_add(&h1, UINT64_MAX);
    assert_int_equal(h1.count, 3);
    assert_true(h1.min_ns == VR_HIST_MAX_NS);
    assert_true(h1.max_ns == UINT64_MAX);
    /* All three share the top bucket; no other bucket is touched. */
    uint64_t total = 0;
    uint32_t top = 0;
    for (unsigned i = 0; i < VR_HIST_BUCKETS; i++) {
        total += h1.buckets[i];
        if (h1.buckets[i] != 0)
            top = h1.buckets[i];
    }
    assert_int_equal(total, 3);
    assert_int_equal(top, 3);
    double p50 = vr_hist_quantile_ns(&h1, 0.5);
    assert_true(p50 >= (double)VR_HIST_MAX_NS);
    assert_true(p50 <= (double)UINT64_MAX);
    assert_true(vr_hist_quantile_ns(&h1, 1.0) == (double)UINT64_MAX);
    assert_true(vr_hist_quantile_ns(&h1, 0.0) == (double)VR_HIST_MAX_NS);
    /* The sum is of the real values, not the clamped ones. */
    double want_sum = 2.0 * (double)VR_HIST_MAX_NS + 1.0 + (double)UINT64_MAX;
    assert_true(fabs(h1.sum_ns - want_sum) <= 1e-12 * want_sum);
}

static void test_hist_add_top_bucket_separate_from_below(void **state)
{
    (void)state;
    /* A value well below the clamp and one above it stay apart: p0 is exact, p100 exact. */
    vr_hist_init(&h1);
    vr_hist_add(&h1, UINT64_C(1000000000)); /* 1 s */
    vr_hist_add(&h1, UINT64_C(1) << 40);    /* ~18 min, above the clamp */
    assert_true(vr_hist_quantile_ns(&h1, 0.0) == 1e9);
    assert_true(vr_hist_quantile_ns(&h1, 1.0) == (double)(UINT64_C(1) << 40));
    double p25 = vr_hist_quantile_ns(&h1, 0.25);
    assert_true(p25 > 1e9 && p25 < (double)VR_HIST_MAX_NS);
}

static void test_hist_merge_equals_adding_all(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    vr_hist_init(&h2);
    vr_hist_init(&h3);
    rng_state = UINT64_C(777);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = rng_next() % UINT64_C(1000000000);
        vr_hist_add((i & 1) ? &h1 : &h2, v);
        vr_hist_add(&h3, v);
    }
    vr_hist_merge(&h1, &h2);
    assert_int_equal(h1.count, h3.count);
    assert_int_equal(h1.min_ns, h3.min_ns);
    assert_int_equal(h1.max_ns, h3.max_ns);
    /* Integer values below 2^53 summed in another order still sum exactly. */
    assert_true(h1.sum_ns == h3.sum_ns);
    assert_memory_equal(h1.buckets, h3.buckets, sizeof(h1.buckets));
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
        assert_true(vr_hist_quantile_ns(&h1, qs[i]) == vr_hist_quantile_ns(&h3, qs[i]));
}

static void test_hist_merge_empty(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    vr_hist_init(&h2);
    vr_hist_add(&h2, 500);
    vr_hist_add(&h2, 700);
    /* Empty into non-empty changes nothing. */
    vr_hist_merge(&h2, &h1);
    assert_int_equal(h2.count, 2);
    assert_int_equal(h2.min_ns, 500);
    assert_int_equal(h2.max_ns, 700);
    /* Non-empty into empty copies min/max (min was UINT64_MAX). */
    vr_hist_merge(&h1, &h2);
    assert_int_equal(h1.count, 2);
    assert_int_equal(h1.min_ns, 500);
    assert_int_equal(h1.max_ns, 700);
    assert_true(vr_hist_mean_ns(&h1) == 600.0);
}

static void test_hist_quantile_out_of_range_q(void **state)
{
    (void)state;
    vr_hist_init(&h1);
    vr_hist_add(&h1, 10);
    vr_hist_add(&h1, 20000);
    assert_true(vr_hist_quantile_ns(&h1, -1.0) == 10.0);
    assert_true(vr_hist_quantile_ns(&h1, NAN) == 10.0);
    assert_true(vr_hist_quantile_ns(&h1, 2.0) == 20000.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_init_empty),
        cmocka_unit_test(test_hist_quantile_uniform_grid),
        cmocka_unit_test(test_hist_quantile_uniform_random),
        cmocka_unit_test(test_hist_quantile_exponential),
        cmocka_unit_test(test_hist_quantile_exact_below_128),
        cmocka_unit_test(test_hist_add_zero),
        cmocka_unit_test(test_hist_add_single_value),
        cmocka_unit_test(test_hist_add_at_and_above_max),
        cmocka_unit_test(test_hist_add_top_bucket_separate_from_below),
        cmocka_unit_test(test_hist_merge_equals_adding_all),
        cmocka_unit_test(test_hist_merge_empty),
        cmocka_unit_test(test_hist_quantile_out_of_range_q),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
