/* score.h: thresholds, judging one interval, and the verdict over many. The library is included
 * before cmocka.h: with UNIT_TESTING cmocka redefines malloc, which stdlib.h must not see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rec_verdict.h"
#include "record.h"
#include "score.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* cmocka 1.1's assert_float_equal works in float; these values need double. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

#define NS          UINT64_C(1000000000)
#define T_1405      (UINT64_C(1795788300) * NS) /* 2026-11-27T14:05:00Z */
#define INTERVAL_NS (UINT64_C(15) * NS)
#define ENDASH      "\xe2\x80\x93"

static struct vr_thresholds client;

static int setup(void **state)
{
    (void)state;
    return vr_thresholds_by_name("client", &client, NULL);
}

/* A clean interval of class cls (its standard DSCP), well inside every threshold. */
static void make_interval(struct vr_record *r, const char *cls, int dscp, uint64_t start_ns)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "id");
    snprintf(r->cls, sizeof(r->cls), "%s", cls);
    r->dscp = dscp;
    r->start_wall_ns = start_ns;
    r->duration_s = 15.0;
    r->calls = 1;
    r->sent = 750;
    r->received = 750;
    r->fwd_received = 750;
    r->rtt_ms.mean = 20.0;
    r->rtt_ms.p50 = 20.0;
    r->jitter_fwd_ms = 1.0;
    r->jitter_rev_ms = 1.0;
    r->dscp_fwd[dscp] = 750;
    r->dscp_rev[dscp] = 750;
    r->mos = 4.4;
}

static size_t score(struct vr_record *r, struct vr_finding *f)
{
    return vr_score_interval(r, &client, f, VR_SCORE_MAX_FINDINGS);
}

/* ---- thresholds ---------------------------------------------------------------------------- */

static void test_thresholds_by_name_client(void **state)
{
    (void)state;
    struct vr_thresholds t;
    assert_int_equal(vr_thresholds_by_name("client", &t, NULL), 0);
    assert_string_equal(t.name, "client");
    assert_true(t.rtt_ms == 100.0 && t.owd_ms == 50.0 && t.loss_pct == 1.0 &&
                t.burst_loss_pct == 10.0 && t.jitter_ms == 30.0 && t.reorder_pct == 0.05 &&
                t.dscp_preserved_pct == 99.0 && t.warn_fraction == 0.8);
}

static void test_thresholds_by_name_edge(void **state)
{
    (void)state;
    struct vr_thresholds t;
    assert_int_equal(vr_thresholds_by_name("edge", &t, NULL), 0);
    assert_string_equal(t.name, "edge");
    assert_true(t.rtt_ms == 60.0 && t.owd_ms == 30.0 && t.loss_pct == 0.1 &&
                t.burst_loss_pct == 1.0 && t.jitter_ms == 15.0 && t.reorder_pct == 0.01 &&
                t.dscp_preserved_pct == 99.0 && t.warn_fraction == 0.8);
}

static void test_thresholds_by_name_unknown(void **state)
{
    (void)state;
    struct vr_thresholds t;
    struct vr_errbuf eb = {""};
    assert_int_equal(vr_thresholds_by_name("cliant", &t, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "cliant"));
    assert_non_null(strstr(eb.msg, "client or edge"));
}

/* ---- one interval -------------------------------------------------------------------------- */

static void test_score_interval_clean_passes(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.verdict = VR_LEVEL_FAIL; /* stale, must be reset */
    r.n_reasons = 3;
    assert_int_equal(score(&r, f), 0);
    assert_int_equal(r.verdict, VR_LEVEL_PASS);
    assert_int_equal(r.n_reasons, 0);
}

static void test_score_interval_not_judged_without_probes(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.sent = 0;
    r.loss_pct = 100.0;
    r.rtt_ms.mean = 500.0;
    assert_int_equal(score(&r, f), 0);
    assert_int_equal(r.verdict, VR_LEVEL_PASS);
    assert_int_equal(r.n_reasons, 0);
}

static void test_score_interval_reason_texts(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.loss_fwd_pct = 3.1;
    r.loss_pct = 3.1;
    r.jitter_rev_ms = 41.2;
    r.rtt_ms.mean = 120.5;
    size_t n = score(&r, f);
    assert_int_equal(n, 3);
    assert_int_equal(r.verdict, VR_LEVEL_FAIL);
    assert_int_equal(r.n_reasons, 3);
    assert_string_equal(r.reasons[0], "RTT 120.5 ms (threshold 100 ms)");
    assert_string_equal(r.reasons[1], "loss 3.1 % forward (threshold 1 %)");
    assert_string_equal(r.reasons[2], "jitter 41.2 ms reverse (threshold 30 ms)");
    assert_int_equal(f[1].metric, VR_METRIC_LOSS);
    assert_int_equal(f[1].dir, VR_DIR_FWD);
    assert_int_equal(f[1].level, VR_LEVEL_FAIL);
    assert_true(f[1].value == 3.1 && f[1].threshold == 1.0);
}

static void test_score_interval_threshold_and_warn_band(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.rtt_ms.mean = 100.0; /* at the threshold: fails */
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    r.rtt_ms.mean = 80.0; /* at 80 %: warns */
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].level, VR_LEVEL_WARN);
    assert_int_equal(r.verdict, VR_LEVEL_WARN);
    assert_string_equal(r.reasons[0], "near threshold: RTT 80 ms (threshold 100 ms)");
    r.rtt_ms.mean = 79.9;
    assert_int_equal(score(&r, f), 0);
    assert_int_equal(r.verdict, VR_LEVEL_PASS);
    r.reorder_pct = 0.05;
    assert_int_equal(score(&r, f), 1);
    assert_string_equal(r.reasons[0], "reorder 0.05 % (threshold 0.05 %)");
    r.reorder_pct = 0.0;
    r.burst_loss_max_pct = 12.0;
    assert_int_equal(score(&r, f), 1);
    assert_string_equal(r.reasons[0], "burst loss 12 % (threshold 10 %)");
}

static void test_score_interval_fails_before_warns(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.rtt_ms.mean = 90.0;   /* warn */
    r.jitter_fwd_ms = 35.0; /* fail */
    assert_int_equal(score(&r, f), 2);
    assert_int_equal(f[0].metric, VR_METRIC_JITTER);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    assert_int_equal(f[1].metric, VR_METRIC_RTT);
    assert_int_equal(f[1].level, VR_LEVEL_WARN);
    assert_int_equal(r.verdict, VR_LEVEL_FAIL);
    assert_string_equal(r.reasons[0], "jitter 35 ms forward (threshold 30 ms)");
    assert_string_equal(r.reasons[1], "near threshold: RTT 90 ms (threshold 100 ms)");
}

static void test_score_interval_loss_total_only_when_directions_pass(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.loss_fwd_pct = 0.5;
    r.loss_rev_pct = 0.6;
    r.loss_pct = 1.1;
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].dir, VR_DIR_ROUND);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    assert_string_equal(r.reasons[0], "loss 1.1 % total (threshold 1 %)");

    r.loss_fwd_pct = 1.5;
    r.loss_rev_pct = 0.0;
    r.loss_pct = 1.5;
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].dir, VR_DIR_FWD);

    /* the reverse direction warns, the total fails: the total says more */
    r.loss_fwd_pct = 0.2;
    r.loss_rev_pct = 0.85;
    r.loss_pct = 1.05;
    assert_int_equal(score(&r, f), 2);
    assert_int_equal(f[0].dir, VR_DIR_ROUND);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    assert_int_equal(f[1].dir, VR_DIR_REV);
    assert_int_equal(f[1].level, VR_LEVEL_WARN);
}

static void test_score_interval_owd_only_when_synced(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.owd_fwd_ms.p50 = 70.0;
    r.owd_rev_ms.p50 = 10.0;
    assert_int_equal(score(&r, f), 0);
    r.clock_synced = true;
    r.has_owd = true;
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].metric, VR_METRIC_OWD);
    assert_int_equal(f[0].dir, VR_DIR_FWD);
    assert_string_equal(r.reasons[0], "one-way delay 70 ms forward (threshold 50 ms)");
}

static void test_score_interval_dscp_rewrite_fails(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405);
    r.dscp_rev[46] = 0;
    r.dscp_rev[0] = 750;
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].metric, VR_METRIC_DSCP);
    assert_int_equal(f[0].dir, VR_DIR_REV);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    assert_int_equal(f[0].dscp_seen, 0);
    assert_true(f[0].value == 0.0);
    assert_string_equal(r.reasons[0], "DSCP EF rewritten to CS0 on 100 % of packets, reverse");

    /* 98.5 % preserved: below 99, a fail, never a warn */
    make_interval(&r, "video", 34, T_1405);
    r.dscp_fwd[34] = 985;
    r.dscp_fwd[10] = 15;
    assert_int_equal(score(&r, f), 1);
    assert_int_equal(f[0].level, VR_LEVEL_FAIL);
    assert_int_equal(f[0].dscp_seen, 10);
    assert_string_equal(r.reasons[0], "DSCP AF41 rewritten to AF11 on 1.5 % of packets, forward");

    /* 99.5 % preserved passes, and there is no warn band */
    r.dscp_fwd[34] = 995;
    r.dscp_fwd[10] = 5;
    assert_int_equal(score(&r, f), 0);
}

static void test_score_interval_dscp_skipped_unmarked_or_empty(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "besteffort", 0, T_1405);
    r.dscp_fwd[0] = 0;
    r.dscp_fwd[8] = 750; /* CS0 became CS1: not ours to judge */
    assert_int_equal(score(&r, f), 0);
    make_interval(&r, "audio", 46, T_1405);
    memset(r.dscp_fwd, 0, sizeof(r.dscp_fwd)); /* nothing received: no evidence */
    r.dscp_rev[46] = 0;
    r.dscp_rev[13] = 1; /* an unnamed mark */
    assert_int_equal(score(&r, f), 1);
    assert_string_equal(r.reasons[0], "DSCP EF rewritten to 13 on 100 % of packets, reverse");
}

static void test_score_interval_edge_set(void **state)
{
    (void)state;
    struct vr_thresholds edge;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    assert_int_equal(vr_thresholds_by_name("edge", &edge, NULL), 0);
    make_interval(&r, "audio", 46, T_1405);
    r.loss_rev_pct = 0.2;
    r.loss_pct = 0.2;
    r.rtt_ms.mean = 50.0; /* >= 0.8 * 60 */
    assert_int_equal(vr_score_interval(&r, &edge, f, VR_SCORE_MAX_FINDINGS), 2);
    assert_string_equal(r.reasons[0], "loss 0.2 % reverse (threshold 0.1 %)");
    assert_string_equal(r.reasons[1], "near threshold: RTT 50 ms (threshold 60 ms)");
    assert_int_equal(vr_score_interval(&r, &client, f, VR_SCORE_MAX_FINDINGS), 0);
}

static void test_score_interval_max_bounds_output(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[2];
    make_interval(&r, "audio", 46, T_1405);
    r.rtt_ms.mean = 200.0;
    r.jitter_fwd_ms = 50.0;
    r.jitter_rev_ms = 50.0;
    assert_int_equal(vr_score_interval(&r, &client, f, 1), 1);
    assert_int_equal(r.n_reasons, 3); /* the record still says everything */
    assert_int_equal(vr_score_interval(&r, &client, NULL, 0), 0);
    assert_int_equal(r.verdict, VR_LEVEL_FAIL);
}

/* ---- verdict ------------------------------------------------------------------------------- */

/* Adds n intervals of cls starting at *t (advanced by 15 s each); `bad` of them (the first ones)
 * get loss_fwd_pct = loss. */
static void add_run(struct vr_verdict_acc *acc, const char *cls, int dscp, uint64_t start, size_t n,
                    size_t bad, double loss, double weight)
{
    for (size_t i = 0; i < n; i++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, cls, dscp, start + i * INTERVAL_NS);
        if (i < bad) {
            r.loss_fwd_pct = loss;
            r.loss_pct = loss;
        }
        size_t nf = score(&r, f);
        vr_verdict_acc_add(acc, &r, f, nf, weight);
    }
}

static void test_verdict_acc_result_empty_is_ready(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    assert_non_null(acc);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_true(v.score_pct == 100.0);
    assert_int_equal(v.intervals, 0);
    assert_int_equal(v.n_reasons, 0);
    vr_verdict_acc_free(acc);
    vr_verdict_acc_free(NULL);
}

static void test_verdict_acc_result_ready(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 100, 1, 2.0, 1.0); /* 99 of 100: still ready */
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_near(v.score_pct, 99.0, 1e-9);
    assert_int_equal(v.intervals, 100);
    assert_int_equal(v.passed, 99);
    assert_int_equal(v.failed, 1);
    assert_false(v.marks_rewritten);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0],
                        "loss 2 % forward, audio, 14:05:00" ENDASH "14:05:15 UTC, 1 of "
                        "100 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_at_risk_96(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 100, 4, 3.1, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_AT_RISK);
    assert_near(v.score_pct, 96.0, 1e-9);
    assert_int_equal(v.passed, 96);
    assert_string_equal(v.reasons[0], "loss 3.1 % forward, audio, 14:05" ENDASH "14:06 UTC, 4 of "
                                      "100 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_boundary_95(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 100, 5, 3.0, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_AT_RISK);
    add_run(acc, "audio", 46, T_1405, 1, 1, 3.0, 1.0); /* 95 of 101 */
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_not_ready_groups(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    /* 60 audio intervals from 14:05; 6 lose 3.1 % forward (the worst of them 4.2 %) */
    for (size_t i = 0; i < 60; i++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, "audio", 46, T_1405 + i * INTERVAL_NS);
        if (i >= 10 && i < 16) {
            r.loss_fwd_pct = i == 12 ? 4.2 : 3.1;
            r.loss_pct = r.loss_fwd_pct;
        }
        if (i >= 40 && i < 42)
            r.jitter_rev_ms = i == 40 ? 45.0 : 31.0;
        if (i == 50)
            r.jitter_fwd_ms = 25.0; /* a warn: passes */
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_int_equal(v.intervals, 60);
    assert_int_equal(v.passed, 52);
    assert_int_equal(v.failed, 8);
    assert_int_equal(v.warned, 1);
    assert_near(v.score_pct, 52.0 / 60.0 * 100.0, 1e-9);
    assert_int_equal(v.n_reasons, 2);
    /* intervals 10..15: 14:07:30 to 14:09:00 */
    assert_string_equal(v.reasons[0], "loss 4.2 % forward, audio, 14:07" ENDASH "14:09 UTC, 6 of "
                                      "60 audio intervals");
    assert_string_equal(v.reasons[1],
                        "jitter 45 ms reverse, audio, 14:15:00" ENDASH "14:15:30 UTC, "
                        "2 of 60 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_sorted_by_count_then_severity(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 10, 2, 1.5, 1.0);
    add_run(acc, "video", 34, T_1405, 10, 3, 1.2, 1.0);
    add_run(acc, "sharing", 18, T_1405, 10, 2, 9.0, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.n_reasons, 3);
    assert_non_null(strstr(v.reasons[0], ", video, "));
    assert_non_null(strstr(v.reasons[1], ", sharing, ")); /* 2 each: worse first */
    assert_non_null(strstr(v.reasons[2], ", audio, "));
    assert_non_null(strstr(v.reasons[0], "3 of 10 video intervals"));
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_span_crosses_midnight(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    uint64_t t2355 = (UINT64_C(1795824000) - 300) * NS; /* 2026-11-27T23:55:00Z */
    add_run(acc, "audio", 46, t2355, 40, 40, 2.0, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], "loss 2 % forward, audio, 2026-11-27 23:55" ENDASH
                                      "2026-11-28 00:05 UTC, 40 of 40 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_rewritten_marks_at_most_at_risk(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 100, 0, 0.0, 1.0);
    /* one interval whose reverse audio arrived as CS0: 99 % pass, but a mark was rewritten */
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    make_interval(&r, "audio", 46, T_1405 + 100 * INTERVAL_NS);
    r.dscp_rev[46] = 0;
    r.dscp_rev[0] = 750;
    vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_true(v.marks_rewritten);
    assert_true(v.score_pct >= 99.0);
    assert_int_equal(v.verdict, VR_VERDICT_AT_RISK);
    assert_string_equal(v.reasons[0], "DSCP EF rewritten to CS0 reverse, audio, 14:30:00" ENDASH
                                      "14:30:15 UTC, 1 of 101 audio intervals");
    vr_verdict_acc_free(acc);

    /* rewritten everywhere: the score itself is low, so not ready */
    acc = vr_verdict_acc_new();
    for (size_t i = 0; i < 4; i++) {
        make_interval(&r, "audio", 46, T_1405 + i * INTERVAL_NS);
        r.dscp_rev[46] = 0;
        r.dscp_rev[0] = 750;
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_string_equal(v.reasons[0], "DSCP EF rewritten to CS0 reverse, audio, 14:05" ENDASH
                                      "14:06 UTC, 4 of 4 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_besteffort_excluded(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 4, 0, 0.0, 1.0);
    for (size_t i = 0; i < 4; i++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, "besteffort", 0, T_1405 + i * INTERVAL_NS);
        r.rtt_ms.mean = i == 2 ? 650.2 : 400.0;
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_int_equal(v.intervals, 4);
    assert_true(v.score_pct == 100.0);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0], "besteffort (unmarked control) failed 4 of 4 intervals: RTT "
                                      "650.2 ms \xe2\x80\x94 what voice would see without QoS");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_besteffort_note_comes_last(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "besteffort", 0, T_1405, 10, 10, 5.0, 1.0);
    /* more failing groups than reason slots: the note keeps its place */
    static const char *const cls[] = {"audio", "video", "sharing"};
    static const int dscp[] = {46, 34, 18};
    for (size_t c = 0; c < 3; c++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, cls[c], dscp[c], T_1405);
        r.rtt_ms.mean = 150.0;
        r.loss_fwd_pct = r.loss_rev_pct = 2.0;
        r.jitter_fwd_ms = 40.0;
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.n_reasons, VR_VERDICT_MAX_REASONS);
    assert_non_null(strstr(v.reasons[VR_VERDICT_MAX_REASONS - 1],
                           "besteffort (unmarked control) failed 10 of 10 intervals: loss 5 % "
                           "forward"));
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_besteffort_only_counts(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "besteffort", 0, T_1405, 20, 2, 1.5, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.intervals, 20);
    assert_int_equal(v.passed, 18);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0],
                        "loss 1.5 % forward, besteffort, 14:05:00" ENDASH "14:05:30 UTC, "
                        "2 of 20 besteffort intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_weights(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    /* 97 quiet passing intervals weigh 1; 3 failing peak intervals weigh 4: 97/109 */
    add_run(acc, "audio", 46, T_1405, 3, 3, 2.0, 4.0);
    add_run(acc, "audio", 46, T_1405 + 3 * INTERVAL_NS, 97, 0, 0.0, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_near(v.score_pct, 97.0 / 109.0 * 100.0, 1e-9);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY); /* 97 % unweighted would be at risk */
    assert_int_equal(v.intervals, 100);
    assert_int_equal(v.passed, 97);
    /* no weight and nothing sent: not counted */
    add_run(acc, "audio", 46, T_1405, 5, 5, 2.0, 0.0);
    struct vr_record r;
    make_interval(&r, "audio", 46, T_1405);
    r.sent = 0;
    vr_verdict_acc_add(acc, &r, NULL, 0, 1.0);
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.intervals, 100);
    vr_verdict_acc_free(acc);
}

static void test_verdict_acc_result_near_threshold(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    for (size_t i = 0; i < 10; i++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, "audio", 46, T_1405 + i * INTERVAL_NS);
        if (i < 3)
            r.jitter_fwd_ms = i == 1 ? 27.5 : 25.0;
        if (i == 9)
            r.rtt_ms.mean = 85.0;
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_int_equal(v.passed, 10);
    assert_int_equal(v.warned, 4);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0],
                        "near threshold: jitter 27.5 ms forward, audio, 14:05:00" ENDASH
                        "14:05:45 UTC, 3 of 10 audio intervals");
    vr_verdict_acc_free(acc);
}

static void test_verdict_to_json_fields(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_run(acc, "audio", 46, T_1405, 3, 1, 2.0, 1.0);
    vr_verdict_acc_result(acc, &v);
    json_t *j = vr_verdict_to_json(&v, NULL);
    assert_non_null(j);
    static const char *const want[] = {"type",      "verdict", "score_pct",
                                       "intervals", "passed",  "reasons"};
    size_t i = 0;
    for (void *it = json_object_iter(j); it != NULL; it = json_object_iter_next(j, it), i++)
        assert_string_equal(json_object_iter_key(it), want[i]);
    assert_int_equal(i, 6);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "verdict");
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "not_ready");
    assert_true(json_real_value(json_object_get(j, "score_pct")) == 66.667);
    assert_int_equal(json_integer_value(json_object_get(j, "intervals")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "passed")), 2);
    json_t *reasons = json_object_get(j, "reasons");
    assert_int_equal(json_array_size(reasons), 1);
    assert_string_equal(json_string_value(json_array_get(reasons, 0)), v.reasons[0]);
    json_decref(j);
    vr_verdict_acc_free(acc);
}

static void test_site_verdict_name_and_label(void **state)
{
    (void)state;
    assert_string_equal(vr_site_verdict_name(VR_VERDICT_READY), "ready");
    assert_string_equal(vr_site_verdict_name(VR_VERDICT_AT_RISK), "at_risk");
    assert_string_equal(vr_site_verdict_name(VR_VERDICT_NOT_READY), "not_ready");
    assert_string_equal(vr_site_verdict_label(VR_VERDICT_READY), "Ready");
    assert_string_equal(vr_site_verdict_label(VR_VERDICT_AT_RISK), "At risk");
    assert_string_equal(vr_site_verdict_label(VR_VERDICT_NOT_READY), "Not ready");
    assert_string_equal(vr_site_verdict_name(VR_VERDICT_SILENT), "silent");
    assert_string_equal(vr_site_verdict_label(VR_VERDICT_SILENT), "Silent");
}

/* The one threshold rule: fail at the threshold (burst loss only above), warn in the band. */
static void test_score_level_rule_and_warn_band(void **state)
{
    (void)state;
    assert_int_equal(vr_score_level(&client, VR_METRIC_LOSS, 0.79, 1.0), VR_LEVEL_PASS);
    assert_int_equal(vr_score_level(&client, VR_METRIC_LOSS, 0.8, 1.0), VR_LEVEL_WARN);
    assert_int_equal(vr_score_level(&client, VR_METRIC_LOSS, 1.0, 1.0), VR_LEVEL_FAIL);
    assert_int_equal(vr_score_level(&client, VR_METRIC_BURST_LOSS, 10.0, 10.0), VR_LEVEL_WARN);
    assert_int_equal(vr_score_level(&client, VR_METRIC_BURST_LOSS, 10.1, 10.0), VR_LEVEL_FAIL);
    /* switched off, or no value */
    assert_int_equal(vr_score_level(&client, VR_METRIC_RTT, 500.0, 0.0), VR_LEVEL_PASS);
    assert_int_equal(vr_score_level(&client, VR_METRIC_RTT, 500.0, NAN), VR_LEVEL_PASS);
    assert_int_equal(vr_score_level(&client, VR_METRIC_RTT, NAN, 100.0), VR_LEVEL_PASS);
    /* no warn band outside (0, 1) */
    struct vr_thresholds t = client;
    t.warn_fraction = 1.0;
    assert_int_equal(vr_score_level(&t, VR_METRIC_LOSS, 0.99, 1.0), VR_LEVEL_PASS);
}

static void test_score_fmt_num_one_rounding(void **state)
{
    char b[32];
    (void)state;
    const struct {
        double v;
        const char *s;
    } cases[] = {{100.0, "100"}, {31.0, "31"},   {12.34, "12.3"},   {3.14159, "3.14"},
                 {1.0, "1"},     {0.85, "0.85"}, {0.123, "0.123"},  {0.05, "0.05"},
                 {0.0, "0"},     {-2.5, "-2.5"}, {0.0004, "0.0004"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vr_score_fmt_num(cases[i].v, b, sizeof(b));
        assert_string_equal(b, cases[i].s);
    }
}

static void test_score_fmt_reason_with_and_without_dir(void **state)
{
    char b[VR_RECORD_REASON_LEN];
    (void)state;
    struct vr_finding f = {VR_METRIC_LOSS, VR_DIR_FWD, VR_LEVEL_WARN, 0.85, 1.0, -1};
    vr_score_fmt_reason(&f, 46, true, b, sizeof(b));
    assert_string_equal(b, "near threshold: loss 0.85 % forward (threshold 1 %)");
    vr_score_fmt_reason(&f, 46, false, b, sizeof(b));
    assert_string_equal(b, "near threshold: loss 0.85 % (threshold 1 %)");
    f = (struct vr_finding){VR_METRIC_DSCP, VR_DIR_REV, VR_LEVEL_FAIL, 0.0, 99.0, 0};
    vr_score_fmt_reason(&f, 46, true, b, sizeof(b));
    assert_string_equal(b, "DSCP EF rewritten to CS0 on 100 % of packets, reverse");
}

/* The store's way (vr_verdict_step_of, kept per hour, then added back as counts and groups)
 * and the agent's way (vr_verdict_acc_add) must give the same verdict, word for word. */
/* ---- reasons that read true: per-class counts, episodes, ranges (issue 11 item 7) ----------- */

#define T_1344 (T_1405 - UINT64_C(21) * 60 * NS) /* 13:44:00Z */
#define T_1351 (T_1405 - UINT64_C(14) * 60 * NS) /* 13:51:00Z */

/* Adds one interval of cls per character of seq, every step_ns from start, each dur_s long:
 * '.' passes, 'l' loses 2 % forward, 'L' 3.1 %, 'D' has EF rewritten to CS0 on the way back,
 * ' ' is an interval that never came (the agent was down). */
static void add_seq(struct vr_verdict_acc *acc, const char *cls, int dscp, uint64_t start,
                    uint64_t step_ns, double dur_s, const char *seq)
{
    for (size_t i = 0; seq[i] != 0; i++) {
        if (seq[i] == ' ')
            continue;
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        make_interval(&r, cls, dscp, start + i * step_ns);
        r.duration_s = dur_s;
        if (seq[i] == 'l' || seq[i] == 'L')
            r.loss_fwd_pct = r.loss_pct = seq[i] == 'l' ? 2.0 : 3.1;
        if (seq[i] == 'D') {
            r.dscp_rev[dscp] = 0;
            r.dscp_rev[0] = 750;
        }
        vr_verdict_acc_add(acc, &r, f, score(&r, f), 1.0);
    }
}

/* 17 audio intervals all rewritten, 17 video ones clean: 17 of the 17 audio intervals, not of
 * the 34 of both classes; 13:44:00 to the last one's end 13:46:50. */
static void test_reason_counts_per_class(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_seq(acc, "audio", 46, T_1344, 10 * NS, 10.0, "DDDDDDDDDDDDDDDDD");
    add_seq(acc, "video", 34, T_1344, 10 * NS, 10.0, ".................");
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.intervals, 34);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0], "DSCP EF rewritten to CS0 reverse, audio, 13:44" ENDASH
                                      "13:46 UTC, 17 of 17 audio intervals");
    vr_verdict_acc_free(acc);
}

/* Two runs of failing audio intervals with passing ones between: two episodes, the worst (the
 * first, 3.1 %) and the latest named apart; 14 of 60. */
static void test_reason_two_episodes(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    /* 14:05:00-14:06:00 at 3.1 %, 14:10:00-14:12:30 at 2 %, 15 s intervals to 14:20 */
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS, 15.0,
            "LLLL................llllllllll.............................."
            "");
    vr_verdict_acc_result(acc, &v);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0],
                        "loss 3.1 % forward, audio, 2 episodes, worst 14:05" ENDASH "14:06 UTC, "
                        "latest 14:10" ENDASH "14:12 UTC, 14 of 60 audio intervals");
    vr_verdict_acc_free(acc);

    /* the worst is the latest: said once */
    acc = vr_verdict_acc_new();
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS, 15.0, "ll....LL..");
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], "loss 3.1 % forward, audio, 2 episodes, worst and latest "
                                      "14:06" ENDASH "14:07 UTC, 4 of 10 audio intervals");
    vr_verdict_acc_free(acc);
}

/* An interval that never came splits an episode as a passing one does; start times a little
 * late (200 ms a step, as a loaded agent drifts) do not. */
static void test_reason_episode_gap_rule(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS, 15.0, "lll lll");
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], "loss 2 % forward, audio, 2 episodes, worst 14:05:00" ENDASH
                                      "14:05:45 UTC, latest 14:06:00" ENDASH
                                      "14:06:45 UTC, 6 of 6 audio intervals");
    vr_verdict_acc_free(acc);

    acc = vr_verdict_acc_new();
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS + NS / 5, 15.0, "llllll");
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], "loss 2 % forward, audio, 14:05" ENDASH
                                      "14:06 UTC, 6 of 6 audio intervals");
    vr_verdict_acc_free(acc);
}

/* Two targets of one class: their intervals overlap in time, and while one fails throughout
 * the failures are one episode, in time order or one target after the other. */
static void test_reason_episode_two_targets(void **state)
{
    (void)state;
    const char *want = "loss 2 % forward, audio, 14:05" ENDASH "14:06 UTC, 9 of 12 audio intervals";
    struct vr_verdict v;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    for (size_t i = 0; i < 6; i++) {
        add_seq(acc, "audio", 46, T_1405 + i * INTERVAL_NS, INTERVAL_NS, 15.0, i % 2 ? "." : "l");
        add_seq(acc, "audio", 46, T_1405 + i * INTERVAL_NS + NS / 10, INTERVAL_NS, 15.0, "l");
    }
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], want);
    vr_verdict_acc_free(acc);

    acc = vr_verdict_acc_new();
    add_seq(acc, "audio", 46, T_1405 + NS / 10, INTERVAL_NS, 15.0, "llllll");
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS, 15.0, "l.l.l.");
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], want);
    vr_verdict_acc_free(acc);
}

/* One 10 s interval: 13:51:00-13:51:10, never "13:51-13:51". */
static void test_reason_single_interval_has_seconds(void **state)
{
    (void)state;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict v;
    add_seq(acc, "audio", 46, T_1351, 10 * NS, 10.0, "l");
    vr_verdict_acc_result(acc, &v);
    assert_string_equal(v.reasons[0], "loss 2 % forward, audio, 13:51:00" ENDASH
                                      "13:51:10 UTC, 1 of 1 audio intervals");
    vr_verdict_acc_free(acc);
}

/* The episodes of a sequence cut in two at any point and merged (as the store's hourly rows
 * are) are those of the whole, and so is the reason. */
static void test_reason_group_merge_any_cut(void **state)
{
    (void)state;
    const char *seq = "lL..lll.LLl...l.l..llll";
    struct vr_verdict whole;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    add_seq(acc, "audio", 46, T_1405, INTERVAL_NS, 15.0, seq);
    vr_verdict_acc_result(acc, &whole);
    vr_verdict_acc_free(acc);
    assert_non_null(strstr(whole.reasons[0],
                           "6 episodes, worst 14:05:00" ENDASH "14:05:30 UTC, "
                           "latest 14:09" ENDASH "14:10 UTC, 14 of 23 audio intervals"));
    size_t n = strlen(seq);
    for (size_t cut = 1; cut < n; cut++) {
        struct vr_verdict_group part[2];
        memset(part, 0, sizeof(part));
        for (size_t i = 0; i < n; i++) {
            struct vr_record r;
            struct vr_finding f[VR_SCORE_MAX_FINDINGS];
            make_interval(&r, "audio", 46, T_1405 + i * INTERVAL_NS);
            if (seq[i] == '.')
                continue;
            r.loss_fwd_pct = r.loss_pct = seq[i] == 'l' ? 2.0 : 3.1;
            assert_int_equal(score(&r, f), 1);
            struct vr_verdict_group g;
            vr_verdict_group_from_finding(&g, &r, &f[0]);
            vr_verdict_group_merge(&part[i < cut ? 0 : 1], &g);
        }
        /* the later part first, as rows merged out of order would come */
        struct vr_verdict_group m = part[1];
        vr_verdict_group_merge(&m, &part[0]);
        struct vr_verdict_acc *a = vr_verdict_acc_new();
        vr_verdict_acc_add_class(a, true, "audio", n);
        vr_verdict_acc_add_group(a, true, &m);
        struct vr_verdict_counts c = {
            .intervals = n, .passed = n, .weight = (double)n, .weight_passed = (double)n};
        vr_verdict_acc_add_counts(a, true, &c);
        struct vr_verdict v;
        vr_verdict_acc_result(a, &v);
        vr_verdict_acc_free(a);
        assert_string_equal(v.reasons[0], whole.reasons[0]);
    }
}

static void test_verdict_step_of_matches_acc_add(void **state)
{
    (void)state;
    struct vr_verdict_acc *agent = vr_verdict_acc_new(), *store = vr_verdict_acc_new();
    assert_non_null(agent);
    assert_non_null(store);
    enum { HOURS = 3 };
    struct vr_verdict_counts hc[HOURS][2];
    struct vr_verdict_group hg[HOURS][2][64];
    size_t nhg[HOURS][2];
    memset(hc, 0, sizeof(hc));
    memset(hg, 0, sizeof(hg));
    memset(nhg, 0, sizeof(nhg));
    for (unsigned i = 0; i < 3 * 240; i++) {
        struct vr_record r;
        struct vr_finding f[VR_SCORE_MAX_FINDINGS];
        bool be = i % 7 == 0;
        make_interval(&r,
                      be      ? "besteffort"
                      : i % 2 ? "video"
                              : "audio",
                      be      ? 0
                      : i % 2 ? 34
                              : 46,
                      T_1405 + i * INTERVAL_NS);
        if (i % 13 == 0)
            r.loss_fwd_pct = r.loss_pct = 0.9; /* warn */
        if (i % 17 == 0)
            r.loss_rev_pct = r.loss_pct = 1.0 + (double)(i % 5);
        if (i % 29 == 0)
            r.jitter_fwd_ms = 25.0 + (double)(i % 11);
        if (i == 400) {
            r.dscp_rev[r.dscp] = 0;
            r.dscp_rev[0] = 750;
        }
        if (i % 101 == 0)
            r.sent = 0; /* not judged */
        double w = i % 61 == 0 ? 0.0 : i % 3 == 0 ? 2.0 : 1.0;
        size_t nf = score(&r, f);
        /* a finding twice must count once, in both ways */
        if (nf > 0 && nf < VR_SCORE_MAX_FINDINGS)
            f[nf++] = f[0];
        vr_verdict_acc_add(agent, &r, f, nf, w);

        struct vr_verdict_step st;
        vr_verdict_step_of(&st, &r, f, nf, w);
        if (!st.counted) {
            assert_true(r.sent == 0 || w == 0.0);
            continue;
        }
        /* the store's per-class sums (path_hour), in any order */
        vr_verdict_acc_add_class(store, st.marked, r.cls, st.counts.intervals);
        size_t h = (size_t)((r.start_wall_ns - T_1405) / (3600 * NS)), mk = st.marked ? 0 : 1;
        assert_true(h < HOURS);
        struct vr_verdict_counts *c = &hc[h][mk];
        c->intervals += st.counts.intervals;
        c->passed += st.counts.passed;
        c->failed += st.counts.failed;
        c->warned += st.counts.warned;
        c->weight += st.counts.weight;
        c->weight_passed += st.counts.weight_passed;
        c->marks_rewritten |= st.counts.marks_rewritten;
        for (size_t k = 0; k < st.n_groups; k++) {
            const struct vr_verdict_group *g = &st.groups[k];
            size_t j = 0;
            while (j < nhg[h][mk] &&
                   !(strcmp(hg[h][mk][j].cls, g->cls) == 0 && hg[h][mk][j].metric == g->metric &&
                     hg[h][mk][j].dir == g->dir && hg[h][mk][j].level == g->level))
                j++;
            assert_true(j < 64);
            if (j == nhg[h][mk])
                nhg[h][mk]++;
            vr_verdict_group_merge(&hg[h][mk][j], g);
        }
    }
    for (size_t h = 0; h < HOURS; h++) {
        for (size_t mk = 0; mk < 2; mk++) {
            vr_verdict_acc_add_counts(store, mk == 0, &hc[h][mk]);
            for (size_t j = 0; j < nhg[h][mk]; j++)
                vr_verdict_acc_add_group(store, mk == 0, &hg[h][mk][j]);
        }
    }
    struct vr_verdict a, b;
    vr_verdict_acc_result(agent, &a);
    vr_verdict_acc_result(store, &b);
    assert_true(a.intervals > 500 && a.failed > 0 && a.warned > 0 && a.marks_rewritten);
    assert_int_equal(a.verdict, b.verdict);
    assert_int_equal(a.intervals, b.intervals);
    assert_int_equal(a.passed, b.passed);
    assert_int_equal(a.failed, b.failed);
    assert_int_equal(a.warned, b.warned);
    assert_near(a.score_pct, b.score_pct, 1e-9);
    assert_int_equal(a.marks_rewritten, b.marks_rewritten);
    assert_int_equal(a.n_reasons, b.n_reasons);
    for (size_t i = 0; i < a.n_reasons; i++)
        assert_string_equal(a.reasons[i], b.reasons[i]);
    vr_verdict_acc_free(agent);
    vr_verdict_acc_free(store);
}

static void test_verdict_step_of_one_interval(void **state)
{
    (void)state;
    struct vr_record r;
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    struct vr_verdict_step st;
    make_interval(&r, "audio", 46, T_1405);
    r.loss_fwd_pct = r.loss_pct = 0.9;
    r.jitter_rev_ms = 40.0;
    size_t nf = score(&r, f);
    vr_verdict_step_of(&st, &r, f, nf, 2.0);
    assert_true(st.counted && st.marked);
    assert_int_equal(st.counts.intervals, 1);
    assert_int_equal(st.counts.failed, 1);
    assert_int_equal(st.counts.passed, 0);
    assert_near(st.counts.weight, 2.0, 1e-12);
    assert_near(st.counts.weight_passed, 0.0, 1e-12);
    assert_int_equal(st.n_groups, 2);
    assert_int_equal(st.groups[0].metric, VR_METRIC_JITTER); /* fails first, as the findings */
    assert_int_equal(st.groups[0].level, VR_LEVEL_FAIL);
    assert_int_equal(st.groups[1].level, VR_LEVEL_WARN);
    assert_int_equal(st.groups[1].first_start_ns, T_1405);
    assert_int_equal(st.groups[1].last_end_ns, T_1405 + INTERVAL_NS);
    vr_verdict_step_of(&st, &r, f, nf, 0.0);
    assert_false(st.counted);
    assert_int_equal(st.n_groups, 0);
}

static void verdict_with(struct vr_verdict *v, enum vr_site_verdict level, uint64_t intervals,
                         size_t n_reasons)
{
    memset(v, 0, sizeof(*v));
    v->verdict = level;
    v->intervals = intervals;
    v->n_reasons = n_reasons;
    for (size_t i = 0; i < n_reasons; i++)
        snprintf(v->reasons[i], sizeof(v->reasons[i]), "r%zu", i);
}

/* The capacity rule: it raises the verdict and its reason goes first when it decides it. */
static void test_verdict_apply_capacity(void **state)
{
    struct vr_verdict v;
    (void)state;
    verdict_with(&v, VR_VERDICT_READY, 10, 0);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_NOT_READY, "capacity 18 calls < planned peak 24");
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0], "capacity 18 calls < planned peak 24");
    /* a worse interval verdict stays, and its reasons stay first */
    verdict_with(&v, VR_VERDICT_NOT_READY, 10, 2);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_NOT_MEASURED, "no capacity run");
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_int_equal(v.n_reasons, 3);
    assert_string_equal(v.reasons[0], "r0");
    assert_string_equal(v.reasons[2], "no capacity run");
    /* the same level: the rule's reason first */
    verdict_with(&v, VR_VERDICT_AT_RISK, 10, 1);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_AT_RISK, "cap");
    assert_int_equal(v.n_reasons, 2);
    assert_string_equal(v.reasons[0], "cap");
    assert_string_equal(v.reasons[1], "r0");
    /* full: the last interval reason makes room when the rule decides */
    verdict_with(&v, VR_VERDICT_READY, 10, VR_VERDICT_MAX_REASONS);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_AT_RISK, "cap");
    assert_int_equal(v.n_reasons, VR_VERDICT_MAX_REASONS);
    assert_string_equal(v.reasons[0], "cap");
    assert_string_equal(v.reasons[VR_VERDICT_MAX_REASONS - 1], "r6");
    /* full and not deciding: nothing to add */
    verdict_with(&v, VR_VERDICT_NOT_READY, 10, VR_VERDICT_MAX_REASONS);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_AT_RISK, "cap");
    assert_int_equal(v.n_reasons, VR_VERDICT_MAX_REASONS);
    assert_string_equal(v.reasons[VR_VERDICT_MAX_REASONS - 1], "r7");
    /* no intervals, or a status that asks for nothing: unchanged */
    verdict_with(&v, VR_VERDICT_READY, 0, 0);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_NOT_READY, "cap");
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_int_equal(v.n_reasons, 0);
    verdict_with(&v, VR_VERDICT_READY, 10, 0);
    vr_verdict_apply_capacity(&v, VR_CAPACITY_READY, "cap");
    vr_verdict_apply_capacity(&v, VR_CAPACITY_NO_PLAN, "cap");
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_int_equal(v.n_reasons, 0);
}

#define SEC 1000000000ull

static void test_liveness_of_rule(void **state)
{
    (void)state;
    uint64_t now = 1764770520ull * SEC; /* 2025-12-03 14:02 UTC */
    assert_int_equal(vr_liveness_of(0, now, 0), VR_LIVENESS_NEVER_REPORTED);
    assert_int_equal(vr_liveness_of(now - 300 * SEC, now, 0), VR_LIVENESS_LIVE);
    assert_int_equal(vr_liveness_of(now - 301 * SEC, now, 0), VR_LIVENESS_SILENT);
    assert_int_equal(vr_liveness_of(now - 301 * SEC, now, 600 * SEC), VR_LIVENESS_LIVE);
    assert_int_equal(vr_liveness_of(now - 31 * SEC, now, 30 * SEC), VR_LIVENESS_SILENT);
    assert_int_equal(vr_liveness_of(now + 10 * SEC, now, 30 * SEC), VR_LIVENESS_LIVE);
    assert_string_equal(vr_liveness_name(VR_LIVENESS_LIVE), "live");
    assert_string_equal(vr_liveness_name(VR_LIVENESS_SILENT), "silent");
    assert_string_equal(vr_liveness_name(VR_LIVENESS_NEVER_REPORTED), "never_reported");
}

static void test_liveness_fmt_age_units(void **state)
{
    (void)state;
    char b[32];
    static const struct {
        uint64_t s;
        const char *want;
    } cases[] = {{0, "0 s"},
                 {45, "45 s"},
                 {59, "59 s"},
                 {60, "1 min"},
                 {12 * 60 + 59, "12 min"},
                 {3599, "59 min"},
                 {3600, "1 h"},
                 {6 * 3600 + 1, "6 h"},
                 {47 * 3600, "47 h"},
                 {48 * 3600, "2 days"},
                 {3 * 86400 + 5, "3 days"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vr_liveness_fmt_age(cases[i].s * SEC, b, sizeof(b));
        assert_string_equal(b, cases[i].want);
    }
}

static void test_verdict_apply_liveness_silent_never_ready(void **state)
{
    (void)state;
    uint64_t now = 1764770520ull * SEC; /* 2025-12-03 14:02:00 UTC */
    struct vr_verdict v;
    verdict_with(&v, VR_VERDICT_READY, 10, 1);
    v.score_pct = 100.0;
    /* last upload 13:02 today: an hour ago, 5 min allowed */
    assert_int_equal(vr_verdict_apply_liveness(&v, now - 3600 * SEC, now, 0), VR_LIVENESS_SILENT);
    assert_int_equal(v.verdict, VR_VERDICT_SILENT);
    assert_int_equal(v.n_reasons, 2);
    assert_string_equal(v.reasons[0], "no results since 13:02 UTC, 1 h ago");
    assert_string_equal(v.reasons[1], "r0");
    assert_true(v.score_pct == 100.0); /* the scored figures stay */
    assert_int_equal(v.intervals, 10);
    /* yesterday or before: with the date */
    verdict_with(&v, VR_VERDICT_NOT_READY, 10, VR_VERDICT_MAX_REASONS);
    vr_verdict_apply_liveness(&v, now - (2 * 86400 + 3600) * SEC, now, 0);
    assert_int_equal(v.verdict, VR_VERDICT_SILENT);
    assert_int_equal(v.n_reasons, VR_VERDICT_MAX_REASONS);
    assert_string_equal(v.reasons[0], "no results since 2025-12-01 13:02 UTC, 2 days ago");
    assert_string_equal(v.reasons[VR_VERDICT_MAX_REASONS - 1], "r6");
    /* live: unchanged */
    verdict_with(&v, VR_VERDICT_AT_RISK, 10, 0);
    assert_int_equal(vr_verdict_apply_liveness(&v, now - 45 * SEC, now, 0), VR_LIVENESS_LIVE);
    assert_int_equal(v.verdict, VR_VERDICT_AT_RISK);
    assert_int_equal(v.n_reasons, 0);
    /* never reported: the reason, nothing else */
    verdict_with(&v, VR_VERDICT_READY, 0, 0);
    assert_int_equal(vr_verdict_apply_liveness(&v, 0, now, 0), VR_LIVENESS_NEVER_REPORTED);
    assert_int_equal(v.intervals, 0);
    assert_int_equal(v.n_reasons, 1);
    assert_string_equal(v.reasons[0], "never reported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds_by_name_client),
        cmocka_unit_test(test_thresholds_by_name_edge),
        cmocka_unit_test(test_thresholds_by_name_unknown),
        cmocka_unit_test(test_score_interval_clean_passes),
        cmocka_unit_test(test_score_interval_not_judged_without_probes),
        cmocka_unit_test(test_score_interval_reason_texts),
        cmocka_unit_test(test_score_interval_threshold_and_warn_band),
        cmocka_unit_test(test_score_interval_fails_before_warns),
        cmocka_unit_test(test_score_interval_loss_total_only_when_directions_pass),
        cmocka_unit_test(test_score_interval_owd_only_when_synced),
        cmocka_unit_test(test_score_interval_dscp_rewrite_fails),
        cmocka_unit_test(test_score_interval_dscp_skipped_unmarked_or_empty),
        cmocka_unit_test(test_score_interval_edge_set),
        cmocka_unit_test(test_score_interval_max_bounds_output),
        cmocka_unit_test(test_verdict_acc_result_empty_is_ready),
        cmocka_unit_test(test_verdict_acc_result_ready),
        cmocka_unit_test(test_verdict_acc_result_at_risk_96),
        cmocka_unit_test(test_verdict_acc_result_boundary_95),
        cmocka_unit_test(test_verdict_acc_result_not_ready_groups),
        cmocka_unit_test(test_verdict_acc_result_sorted_by_count_then_severity),
        cmocka_unit_test(test_verdict_acc_result_span_crosses_midnight),
        cmocka_unit_test(test_verdict_acc_result_rewritten_marks_at_most_at_risk),
        cmocka_unit_test(test_verdict_acc_result_besteffort_excluded),
        cmocka_unit_test(test_verdict_acc_result_besteffort_note_comes_last),
        cmocka_unit_test(test_verdict_acc_result_besteffort_only_counts),
        cmocka_unit_test(test_verdict_acc_result_weights),
        cmocka_unit_test(test_verdict_acc_result_near_threshold),
        cmocka_unit_test(test_verdict_to_json_fields),
        cmocka_unit_test(test_site_verdict_name_and_label),
        cmocka_unit_test(test_score_level_rule_and_warn_band),
        cmocka_unit_test(test_verdict_apply_capacity),
        cmocka_unit_test(test_liveness_of_rule),
        cmocka_unit_test(test_liveness_fmt_age_units),
        cmocka_unit_test(test_verdict_apply_liveness_silent_never_ready),
        cmocka_unit_test(test_verdict_step_of_matches_acc_add),
        cmocka_unit_test(test_reason_counts_per_class),
        cmocka_unit_test(test_reason_two_episodes),
        cmocka_unit_test(test_reason_episode_gap_rule),
        cmocka_unit_test(test_reason_episode_two_targets),
        cmocka_unit_test(test_reason_single_interval_has_seconds),
        cmocka_unit_test(test_reason_group_merge_any_cut),
        cmocka_unit_test(test_verdict_step_of_one_interval),
        cmocka_unit_test(test_score_fmt_num_one_rounding),
        cmocka_unit_test(test_score_fmt_reason_with_and_without_dir),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
