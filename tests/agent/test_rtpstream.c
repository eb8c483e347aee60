/* rtpstream.h: sequence accounting (gaps, wrap, duplicates, reorder, restart), probation,
 * jitter in the payload type's clock, max delta, DSCP, class, judgement. Arrival times are
 * given exactly, so every expected value is computed by hand here.
 * System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rtpstream.h"
#include "score.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define MS 1000000ull

/* n packets at 20 ms pacing from seq0, 160 ticks each (8 kHz), skipping those in skip[]. */
static void feed(struct vr_rtpstream *s, uint16_t seq0, int n, const int *skip, size_t nskip)
{
    for (int i = 0; i < n; i++) {
        int drop = 0;
        for (size_t k = 0; k < nskip; k++)
            drop |= skip[k] == i;
        if (!drop)
            vr_rtpstream_add(s, 1000 * MS + (uint64_t)i * 20 * MS, (uint16_t)(seq0 + i),
                             (uint32_t)(i * 160), 46);
    }
}

/* A capture that steps back in time (fuzz-found): the last packet is stamped before the first.
 * The duration is 0, not 2^64 ns, so the stream's record stays one the collector takes. */
static void test_rtpstream_result_time_steps_back(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    for (int i = 0; i < 5; i++) /* 1.000, 1.020, ... then 0.5 s: before the first */
        vr_rtpstream_add(&s, i < 4 ? 1000 * MS + (uint64_t)i * 20 * MS : 500 * MS,
                         (uint16_t)(100 + i), (uint32_t)(i * 160), 46);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 5);
    assert_true(r.duration_s == 0.0);
    assert_true(fabs(r.max_delta_ms - 20.0) < 1e-9);
}

static void test_rtpstream_add_clean_stream(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    feed(&s, 100, 50, NULL, 0);
    assert_true(vr_rtpstream_confirmed(&s));
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 50);
    assert_int_equal(r.expected, 50);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.duplicates, 0);
    assert_true(r.jitter_ms == 0.0);
    assert_true(r.jitter_max_ms == 0.0);
    assert_true(fabs(r.max_delta_ms - 20.0) < 1e-9);
    assert_true(fabs(r.duration_s - 0.98) < 1e-9);
    assert_int_equal(r.dscp_top, 46);
}

static void test_rtpstream_add_loss_across_wrap(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    const int skip[] = {3, 10, 11, 12}; /* 65533+10 = 7 after the wrap */
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    feed(&s, 65530, 40, skip, 4);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 36);
    assert_int_equal(r.expected, 40);
    assert_int_equal(r.lost, 4);
    assert_true(fabs(r.loss_pct - 10.0) < 1e-9);
    assert_true(fabs(r.max_delta_ms - 80.0) < 1e-9); /* three missing: a 80 ms gap */
}

static void test_rtpstream_add_duplicates_and_reorder(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    uint16_t seqs[] = {10, 11, 12, 14, 13, 15, 15, 16, 12, 17};
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        vr_rtpstream_add(&s, i * 20 * MS, seqs[i], (uint32_t)(seqs[i] - 10) * 160, 0);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 10);
    assert_int_equal(r.duplicates, 2); /* 15 and the late 12 */
    assert_int_equal(r.expected, 8);
    assert_int_equal(r.lost, 0);
    assert_true(fabs(r.reorder_pct - 100.0 / 8.0) < 1e-9); /* 13 after 14 */
    assert_int_equal(r.dscp_top, 0);
}

static void test_rtpstream_add_restart_resyncs(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    feed(&s, 1000, 10, NULL, 0); /* 1000..1009 */
    /* a stray far away is ignored ... */
    vr_rtpstream_add(&s, 2000 * MS, 30000, 0, 0);
    vr_rtpstream_add(&s, 2020 * MS, 1010, 1600, 0);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.expected, 11);
    assert_int_equal(r.lost, 0);
    /* ... but two in a row from a new place are a restart: counts continue */
    vr_rtpstream_add(&s, 2040 * MS, 40000, 0, 0);
    vr_rtpstream_add(&s, 2060 * MS, 40001, 160, 0);
    vr_rtpstream_add(&s, 2080 * MS, 40003, 480, 0);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 15);
    assert_int_equal(r.expected, 11 + 4);
    assert_int_equal(r.lost, 1);
}

static void test_rtpstream_add_stray_stays_out_of_jitter(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    /* a perfectly paced stream and, in the middle, a packet with sequence 0 and timestamp 0
     * (what voiceready's end-of-run count query looks like) */
    vr_rtpstream_init(&s, 0, 8000);
    for (int i = 0; i < 100; i++) {
        if (i == 50)
            vr_rtpstream_add(&s, 1000 * MS + 50 * 20 * MS - MS, 0, 0, 0);
        vr_rtpstream_add(&s, 1000 * MS + (uint64_t)i * 20 * MS, (uint16_t)(5000 + i),
                         (uint32_t)(i * 160), 46);
    }
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 101);
    assert_int_equal(r.expected, 100);
    assert_int_equal(r.lost, 0);
    assert_true(r.jitter_max_ms == 0.0);
    assert_true(fabs(r.max_delta_ms - 20.0) < 1e-9);
}

static void test_rtpstream_add_probation_restarts_on_junk(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    vr_rtpstream_init(&s, 0, 8000);
    vr_rtpstream_add(&s, 0, 5, 0, 0);
    assert_false(vr_rtpstream_confirmed(&s));
    vr_rtpstream_add(&s, 1 * MS, 40000, 0, 0); /* not a successor: start again from here */
    assert_false(vr_rtpstream_confirmed(&s));
    vr_rtpstream_add(&s, 2 * MS, 40001, 160, 0);
    assert_false(vr_rtpstream_confirmed(&s));
    vr_rtpstream_add(&s, 3 * MS, 40003, 320, 0);
    assert_true(vr_rtpstream_confirmed(&s));
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.packets, 3);
    assert_int_equal(r.expected, 4);
    assert_int_equal(r.lost, 1);
}

static void test_rtpstream_add_jitter_in_clock_units(void **state)
{
    struct vr_rtpstream s, t;
    struct vr_rtpstream_result r;
    (void)state;
    /* second packet 4 ms late, third on time: |D| = 4 ms then 4 ms:
     * J1 = 4/16 = 0.25 ms, J2 = 0.25 + (4 - 0.25)/16 = 0.484375 ms */
    vr_rtpstream_init(&s, 0, 8000);
    vr_rtpstream_add(&s, 0, 1, 0, 0);
    vr_rtpstream_add(&s, 24 * MS, 2, 160, 0);
    vr_rtpstream_add(&s, 40 * MS, 3, 320, 0);
    vr_rtpstream_result(&s, &r);
    assert_true(fabs(r.jitter_ms - 0.484375) < 1e-9);
    assert_true(fabs(r.jitter_max_ms - 0.484375) < 1e-9);
    /* the same arrivals with a 48 kHz clock and 960 ticks per 20 ms give the same jitter */
    vr_rtpstream_init(&t, 111, 48000);
    vr_rtpstream_add(&t, 0, 1, 4294966000u, 0); /* timestamps wrap too */
    vr_rtpstream_add(&t, 24 * MS, 2, 4294966000u + 960u, 0);
    vr_rtpstream_add(&t, 40 * MS, 3, (uint32_t)(4294966000u + 1920u), 0);
    vr_rtpstream_result(&t, &r);
    assert_true(fabs(r.jitter_ms - 0.484375) < 1e-9);
    /* the wrong clock (8 kHz for 48 kHz timestamps) shows as large jitter */
    vr_rtpstream_init(&t, 111, 8000);
    vr_rtpstream_add(&t, 0, 1, 0, 0);
    vr_rtpstream_add(&t, 20 * MS, 2, 960, 0);
    vr_rtpstream_result(&t, &r);
    assert_true(fabs(r.jitter_ms - 100.0 / 16.0) < 1e-9); /* |20 - 120| / 16 */
}

static void test_rtpstream_result_infers_unknown_clock(void **state)
{
    struct vr_rtpstream s;
    struct vr_rtpstream_result r;
    (void)state;
    /* 16 kHz timestamps (320 per 20 ms), every 10th packet 4 ms late, 5 s long */
    vr_rtpstream_init(&s, 111, 0);
    for (int i = 0; i < 250; i++)
        vr_rtpstream_add(&s, (uint64_t)i * 20 * MS + (i % 10 == 5 ? 4 * MS : 0), (uint16_t)(7 + i),
                         (uint32_t)(i * 320), 46);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.clock_hz, 16000);
    assert_int_equal(r.clock_source, VR_CLOCK_INFERRED);
    struct vr_rtpstream g;
    vr_rtpstream_init(&g, 111, 16000); /* the same with the clock given: same jitter */
    for (int i = 0; i < 250; i++)
        vr_rtpstream_add(&g, (uint64_t)i * 20 * MS + (i % 10 == 5 ? 4 * MS : 0), (uint16_t)(7 + i),
                         (uint32_t)(i * 320), 46);
    struct vr_rtpstream_result rg;
    vr_rtpstream_result(&g, &rg);
    assert_int_equal(rg.clock_source, VR_CLOCK_GIVEN);
    assert_true(fabs(r.jitter_ms - rg.jitter_ms) < 1e-9);
    assert_true(fabs(r.jitter_max_ms - rg.jitter_max_ms) < 1e-9);
    assert_true(fabs(rg.jitter_max_ms - 1.0185798) < 1e-6); /* the RFC filter, by hand */

    /* too short to tell (0.38 s): the 48 kHz default, said so */
    vr_rtpstream_init(&s, 111, 0);
    for (int i = 0; i < 20; i++)
        vr_rtpstream_add(&s, (uint64_t)i * 20 * MS, (uint16_t)i, (uint32_t)(i * 320), 46);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.clock_hz, VR_RTP_DYNAMIC_CLOCK_HZ);
    assert_int_equal(r.clock_source, VR_CLOCK_DEFAULT);

    /* a rate matching no common clock (12 kHz): the default */
    vr_rtpstream_init(&s, 111, 0);
    for (int i = 0; i < 200; i++)
        vr_rtpstream_add(&s, (uint64_t)i * 20 * MS, (uint16_t)i, (uint32_t)(i * 240), 46);
    vr_rtpstream_result(&s, &r);
    assert_int_equal(r.clock_source, VR_CLOCK_DEFAULT);
}

static void test_rtp_static_clock_hz_table(void **state)
{
    (void)state;
    assert_int_equal(vr_rtp_static_clock_hz(0), 8000);
    assert_int_equal(vr_rtp_static_clock_hz(8), 8000);
    assert_int_equal(vr_rtp_static_clock_hz(9), 8000); /* G.722 */
    assert_int_equal(vr_rtp_static_clock_hz(18), 8000);
    assert_int_equal(vr_rtp_static_clock_hz(34), 90000);
    assert_int_equal(vr_rtp_static_clock_hz(111), 0);
    struct vr_rtpstream s;
    vr_rtpstream_init(&s, 111, 0);
    assert_int_equal(s.clock_hz, VR_RTP_DYNAMIC_CLOCK_HZ);
}

static void test_rtp_class_by_dscp_then_ports(void **state)
{
    (void)state;
    assert_string_equal(vr_rtp_class(46, 1, 2), "audio");
    assert_string_equal(vr_rtp_class(34, 50000, 2), "video");
    assert_string_equal(vr_rtp_class(18, 1, 2), "sharing");
    assert_string_equal(vr_rtp_class(0, 50019, 2), "audio");
    assert_string_equal(vr_rtp_class(0, 1, 50020), "video");
    assert_string_equal(vr_rtp_class(0, 3481, 2), "sharing");
    assert_string_equal(vr_rtp_class(0, 3479, 2), "audio");
    assert_string_equal(vr_rtp_class(-1, 5004, 5006), "unknown");
}

static void test_rtpstream_judge_levels(void **state)
{
    struct vr_thresholds t;
    struct vr_rtpstream_result r;
    char reasons[4][VR_RECORD_REASON_LEN];
    size_t n;
    double mos;
    (void)state;
    assert_int_equal(vr_thresholds_by_name("client", &t, NULL), 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(vr_rtpstream_judge(&r, 0, &t, &mos, reasons, 4, &n), VR_LEVEL_PASS);
    assert_int_equal(n, 0);
    assert_true(mos > 4.3 && mos < 4.5);
    r.loss_pct = 0.85; /* warn band from 80 % of 1 % */
    assert_int_equal(vr_rtpstream_judge(&r, 0, &t, &mos, reasons, 4, &n), VR_LEVEL_WARN);
    assert_int_equal(n, 1);
    assert_string_equal(reasons[0], "near threshold: loss 0.85 % (threshold 1 %)");
    r.jitter_ms = 31.0;
    assert_int_equal(vr_rtpstream_judge(&r, 0, &t, &mos, reasons, 4, &n), VR_LEVEL_FAIL);
    assert_int_equal(n, 2);
    assert_string_equal(reasons[0], "jitter 31 ms (threshold 30 ms)"); /* fails first */
    assert_string_equal(reasons[1], "near threshold: loss 0.85 % (threshold 1 %)");
    double mos711 = mos;
    assert_int_equal(vr_rtpstream_judge(&r, 18, &t, &mos, reasons, 4, &n), VR_LEVEL_FAIL);
    assert_true(mos < mos711); /* G.729A has a higher equipment impairment */
}

/* Capture and `test` share score.c's rule and rounding: 0.123 % is "0.123", not "0.12". */
static void test_rtpstream_judge_uses_score_rule(void **state)
{
    struct vr_thresholds t;
    struct vr_rtpstream_result r;
    char reasons[2][VR_RECORD_REASON_LEN], want[VR_RECORD_REASON_LEN];
    size_t n;
    double mos;
    (void)state;
    assert_int_equal(vr_thresholds_by_name("edge", &t, NULL), 0);
    memset(&r, 0, sizeof(r));
    r.loss_pct = 0.123; /* edge: 0.1 % */
    assert_int_equal(vr_rtpstream_judge(&r, 0, &t, &mos, reasons, 2, &n), VR_LEVEL_FAIL);
    assert_int_equal(n, 1);
    assert_string_equal(reasons[0], "loss 0.123 % (threshold 0.1 %)");
    struct vr_finding f = {
        VR_METRIC_LOSS, VR_DIR_ROUND, vr_score_level(&t, VR_METRIC_LOSS, r.loss_pct, t.loss_pct),
        r.loss_pct,     t.loss_pct,   -1};
    vr_score_fmt_reason(&f, 0, false, want, sizeof(want));
    assert_string_equal(reasons[0], want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtpstream_add_clean_stream),
        cmocka_unit_test(test_rtpstream_result_time_steps_back),
        cmocka_unit_test(test_rtpstream_add_loss_across_wrap),
        cmocka_unit_test(test_rtpstream_add_duplicates_and_reorder),
        cmocka_unit_test(test_rtpstream_add_restart_resyncs),
        cmocka_unit_test(test_rtpstream_add_stray_stays_out_of_jitter),
        cmocka_unit_test(test_rtpstream_add_probation_restarts_on_junk),
        cmocka_unit_test(test_rtpstream_add_jitter_in_clock_units),
        cmocka_unit_test(test_rtpstream_result_infers_unknown_clock),
        cmocka_unit_test(test_rtp_static_clock_hz_table),
        cmocka_unit_test(test_rtp_class_by_dscp_then_ports),
        cmocka_unit_test(test_rtpstream_judge_levels),
        cmocka_unit_test(test_rtpstream_judge_uses_score_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
