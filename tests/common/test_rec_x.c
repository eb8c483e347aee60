/* Property tests of every record type (rec_capacity.h, rec_capture.h, rec_ack.h, record.h):
 * random
 * structs, with integers at their bounds, nulls, absent optional fields, empty arrays and
 * strings of the maximum length, go through the writer and the reader and come back equal. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rec_ack.h"
#include "rec_agent.h"
#include "rec_capacity.h"
#include "rec_capture.h"
#include "rec_verdict.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t pick_u(uint64_t max) /* 0, max, or in between */
{
    switch (next() % 4) {
    case 0:
        return 0;
    case 1:
        return max;
    default:
        return next() % (max + 1);
    }
}

static double pick_d(double lo, double hi, bool nullable)
{
    switch (next() % 5) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        if (nullable)
            return NAN;
        /* fall through */
    default:
        return lo + (hi - lo) * (double)(next() % 1000001) / 1e6;
    }
}

static void pick_s(char *dst, size_t cap)
{
    size_t n = next() % 3 == 0 ? cap - 1 : next() % cap;
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)('a' + next() % 26);
    dst[n] = '\0';
}

static int pick_enum(const char *const *names, bool optional)
{
    int n = 0;
    while (names[n] != NULL)
        n++;
    int k = (int)(next() % (uint64_t)(n + (optional ? 1 : 0)));
    return k == n ? -1 : k;
}

static void pick_reasons(char (*r)[VR_REC_REASON_LEN], size_t *n)
{
    *n = next() % 3 == 0 ? 0 : pick_u(VR_REC_MAX_REASONS);
    for (size_t i = 0; i < *n; i++)
        pick_s(r[i], VR_REC_REASON_LEN);
}

/* Equal as the JSON says it: NAN == NAN, reals within 1e-9 relative. */
static bool same_d(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

#define EQ_D(a, b)                                                        \
    do {                                                                  \
        if (!same_d((a), (b)))                                            \
            fail_msg("%s: %.17g != %.17g", #a, (double)(a), (double)(b)); \
    } while (0)

static void random_capacity(struct vr_rec_capacity *r)
{
    vr_rec_capacity_clear(r);
    pick_s(r->id, sizeof(r->id));
    if (r->id[0] == '\0')
        r->id[0] = 'i', r->id[1] = '\0';
    pick_s(r->agent, sizeof(r->agent));
    pick_s(r->site, sizeof(r->site));
    pick_s(r->target, sizeof(r->target));
    if (r->target[0] == '\0')
        r->target[0] = 't', r->target[1] = '\0';
    r->link = pick_enum(vr_rec_link_names, false);
    pick_s(r->interface, sizeof(r->interface));
    r->start_wall_ns = pick_u((uint64_t)INT64_MAX / 1000000u) * 1000000u; /* ms precision */
    r->duration_s = pick_d(0, 1e7, false);
    for (int k = 0; k < 3; k++) /* audio, video, sharing */
        r->mix[k] = next() % 2 ? pick_d(0, 100, false) : NAN;
    for (int k = 0; k < VR_CLASS_COUNT; k++)
        if (next() % 2)
            pick_s(r->profiles[k], sizeof(r->profiles[k]));
    r->max_rate_bps = pick_u((uint64_t)VR_REC_MAX_BPS);
    r->capacity_calls = (uint32_t)pick_u(VR_REC_MAX_CALLS);
    r->capacity_bps_fwd = pick_d(0, VR_REC_MAX_BPS, false);
    r->capacity_bps_rev = pick_d(0, VR_REC_MAX_BPS, false);
    r->limit = pick_enum(vr_rec_limit_names, false);
    r->has_first_failure = next() % 2;
    if (r->has_first_failure) {
        struct vr_rec_capacity_failure *f = &r->first_failure;
        f->calls = (uint32_t)pick_u(VR_REC_MAX_CALLS);
        f->metric = pick_enum(vr_rec_metric_names, false);
        f->direction = pick_enum(vr_rec_dir_names, true);
        pick_s(f->cls, sizeof(f->cls));
        f->value = pick_d(-1e9, 1e9, true);
        f->threshold = pick_d(-1e9, 1e9, true);
        pick_s(f->reason, sizeof(f->reason));
    }
    r->cause = pick_enum(vr_rec_cause_names, false);
    r->n_steps = next() % 3 == 0 ? 0 : pick_u(VR_REC_MAX_STEPS);
    for (size_t i = 0; i < r->n_steps; i++) {
        struct vr_rec_capacity_step *s = &r->steps[i];
        s->calls = (uint32_t)pick_u(VR_REC_MAX_CALLS);
        s->duration_s = pick_d(0, 1e7, true);
        s->bps_fwd = pick_d(0, VR_REC_MAX_BPS, true);
        s->bps_rev = pick_d(0, VR_REC_MAX_BPS, true);
        s->verdict = (enum vr_level)pick_enum(vr_rec_level_names, false);
        s->loss_fwd_pct = pick_d(0, 100, true);
        s->loss_rev_pct = pick_d(0, 100, true);
        s->jitter_fwd_ms = pick_d(0, 1e7, true);
        s->jitter_rev_ms = pick_d(0, 1e7, true);
        s->rtt_p95_ms = pick_d(0, 1e7, true);
        s->dscp_preserved_fwd_pct = pick_d(0, 100, true);
        s->dscp_preserved_rev_pct = pick_d(0, 100, true);
        pick_reasons(s->reasons, &s->n_reasons);
        for (int k = 0; k < VR_CLASS_COUNT; k++)
            s->streams[k] = (int64_t)pick_u(1000000000);
        s->intervals = next() % 3 == 0 ? -1 : (int64_t)pick_u(1000000000);
        s->stopped = pick_enum(vr_rec_stopped_names, true);
    }
    r->verdict = (enum vr_level)pick_enum(vr_rec_level_names, false);
    pick_reasons(r->reasons, &r->n_reasons);
    if (next() % 2)
        pick_s(r->thresholds, sizeof(r->thresholds));
    static const int ipv[] = {0, 4, 6}; /* 0: absent */
    r->ip_version = ipv[next() % 3];
    r->step_s = pick_d(0, 1e7, true);
    r->interval_s = pick_d(0, 1e7, true);
    r->loss_stop_pct = pick_d(0, 100, true);
    r->max_calls = next() % 3 == 0 ? -1 : (int64_t)pick_u(VR_REC_MAX_CALLS);
}

static void check_capacity(const struct vr_rec_capacity *a, const struct vr_rec_capacity *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->agent, b->agent);
    assert_string_equal(a->site, b->site);
    assert_string_equal(a->target, b->target);
    assert_int_equal(a->link, b->link);
    assert_string_equal(a->interface, b->interface);
    assert_int_equal(a->start_wall_ns, b->start_wall_ns);
    EQ_D(a->duration_s, b->duration_s);
    for (int k = 0; k < VR_CLASS_COUNT; k++) {
        EQ_D(a->mix[k], b->mix[k]);
        assert_string_equal(a->profiles[k], b->profiles[k]);
    }
    assert_int_equal(a->max_rate_bps, b->max_rate_bps);
    assert_int_equal(a->capacity_calls, b->capacity_calls);
    EQ_D(a->capacity_bps_fwd, b->capacity_bps_fwd);
    EQ_D(a->capacity_bps_rev, b->capacity_bps_rev);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->has_first_failure, b->has_first_failure);
    if (a->has_first_failure) {
        const struct vr_rec_capacity_failure *f = &a->first_failure, *g = &b->first_failure;
        assert_int_equal(f->calls, g->calls);
        assert_int_equal(f->metric, g->metric);
        assert_int_equal(f->direction, g->direction);
        assert_string_equal(f->cls, g->cls);
        EQ_D(f->value, g->value);
        EQ_D(f->threshold, g->threshold);
        assert_string_equal(f->reason, g->reason);
    }
    assert_int_equal(a->cause, b->cause);
    assert_int_equal(a->n_steps, b->n_steps);
    for (size_t i = 0; i < a->n_steps; i++) {
        const struct vr_rec_capacity_step *s = &a->steps[i], *t = &b->steps[i];
        assert_int_equal(s->calls, t->calls);
        EQ_D(s->duration_s, t->duration_s);
        EQ_D(s->bps_fwd, t->bps_fwd);
        EQ_D(s->bps_rev, t->bps_rev);
        assert_int_equal(s->verdict, t->verdict);
        EQ_D(s->loss_fwd_pct, t->loss_fwd_pct);
        EQ_D(s->loss_rev_pct, t->loss_rev_pct);
        EQ_D(s->jitter_fwd_ms, t->jitter_fwd_ms);
        EQ_D(s->jitter_rev_ms, t->jitter_rev_ms);
        EQ_D(s->rtt_p95_ms, t->rtt_p95_ms);
        EQ_D(s->dscp_preserved_fwd_pct, t->dscp_preserved_fwd_pct);
        EQ_D(s->dscp_preserved_rev_pct, t->dscp_preserved_rev_pct);
        assert_int_equal(s->n_reasons, t->n_reasons);
        for (size_t k = 0; k < s->n_reasons; k++)
            assert_string_equal(s->reasons[k], t->reasons[k]);
        for (int k = 0; k < VR_CLASS_COUNT; k++)
            assert_int_equal(s->streams[k], t->streams[k]);
        assert_int_equal(s->intervals, t->intervals);
        assert_int_equal(s->stopped, t->stopped);
    }
    assert_int_equal(a->verdict, b->verdict);
    assert_int_equal(a->n_reasons, b->n_reasons);
    for (size_t k = 0; k < a->n_reasons; k++)
        assert_string_equal(a->reasons[k], b->reasons[k]);
    assert_string_equal(a->thresholds, b->thresholds);
    assert_int_equal(a->ip_version, b->ip_version);
    EQ_D(a->step_s, b->step_s);
    EQ_D(a->interval_s, b->interval_s);
    EQ_D(a->loss_stop_pct, b->loss_stop_pct);
    assert_int_equal(a->max_calls, b->max_calls);
}

static void test_capacity_random_round_trip(void **state)
{
    (void)state;
    struct vr_rec_capacity *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 200; i++) {
        random_capacity(a);
        json_t *j = vr_rec_capacity_to_json(a);
        assert_non_null(j);
        struct vr_jerr e = {{""}, ""};
        if (vr_rec_capacity_from_json(j, b, &e) != 0)
            fail_msg("case %d: %s (field %s)", i, e.eb.msg, e.field);
        check_capacity(a, b);
        json_decref(j);
    }
    free(a);
    free(b);
}

static void random_capture(struct vr_rec_capture *r)
{
    vr_rec_capture_clear(r);
    pick_s(r->id, sizeof(r->id));
    if (r->id[0] == '\0')
        r->id[0] = 'i', r->id[1] = '\0';
    pick_s(r->agent, sizeof(r->agent));
    pick_s(r->site, sizeof(r->site));
    if (next() % 2)
        pick_s(r->source, sizeof(r->source));
    r->link = pick_enum(vr_rec_link_names, false);
    r->start_wall_ns = pick_u((uint64_t)INT64_MAX / 1000000u) * 1000000u;
    r->duration_s = pick_d(0, 1e7, false);
    pick_s(r->src, sizeof(r->src));
    pick_s(r->dst, sizeof(r->dst));
    if (next() % 2)
        pick_s(r->ssrc, sizeof(r->ssrc));
    r->payload_type = next() % 3 == 0 ? -1 : (int64_t)pick_u(127);
    r->clock_hz = next() % 3 == 0 ? -1 : (int64_t)pick_u(1000000);
    r->clock_source = pick_enum(vr_rec_clock_source_names, true);
    r->cls = pick_enum(vr_rec_capture_class_names, false);
    r->packets = pick_u(VR_REC_MAX_COUNT);
    r->expected = next() % 3 == 0 ? -1 : (int64_t)pick_u(VR_REC_MAX_COUNT);
    r->lost = pick_u(VR_REC_MAX_COUNT);
    r->loss_pct = pick_d(0, 100, false);
    r->duplicates = next() % 3 == 0 ? -1 : (int64_t)pick_u(VR_REC_MAX_COUNT);
    r->reorder_pct = pick_d(0, 100, true);
    r->jitter_ms = pick_d(0, 1e7, false);
    r->jitter_max_ms = pick_d(0, 1e7, true);
    r->max_delta_ms = pick_d(0, 1e7, true);
    r->has_dscp = next() % 4 != 0;
    for (int i = 0; r->has_dscp && i < 64; i++)
        r->dscp[i] = next() % 4 == 0 ? pick_u(INT64_MAX) : 0;
    r->mos = pick_d(1, 5, true);
    r->verdict = (enum vr_level)pick_enum(vr_rec_level_names, false);
    pick_reasons(r->reasons, &r->n_reasons);
    r->turn_channel_data = next() % 2;
}

static void test_capture_random_round_trip(void **state)
{
    (void)state;
    struct vr_rec_capture *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 500; i++) {
        random_capture(a);
        json_t *j = vr_rec_capture_to_json(a);
        assert_non_null(j);
        struct vr_jerr e = {{""}, ""};
        if (vr_rec_capture_from_json(j, b, &e) != 0)
            fail_msg("case %d: %s (field %s)", i, e.eb.msg, e.field);
        json_decref(j);
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->agent, b->agent);
        assert_string_equal(a->site, b->site);
        assert_string_equal(a->source, b->source);
        assert_int_equal(a->link, b->link);
        assert_int_equal(a->start_wall_ns, b->start_wall_ns);
        EQ_D(a->duration_s, b->duration_s);
        assert_string_equal(a->src, b->src);
        assert_string_equal(a->dst, b->dst);
        assert_string_equal(a->ssrc, b->ssrc);
        assert_int_equal(a->payload_type, b->payload_type);
        assert_int_equal(a->clock_hz, b->clock_hz);
        assert_int_equal(a->clock_source, b->clock_source);
        assert_int_equal(a->cls, b->cls);
        assert_int_equal(a->packets, b->packets);
        assert_int_equal(a->expected, b->expected);
        assert_int_equal(a->lost, b->lost);
        EQ_D(a->loss_pct, b->loss_pct);
        assert_int_equal(a->duplicates, b->duplicates);
        EQ_D(a->reorder_pct, b->reorder_pct);
        EQ_D(a->jitter_ms, b->jitter_ms);
        EQ_D(a->jitter_max_ms, b->jitter_max_ms);
        EQ_D(a->max_delta_ms, b->max_delta_ms);
        assert_int_equal(a->has_dscp, b->has_dscp);
        assert_memory_equal(a->dscp, b->dscp, sizeof(a->dscp));
        EQ_D(a->mos, b->mos);
        assert_int_equal(a->verdict, b->verdict);
        assert_int_equal(a->n_reasons, b->n_reasons);
        for (size_t k = 0; k < a->n_reasons; k++)
            assert_string_equal(a->reasons[k], b->reasons[k]);
        assert_int_equal(a->turn_channel_data, b->turn_channel_data);
    }
    free(a);
    free(b);
}

static void test_verdict_random_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 500; i++) {
        struct vr_verdict a, b;
        memset(&a, 0, sizeof(a));
        a.verdict = (enum vr_site_verdict)(next() % 3);
        a.score_pct = (double)pick_u(100000) / 1000.0; /* the writer keeps 3 decimals */
        a.intervals = pick_u(INT64_MAX);
        a.passed = pick_u(INT64_MAX);
        a.n_reasons = pick_u(VR_VERDICT_MAX_REASONS);
        for (size_t k = 0; k < a.n_reasons; k++)
            pick_s(a.reasons[k], sizeof(a.reasons[k]));
        /* every other case with a "sender" object, its counts at their bounds */
        struct vr_rec_sender sa = {
            .deadline_error_us_mean = (double)pick_u(1000000) / 8.0,
            .deadline_error_us_p99 = (double)pick_u(1000000) / 4.0,
            .deadline_error_us_max = (double)pick_u(1000000000),
            .overruns = pick_u(INT64_MAX),
            .send_errors = pick_u(INT64_MAX),
            .realtime = next() % 2 == 0,
            .interrupted = next() % 2 == 0,
        };
        struct vr_rec_sender sb;
        bool has_sb = false;
        json_t *j = vr_verdict_to_json(&a, i % 2 == 0 ? &sa : NULL);
        assert_non_null(j);
        struct vr_jerr e = {{""}, ""};
        if (vr_verdict_from_json(j, &b, &sb, &has_sb, &e) != 0)
            fail_msg("case %d: %s (field %s)", i, e.eb.msg, e.field);
        json_decref(j);
        assert_int_equal(has_sb, i % 2 == 0);
        if (has_sb) {
            EQ_D(sa.deadline_error_us_mean, sb.deadline_error_us_mean);
            EQ_D(sa.deadline_error_us_p99, sb.deadline_error_us_p99);
            EQ_D(sa.deadline_error_us_max, sb.deadline_error_us_max);
            assert_int_equal(sa.overruns, sb.overruns);
            assert_int_equal(sa.send_errors, sb.send_errors);
            assert_int_equal(sa.realtime, sb.realtime);
            assert_int_equal(sa.interrupted, sb.interrupted);
        }
        assert_int_equal(a.verdict, b.verdict);
        EQ_D(a.score_pct, b.score_pct);
        assert_int_equal(a.intervals, b.intervals);
        assert_int_equal(a.passed, b.passed);
        assert_int_equal(a.n_reasons, b.n_reasons);
        for (size_t k = 0; k < a.n_reasons; k++)
            assert_string_equal(a.reasons[k], b.reasons[k]);
    }
}

static void test_ack_random_round_trip(void **state)
{
    (void)state;
    static char pool[64][64];
    const char *ids[64];
    for (int i = 0; i < 200; i++) {
        size_t ns = pick_u(32), nd = pick_u(32);
        for (size_t k = 0; k < ns + nd; k++) {
            pick_s(pool[k], sizeof(pool[k]));
            ids[k] = pool[k];
        }
        uint64_t ignored = pick_u(INT64_MAX);
        static char why[8][64];
        struct vr_rec_reject rej[8];
        size_t nr = pick_u(8);
        for (size_t k = 0; k < nr; k++) {
            pick_s(why[k], sizeof(why[k]));
            rej[k] = (struct vr_rec_reject){.line = 1 + pick_u(100000),
                                            .id = k % 2 ? why[k] : "",
                                            .field = "",
                                            .error = why[k]};
        }
        json_t *j = vr_rec_ack_to_json(ids, ns, nd, rej, nr, ignored);
        assert_non_null(j);
        struct vr_rec_ack a;
        struct vr_jerr e = {{""}, ""};
        if (vr_rec_ack_from_json(j, &a, &e) != 0)
            fail_msg("case %d: %s", i, e.eb.msg);
        assert_int_equal(a.n_stored, ns);
        assert_int_equal(a.n_duplicates, nd);
        assert_int_equal(a.ignored, ignored);
        for (size_t k = 0; k < ns + nd; k++)
            assert_string_equal(a.ids[k], ids[k]);
        assert_int_equal(a.n_rejected, nr);
        for (size_t k = 0; k < nr; k++) {
            assert_int_equal(a.rejected[k].line, rej[k].line);
            assert_string_equal(a.rejected[k].id, rej[k].id);
            assert_string_equal(a.rejected[k].field, "");
            assert_string_equal(a.rejected[k].error, rej[k].error);
        }
        vr_rec_ack_free(&a);
        json_decref(j);
    }
    json_t *err = vr_rec_error_to_json("line 3: bad", 3, "site");
    char buf[64];
    vr_rec_error_from_json(err, buf, sizeof(buf));
    assert_string_equal(buf, "line 3: bad");
    assert_string_equal(json_string_value(json_object_get(err, "field")), "site");
    json_decref(err);
}

static void random_q(struct vr_quantiles *q, double lo)
{
    double *v[6] = {&q->min, &q->mean, &q->p50, &q->p95, &q->p99, &q->max};
    for (int i = 0; i < 6; i++)
        *v[i] = pick_d(lo, 1e9, false);
}

static void random_interval(struct vr_record *r)
{
    static const char *const classes[] = {"audio", "video", "sharing", "besteffort"};
    static const char *const links[] = {"wired", "wifi", "other"};
    memset(r, 0, sizeof(*r));
    r->type = next() % 2 ? VR_RECORD_INTERVAL : VR_RECORD_SUMMARY;
    pick_s(r->id, sizeof(r->id));
    if (r->id[0] == '\0')
        r->id[0] = 'i', r->id[1] = '\0';
    pick_s(r->agent, sizeof(r->agent));
    pick_s(r->site, sizeof(r->site));
    pick_s(r->target, sizeof(r->target));
    snprintf(r->link, sizeof(r->link), "%s", links[next() % 3]);
    pick_s(r->interface, sizeof(r->interface));
    vr_wifi_reset(&r->wifi);
    if (strcmp(r->link, "wifi") == 0 && next() % 2) {
        pick_s(r->wifi.ssid, sizeof(r->wifi.ssid));
        r->wifi.has_signal = next() % 2;
        r->wifi.signal_dbm = r->wifi.has_signal ? (int)pick_u(255) - 128 : 0;
        r->wifi.tx_bitrate_mbps = next() % 2 ? (double)pick_u(1000000) : -1;
        r->wifi.freq_mhz = next() % 2 ? 2412 + (uint32_t)(next() % 4000) : 0;
    }
    snprintf(r->cls, sizeof(r->cls), "%s", classes[next() % 4]);
    r->dscp = (int)pick_u(63);
    if (next() % 2)
        pick_s(r->profile, sizeof(r->profile));
    r->start_wall_ns = pick_u((uint64_t)INT64_MAX / 1000000u) * 1000000u;
    r->duration_s = pick_d(0, 1e9, false);
    r->calls = (uint32_t)pick_u(UINT32_MAX);
    r->sent = pick_u(INT64_MAX);
    r->received = pick_u(INT64_MAX);
    r->fwd_received = pick_u(INT64_MAX);
    r->loss_fwd_pct = pick_d(0, 100, false);
    r->loss_rev_pct = pick_d(0, 100, false);
    r->loss_pct = pick_d(0, 100, false);
    r->burst_loss_max_pct = pick_d(0, 100, false);
    r->duplicates = pick_u(INT64_MAX);
    r->reorder_pct = pick_d(0, 100, false);
    random_q(&r->rtt_ms, 0);
    r->clock_synced = next() % 2;
    r->has_owd = r->clock_synced && next() % 2; /* null owd_* otherwise */
    if (r->has_owd) {
        random_q(&r->owd_fwd_ms, -1e9);
        random_q(&r->owd_rev_ms, -1e9);
    }
    r->jitter_fwd_ms = pick_d(0, 1e9, false);
    r->jitter_rev_ms = pick_d(0, 1e9, false);
    random_q(&r->ipdv_fwd_ms, 0);
    random_q(&r->ipdv_rev_ms, 0);
    for (int i = 0; i < 64; i++) {
        r->dscp_fwd[i] = next() % 8 == 0 ? pick_u(INT64_MAX / 64) : 0;
        r->dscp_rev[i] = next() % 8 == 0 ? pick_u(INT64_MAX / 64) : 0;
    }
    for (int i = 0; i < 4; i++) {
        r->ecn_fwd[i] = pick_u(INT64_MAX);
        r->ecn_rev[i] = pick_u(INT64_MAX);
    }
    r->mos = pick_d(0, 5, false);
    r->late = pick_u(INT64_MAX);
    r->send_overruns = pick_u(INT64_MAX);
    r->verdict = (enum vr_level)(next() % 3);
    r->n_reasons = pick_u(VR_RECORD_MAX_REASONS);
    for (size_t k = 0; k < r->n_reasons; k++)
        pick_s(r->reasons[k], VR_RECORD_REASON_LEN);
    r->step_calls = next() % 2 ? (uint32_t)pick_u(UINT32_MAX) : 0;
}

/* The interval writer rounds its reals, so the property is: the reader takes every record the
 * writer writes, keeps its integers and strings exactly, and writing it again gives the same
 * JSON. */
static void test_interval_random_round_trip(void **state)
{
    (void)state;
    struct vr_record *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 500; i++) {
        random_interval(a);
        json_t *j = vr_record_to_json(a);
        assert_non_null(j);
        struct vr_jerr e = {{""}, ""};
        if (vr_record_from_json(j, b, &e) != 0)
            fail_msg("case %d: %s (field %s)", i, e.eb.msg, e.field);
        json_t *k = vr_record_to_json(b);
        if (!json_equal(j, k)) {
            char *x = json_dumps(j, JSON_SORT_KEYS), *y = json_dumps(k, JSON_SORT_KEYS);
            fail_msg("case %d: written again differs:\n%s\n%s", i, x, y);
        }
        json_decref(j);
        json_decref(k);
        assert_int_equal(a->type, b->type);
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->site, b->site);
        assert_string_equal(a->target, b->target);
        assert_string_equal(a->wifi.ssid, b->wifi.ssid);
        assert_int_equal(a->calls, b->calls);
        assert_int_equal(a->sent, b->sent);
        assert_int_equal(a->received, b->received);
        assert_int_equal(a->late, b->late);
        assert_memory_equal(a->dscp_fwd, b->dscp_fwd, sizeof(a->dscp_fwd));
        assert_memory_equal(a->ecn_rev, b->ecn_rev, sizeof(a->ecn_rev));
        assert_int_equal(a->has_owd, b->has_owd);
        assert_int_equal(a->n_reasons, b->n_reasons);
        assert_int_equal(a->step_calls, b->step_calls);
    }
    free(a);
    free(b);
}

/* A real where the reader wants an integer names the field, apart from the message. */
static void test_agent_status_random_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        struct vr_agent_status a = {0}, b;
        pick_s(a.agent, sizeof(a.agent));
        pick_s(a.site, sizeof(a.site));
        if (a.agent[0] == 0)
            strcpy(a.agent, "a");
        if (a.site[0] == 0)
            strcpy(a.site, "s");
        pick_s(a.version, sizeof(a.version));
        a.time_wall_ns = pick_u((uint64_t)INT64_MAX / 1000000u) * 1000000u;
        a.spool_records = pick_u(INT64_MAX);
        a.quarantined = pick_u(INT64_MAX);
        a.clock_sync = (enum vr_clock_sync)pick_u(2);
        a.n_links = pick_u(VR_REC_AGENT_MAX_LINKS);
        for (size_t k = 0; k < a.n_links; k++)
            a.links[k] = (int)((k + (size_t)i) % VR_REC_AGENT_MAX_LINKS);
        json_t *j = vr_agent_status_to_json(&a);
        assert_non_null(j);
        struct vr_jerr e = {{""}, ""};
        if (vr_agent_status_from_json(j, &b, &e) != 0)
            fail_msg("case %d: %s", i, e.eb.msg);
        assert_string_equal(b.agent, a.agent);
        assert_string_equal(b.site, a.site);
        assert_string_equal(b.version, a.version);
        assert_int_equal(b.time_wall_ns, a.time_wall_ns);
        assert_int_equal(b.spool_records, a.spool_records);
        assert_int_equal(b.quarantined, a.quarantined);
        assert_int_equal(b.clock_sync, a.clock_sync);
        assert_int_equal(b.n_links, a.n_links);
        for (size_t k = 0; k < a.n_links; k++)
            assert_int_equal(b.links[k], a.links[k]);
        json_decref(j);
    }
    /* a repeated link kind and an unknown one are refused, naming the field */
    const char *bad[] = {"{\"type\":\"agent_status\",\"schema\":1,\"agent\":\"a\",\"site\":\"s\","
                         "\"time\":\"2026-12-03T13:02:00Z\",\"links\":[\"wifi\",\"wifi\"]}",
                         "{\"type\":\"agent_status\",\"schema\":1,\"agent\":\"a\",\"site\":\"s\","
                         "\"time\":\"2026-12-03T13:02:00Z\",\"links\":[\"fibre\"]}"};
    for (size_t k = 0; k < 2; k++) {
        json_t *j = json_loads(bad[k], 0, NULL);
        assert_non_null(j);
        struct vr_agent_status b;
        struct vr_jerr e = {{""}, ""};
        assert_int_equal(vr_agent_status_from_json(j, &b, &e), VR_EINVAL);
        assert_string_equal(e.field, "links");
        json_decref(j);
    }
}

static void test_capacity_real_max_rate_names_field(void **state)
{
    (void)state;
    struct vr_rec_capacity *a = malloc(sizeof(*a));
    assert_non_null(a);
    random_capacity(a);
    json_t *j = vr_rec_capacity_to_json(a);
    assert_true(json_is_integer(json_object_get(j, "max_rate_bps")));
    json_object_set_new(j, "max_rate_bps", json_real(10000000.0));
    struct vr_jerr e = {{""}, ""};
    assert_int_equal(vr_rec_capacity_from_json(j, a, &e), VR_EINVAL);
    assert_string_equal(e.field, "max_rate_bps");
    json_decref(j);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_random_round_trip),
        cmocka_unit_test(test_capture_random_round_trip),
        cmocka_unit_test(test_capacity_real_max_rate_names_field),
        cmocka_unit_test(test_verdict_random_round_trip),
        cmocka_unit_test(test_ack_random_round_trip),
        cmocka_unit_test(test_agent_status_random_round_trip),
        cmocka_unit_test(test_interval_random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
