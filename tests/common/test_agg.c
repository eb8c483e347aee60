/* System headers before cmocka.h: with UNIT_TESTING it redefines malloc and friends. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"

#define MS 1000000LL

/* Large structs: keep them off the test stack. */
static struct vr_agg a1, a2, a3;
static struct vr_record rec;

static int near(double got, double want, double tol)
{
    return fabs(got - want) <= tol;
}

static struct vr_sample sample(int64_t rtt_ns, bool synced)
{
    struct vr_sample s;
    memset(&s, 0, sizeof(s));
    s.rtt_ns = rtt_ns;
    s.owd_fwd_ns = 10 * MS;
    s.owd_rev_ns = 30 * MS;
    s.clock_synced = synced;
    return s;
}

static void test_agg_to_record_empty(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    memset(&rec, 0xff, sizeof(rec));
    vr_agg_to_record(&a1, vr_codec_find("g711"), &rec);
    assert_int_equal(rec.sent, 0);
    assert_int_equal(rec.received, 0);
    assert_true(rec.loss_pct == 0.0 && rec.loss_fwd_pct == 0.0 && rec.loss_rev_pct == 0.0);
    assert_true(rec.reorder_pct == 0.0);
    assert_false(rec.clock_synced);
    assert_false(rec.has_owd);
    const struct vr_quantiles *qs[] = {&rec.rtt_ms, &rec.owd_fwd_ms, &rec.owd_rev_ms,
                                       &rec.ipdv_fwd_ms, &rec.ipdv_rev_ms};
    for (size_t i = 0; i < 5; i++) {
        assert_true(qs[i]->min == 0.0 && qs[i]->mean == 0.0 && qs[i]->p50 == 0.0);
        assert_true(qs[i]->p95 == 0.0 && qs[i]->p99 == 0.0 && qs[i]->max == 0.0);
    }
    assert_true(rec.jitter_fwd_ms == 0.0 && rec.jitter_rev_ms == 0.0);
    for (size_t i = 0; i < 64; i++)
        assert_true(rec.dscp_fwd[i] == 0 && rec.dscp_rev[i] == 0);
}

/* 100 synced samples, RTT 1..100 ms, OWD 10/30 ms, IPDV -0.5/+0.25 ms, jitter 2/3 ms;
 * sent 100, reflector got 97, 95 replies unique. */
static void fill_synced(struct vr_agg *a, int from, int to)
{
    for (int i = from; i <= to; i++) {
        struct vr_sample s = sample(i * MS, true);
        s.jitter_fwd_ns = 2e6;
        s.jitter_rev_ns = 3e6;
        s.has_ipdv = true;
        s.ipdv_fwd_ns = -500000;
        s.ipdv_rev_ns = 250000;
        s.tos_fwd = i <= 90 ? 0xB8 : 0x01; /* EF, then 10 bleached with ECT(1) kept */
        s.tos_fwd_valid = true;
        s.tos_rev = 0xB9; /* EF + ECT(1) */
        s.tos_rev_valid = true;
        vr_agg_add_sample(a, &s);
    }
}

static void test_agg_to_record_synced(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    fill_synced(&a1, 1, 100);
    a1.sent = 100;
    a1.fwd_received = 97;
    a1.received = 95;
    a1.reordered = 1;
    a1.duplicates = 2;
    a1.late = 3;
    a1.send_overruns = 4;
    a1.burst_loss_max_pct = 20.0;

    memset(&rec, 0, sizeof(rec));
    strcpy(rec.id, "keep-me");
    rec.verdict = VR_LEVEL_WARN;
    vr_agg_to_record(&a1, vr_codec_find("g711"), &rec);

    assert_string_equal(rec.id, "keep-me");
    assert_int_equal(rec.verdict, VR_LEVEL_WARN);
    assert_int_equal(rec.sent, 100);
    assert_int_equal(rec.fwd_received, 97);
    assert_int_equal(rec.received, 95);
    assert_int_equal(rec.duplicates, 2);
    assert_int_equal(rec.late, 3);
    assert_int_equal(rec.send_overruns, 4);
    assert_true(rec.burst_loss_max_pct == 20.0);
    /* 3/100; 2/97 = 2.061856 %; 5/100; reorder 1/95 = 1.052632 %. */
    assert_true(near(rec.loss_fwd_pct, 3.0, 1e-9));
    assert_true(near(rec.loss_rev_pct, 2.0619, 1e-4));
    assert_true(near(rec.loss_pct, 5.0, 1e-9));
    assert_true(near(rec.reorder_pct, 1.0526, 1e-4));

    /* RTT: min/max/mean exact; type-7 p50 = 50.5, p95 = 95.05, p99 = 99.01 within 0.4 %. */
    assert_true(rec.rtt_ms.min == 1.0);
    assert_true(rec.rtt_ms.max == 100.0);
    assert_true(near(rec.rtt_ms.mean, 50.5, 1e-9));
    assert_true(near(rec.rtt_ms.p50, 50.5, 0.004 * 50.5));
    assert_true(near(rec.rtt_ms.p95, 95.05, 0.004 * 95.05));
    assert_true(near(rec.rtt_ms.p99, 99.01, 0.004 * 99.01));

    assert_true(rec.clock_synced);
    assert_true(rec.has_owd);
    /* Constant values: clamping to [min,max] makes every statistic exact. */
    assert_true(rec.owd_fwd_ms.min == 10.0 && rec.owd_fwd_ms.p50 == 10.0);
    assert_true(rec.owd_fwd_ms.p99 == 10.0 && rec.owd_fwd_ms.max == 10.0);
    assert_true(rec.owd_rev_ms.p50 == 30.0 && rec.owd_rev_ms.mean == 30.0);
    assert_true(rec.ipdv_fwd_ms.p50 == 0.5 && rec.ipdv_fwd_ms.max == 0.5);
    assert_true(rec.ipdv_rev_ms.p95 == 0.25);

    assert_true(near(rec.jitter_fwd_ms, 2.0, 1e-12));
    assert_true(near(rec.jitter_rev_ms, 3.0, 1e-12));

    /* 0xB8 = DSCP 46 ECN 0; 0x01 = DSCP 0 ECN 1 (ECT(1)); 0xB9 = DSCP 46 ECN 1. */
    assert_int_equal(rec.dscp_fwd[46], 90);
    assert_int_equal(rec.dscp_fwd[0], 10);
    assert_int_equal(rec.ecn_fwd[0], 90);
    assert_int_equal(rec.ecn_fwd[1], 10);
    assert_int_equal(rec.dscp_rev[46], 100);
    assert_int_equal(rec.ecn_rev[1], 100);
    assert_int_equal(rec.ecn_rev[0], 0);

    /* MOS: worse owd p50 = 30 ms, jitter max(2, 3) = 3 ms, loss 5 %, G.711:
     * d = 30 + 2 x 3 + 20 = 56 ms, Id = 1.344; Ie_eff = 95 x 5 / (5 + 25.1) = 15.780731;
     * R = 93.2 - 1.344 - 15.780731 = 76.075269; MOS = 3.867442. */
    assert_true(near(rec.mos, 3.867442, 1e-4));
}

static void test_agg_to_record_unsynced_uses_rtt_half(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    for (int i = 0; i < 10; i++) {
        struct vr_sample s = sample(80 * MS, false);
        s.owd_fwd_ns = INT64_C(3600000000000); /* an hour of clock offset: must be ignored */
        vr_agg_add_sample(&a1, &s);
    }
    a1.sent = a1.fwd_received = a1.received = 10;
    assert_int_equal(a1.unsynced_samples, 10);
    assert_int_equal(a1.synced_samples, 0);
    assert_int_equal(a1.owd_fwd.count, 0);
    vr_agg_to_record(&a1, vr_codec_find("g711"), &rec);
    assert_false(rec.clock_synced);
    assert_false(rec.has_owd);
    assert_true(rec.owd_fwd_ms.p50 == 0.0 && rec.owd_fwd_ms.max == 0.0);
    assert_true(rec.rtt_ms.p50 == 80.0);
    /* owd = 80 / 2 = 40, jitter 0, codec 20: d = 60, Id = 1.44, R = 91.76, MOS = 4.379697. */
    assert_true(near(rec.mos, 4.379697, 1e-4));
}

static void test_agg_to_record_mixed_sync_is_unsynced(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    for (int i = 0; i < 5; i++) {
        struct vr_sample s = sample(80 * MS, true);
        vr_agg_add_sample(&a1, &s);
    }
    struct vr_sample s = sample(80 * MS, false);
    vr_agg_add_sample(&a1, &s);
    assert_int_equal(a1.synced_samples, 5);
    assert_int_equal(a1.unsynced_samples, 1);
    assert_int_equal(a1.owd_fwd.count, 5);
    assert_int_equal(a1.rtt.count, 6);
    vr_agg_to_record(&a1, NULL, &rec);
    assert_false(rec.clock_synced);
    assert_false(rec.has_owd);
    /* Same MOS as the unsynced case: rtt/2 = 40 ms, not the 30 ms owd. */
    assert_true(near(rec.mos, 4.379697, 1e-4));
}

static void test_agg_add_sample_negative_values(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    struct vr_sample s = sample(-5 * MS, true);
    s.owd_fwd_ns = -1;
    s.has_ipdv = true;
    s.ipdv_fwd_ns = INT64_MIN;
    s.ipdv_rev_ns = -7000;
    vr_agg_add_sample(&a1, &s);
    assert_int_equal(a1.rtt.min_ns, 0);
    assert_int_equal(a1.rtt.max_ns, 0);
    assert_int_equal(a1.owd_fwd.max_ns, 0);
    assert_true(a1.ipdv_fwd.max_ns == UINT64_C(1) << 63);
    assert_int_equal(a1.ipdv_rev.max_ns, 7000);
}

static void test_agg_add_sample_invalid_tos_ignored(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    struct vr_sample s = sample(MS, true);
    s.tos_fwd = 0xB8;
    s.tos_rev = 0xFF;
    s.tos_rev_valid = true; /* DSCP 63, CE */
    vr_agg_add_sample(&a1, &s);
    uint64_t sum = 0;
    for (size_t i = 0; i < 64; i++)
        sum += a1.dscp_fwd[i];
    for (size_t i = 0; i < 4; i++)
        sum += a1.ecn_fwd[i];
    assert_int_equal(sum, 0);
    assert_int_equal(a1.dscp_rev[63], 1);
    assert_int_equal(a1.ecn_rev[3], 1);
    /* No ipdv: histograms stay empty. */
    assert_int_equal(a1.ipdv_fwd.count, 0);
    assert_int_equal(a1.ipdv_rev.count, 0);
}

static void test_agg_to_record_loss_never_negative(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    /* Reflector counted more than were sent (duplicates): forward and total loss are 0,
     * reverse loss is (12 - 11) / 12 = 8.3333 %. */
    a1.sent = 10;
    a1.fwd_received = 12;
    a1.received = 11;
    vr_agg_to_record(&a1, NULL, &rec);
    assert_true(rec.loss_fwd_pct == 0.0);
    assert_true(near(rec.loss_rev_pct, 100.0 / 12.0, 1e-9));
    assert_true(rec.loss_pct == 0.0);
    /* Nothing reached the reflector: forward loss 100 %, reverse undefined, reported 0. */
    a1.fwd_received = 0;
    a1.received = 0;
    vr_agg_to_record(&a1, NULL, &rec);
    assert_true(rec.loss_fwd_pct == 100.0);
    assert_true(rec.loss_rev_pct == 0.0);
    assert_true(rec.loss_pct == 100.0);
}

static void test_agg_merge_equals_single(void **state)
{
    (void)state;
    vr_agg_init(&a1);
    vr_agg_init(&a2);
    vr_agg_init(&a3);
    fill_synced(&a1, 1, 40);
    fill_synced(&a2, 41, 100);
    fill_synced(&a3, 1, 100);
    a1.sent = 40;
    a1.received = 39;
    a1.burst_loss_max_pct = 10.0;
    a2.sent = 60;
    a2.received = 56;
    a2.burst_loss_max_pct = 30.0;
    a2.late = 2;
    vr_agg_merge(&a1, &a2);
    assert_int_equal(a1.sent, 100);
    assert_int_equal(a1.received, 95);
    assert_int_equal(a1.late, 2);
    assert_true(a1.burst_loss_max_pct == 30.0);
    assert_int_equal(a1.synced_samples, a3.synced_samples);
    assert_int_equal(a1.jitter_n, a3.jitter_n);
    assert_true(near(a1.jitter_fwd_sum_ns, a3.jitter_fwd_sum_ns, 1e-3));
    assert_int_equal(a1.rtt.count, 100);
    assert_memory_equal(a1.rtt.buckets, a3.rtt.buckets, sizeof(a1.rtt.buckets));
    assert_memory_equal(a1.owd_rev.buckets, a3.owd_rev.buckets, sizeof(a1.owd_rev.buckets));
    assert_memory_equal(a1.ipdv_fwd.buckets, a3.ipdv_fwd.buckets, sizeof(a1.ipdv_fwd.buckets));
    assert_memory_equal(a1.dscp_fwd, a3.dscp_fwd, sizeof(a1.dscp_fwd));
    assert_memory_equal(a1.ecn_rev, a3.ecn_rev, sizeof(a1.ecn_rev));
    assert_int_equal(a1.rtt.min_ns, 1 * MS);
    assert_int_equal(a1.rtt.max_ns, 100 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_to_record_empty),
        cmocka_unit_test(test_agg_to_record_synced),
        cmocka_unit_test(test_agg_to_record_unsynced_uses_rtt_half),
        cmocka_unit_test(test_agg_to_record_mixed_sync_is_unsynced),
        cmocka_unit_test(test_agg_add_sample_negative_values),
        cmocka_unit_test(test_agg_add_sample_invalid_tos_ignored),
        cmocka_unit_test(test_agg_to_record_loss_never_negative),
        cmocka_unit_test(test_agg_merge_equals_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
