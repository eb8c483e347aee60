/* record.h: JSON field names and order (DESIGN.md §5), validation, RFC 3339. The library is
 * included before cmocka.h: with UNIT_TESTING cmocka redefines malloc, which stdlib.h (pulled in
 * by jansson.h) must not see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jfield.h"
#include "record.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

/* cmocka 1.1's assert_float_equal works in float; these values need double. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

#define T_2026_11_27_1405 UINT64_C(1795788300000000000) /* 2026-11-27T14:05:00Z */

static void fill_q(struct vr_quantiles *q, double base)
{
    q->min = base;
    q->mean = base + 1.5;
    q->p50 = base + 1.25;
    q->p95 = base + 3.0;
    q->p99 = base + 4.0;
    q->max = base + 5.125;
}

/* A plausible audio interval whose floating values survive 3-decimal rounding unchanged. */
static void make_record(struct vr_record *r)
{
    memset(r, 0, sizeof(*r));
    r->type = VR_RECORD_INTERVAL;
    snprintf(r->id, sizeof(r->id), "agent1-000042");
    snprintf(r->agent, sizeof(r->agent), "agent1");
    snprintf(r->site, sizeof(r->site), "branch-a");
    snprintf(r->target, sizeof(r->target), "hq.example.net:5004");
    snprintf(r->link, sizeof(r->link), "wired");
    snprintf(r->interface, sizeof(r->interface), "eth0");
    snprintf(r->cls, sizeof(r->cls), "audio");
    r->dscp = 46;
    snprintf(r->profile, sizeof(r->profile), "teams-audio");
    r->start_wall_ns = T_2026_11_27_1405 + UINT64_C(123000000);
    r->duration_s = 15.0;
    r->calls = 2;
    r->sent = 750;
    r->received = 748;
    r->fwd_received = 749;
    r->loss_fwd_pct = 0.133;
    r->loss_rev_pct = 0.134;
    r->loss_pct = 0.267;
    r->burst_loss_max_pct = 10.0;
    r->duplicates = 1;
    r->reorder_pct = 0.0;
    fill_q(&r->rtt_ms, 20.0);
    r->clock_synced = true;
    r->has_owd = true;
    fill_q(&r->owd_fwd_ms, 10.0);
    fill_q(&r->owd_rev_ms, -0.5);
    r->jitter_fwd_ms = 1.25;
    r->jitter_rev_ms = 0.75;
    fill_q(&r->ipdv_fwd_ms, 0.0);
    fill_q(&r->ipdv_rev_ms, 0.5);
    r->dscp_fwd[46] = 740;
    r->dscp_fwd[0] = 9;
    r->dscp_rev[46] = 748;
    r->ecn_fwd[0] = 749;
    r->ecn_rev[0] = 740;
    r->ecn_rev[3] = 8;
    r->mos = 4.41;
    r->late = 3;
    r->send_overruns = 0;
    r->verdict = VR_LEVEL_WARN;
    r->n_reasons = 1;
    snprintf(r->reasons[0], VR_RECORD_REASON_LEN,
             "near threshold: burst loss 10 %% (threshold 12 %%)");
}

/* ---- dscp helpers -------------------------------------------------------------------------- */

static void test_record_dscp_preserved_pct_none_received(void **state)
{
    (void)state;
    uint64_t c[64] = {0};
    assert_true(vr_record_dscp_preserved_pct(c, 46) < 0.0);
}

static void test_record_dscp_preserved_pct_share(void **state)
{
    (void)state;
    uint64_t c[64] = {0};
    c[46] = 3;
    c[0] = 1;
    assert_near(vr_record_dscp_preserved_pct(c, 46), 75.0, 1e-12);
    assert_near(vr_record_dscp_preserved_pct(c, 34), 0.0, 1e-12);
    assert_near(vr_record_dscp_preserved_pct(c, 99), 0.0, 1e-12);
}

static void test_record_dscp_top_other_none(void **state)
{
    (void)state;
    uint64_t c[64] = {0};
    assert_int_equal(vr_record_dscp_top_other(c, 46), -1);
    c[46] = 10;
    assert_int_equal(vr_record_dscp_top_other(c, 46), -1);
}

static void test_record_dscp_top_other_most_frequent_lowest_on_tie(void **state)
{
    (void)state;
    uint64_t c[64] = {0};
    c[46] = 100;
    c[8] = 5;
    c[0] = 7;
    c[34] = 7;
    assert_int_equal(vr_record_dscp_top_other(c, 46), 0);
    c[8] = 9;
    assert_int_equal(vr_record_dscp_top_other(c, 46), 8);
}

static void test_level_name_all(void **state)
{
    (void)state;
    assert_string_equal(vr_level_name(VR_LEVEL_PASS), "pass");
    assert_string_equal(vr_level_name(VR_LEVEL_WARN), "warn");
    assert_string_equal(vr_level_name(VR_LEVEL_FAIL), "fail");
}

/* ---- RFC 3339 ------------------------------------------------------------------------------ */

static void test_format_rfc3339_epoch_and_ms(void **state)
{
    (void)state;
    char buf[32];
    vr_format_rfc3339(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    vr_format_rfc3339(T_2026_11_27_1405 + UINT64_C(999999999), buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-27T14:05:00.999Z"); /* truncated, not rounded */
}

static void test_format_rfc3339_leap_days(void **state)
{
    (void)state;
    char buf[32];
    /* 2024-02-29T23:59:59Z = 1709251199 */
    vr_format_rfc3339(UINT64_C(1709251199) * 1000000000u, buf, sizeof(buf));
    assert_string_equal(buf, "2024-02-29T23:59:59.000Z");
    /* 2000-02-29T12:00:00Z = 951825600 (divisible by 400: a leap year) */
    vr_format_rfc3339(UINT64_C(951825600) * 1000000000u, buf, sizeof(buf));
    assert_string_equal(buf, "2000-02-29T12:00:00.000Z");
}

static void test_format_rfc3339_short_buffer(void **state)
{
    (void)state;
    char buf[8];
    vr_format_rfc3339(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01");
}

static void test_parse_rfc3339_fractions(void **state)
{
    (void)state;
    uint64_t ns = 1;
    assert_int_equal(vr_parse_rfc3339("2026-11-27T14:05:00Z", &ns), 0);
    assert_true(ns == T_2026_11_27_1405);
    assert_int_equal(vr_parse_rfc3339("2026-11-27T14:05:00.5Z", &ns), 0);
    assert_true(ns == T_2026_11_27_1405 + UINT64_C(500000000));
    assert_int_equal(vr_parse_rfc3339("2026-11-27T14:05:00.123Z", &ns), 0);
    assert_true(ns == T_2026_11_27_1405 + UINT64_C(123000000));
    assert_int_equal(vr_parse_rfc3339("2026-11-27T14:05:00.123456789Z", &ns), 0);
    assert_true(ns == T_2026_11_27_1405 + UINT64_C(123456789));
    assert_int_equal(vr_parse_rfc3339("2026-11-27T14:05:00.123456789999Z", &ns), 0);
    assert_true(ns == T_2026_11_27_1405 + UINT64_C(123456789));
}

static void test_parse_rfc3339_leap_years(void **state)
{
    (void)state;
    uint64_t ns;
    assert_int_equal(vr_parse_rfc3339("2024-02-29T23:59:59.000Z", &ns), 0);
    assert_true(ns == UINT64_C(1709251199) * 1000000000u);
    assert_int_equal(vr_parse_rfc3339("2000-02-29T12:00:00Z", &ns), 0);
    assert_true(ns == UINT64_C(951825600) * 1000000000u);
    assert_int_equal(vr_parse_rfc3339("2024-03-01T00:00:00Z", &ns), 0);
    assert_true(ns == UINT64_C(1709251200) * 1000000000u);
    assert_int_equal(vr_parse_rfc3339("2023-02-29T00:00:00Z", &ns), VR_EINVAL);
    assert_int_equal(vr_parse_rfc3339("2100-02-29T00:00:00Z", &ns), VR_EINVAL);
    assert_int_equal(vr_parse_rfc3339("2024-04-31T00:00:00Z", &ns), VR_EINVAL);
}

static void test_parse_rfc3339_rejects_bad_strings(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-27",
        "2026-11-27T14:05:00",       /* no zone */
        "2026-11-27T14:05:00+00:00", /* "Z" only */
        "2026-11-27T14:05:00.000z",  /* upper case only */
        "2026-11-27t14:05:00.000Z",
        "2026-11-27 14:05:00.000Z",
        "2026-11-27T14:05:00.Z",     /* a dot needs digits */
        "2026-11-27T14:05:00.000Zx", /* trailing bytes */
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T14:60:00Z",
        "2026-12-31T23:59:60Z", /* a leap second has no Unix time */
        "1969-12-31T23:59:59Z", /* before the unsigned epoch */
        "2600-01-01T00:00:00Z", /* past uint64 nanoseconds */
        "2026-1-27T14:05:00Z",
        "+026-11-27T14:05:00Z",
        "not a time",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ns = 7;
        if (vr_parse_rfc3339(bad[i], &ns) != VR_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(ns == 7);
    }
}

static void test_parse_rfc3339_inverts_format(void **state)
{
    (void)state;
    /* every ~37 days and an odd millisecond, 1970 to 2100 */
    for (uint64_t s = 0; s < UINT64_C(4102444800); s += UINT64_C(3200000) + 17) {
        uint64_t ns = s * 1000000000u + (s % 1000) * 1000000u, back = 0;
        char buf[32];
        vr_format_rfc3339(ns, buf, sizeof(buf));
        assert_int_equal(vr_parse_rfc3339(buf, &back), 0);
        assert_true(back == ns);
    }
}

/* ---- to JSON ------------------------------------------------------------------------------- */

static void test_record_to_json_field_order(void **state)
{
    (void)state;
    static const char *const want[] = {
        "type",
        "schema",
        "id",
        "agent",
        "site",
        "target",
        "link",
        "interface",
        "wifi",
        "class",
        "dscp",
        "profile",
        "start",
        "duration_s",
        "calls",
        "sent",
        "received",
        "reflector_received",
        "loss_fwd_pct",
        "loss_rev_pct",
        "loss_pct",
        "burst_loss_max_pct",
        "duplicates",
        "reorder_pct",
        "rtt_ms",
        "owd_fwd_ms",
        "owd_rev_ms",
        "clock_synced",
        "jitter_fwd_ms",
        "jitter_rev_ms",
        "ipdv_fwd_ms",
        "ipdv_rev_ms",
        "dscp_fwd",
        "dscp_rev",
        "ecn_fwd",
        "ecn_rev",
        "mos",
        "late",
        "send_overruns",
        "verdict",
        "reasons",
    };
    struct vr_record r;
    make_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    size_t i = 0;
    for (void *it = json_object_iter(j); it != NULL; it = json_object_iter_next(j, it), i++) {
        assert_true(i < sizeof(want) / sizeof(want[0]));
        assert_string_equal(json_object_iter_key(it), want[i]);
    }
    assert_int_equal(i, sizeof(want) / sizeof(want[0]));
    json_decref(j);
}

static void test_record_to_json_values(void **state)
{
    (void)state;
    struct vr_record r;
    make_record(&r);
    r.type = VR_RECORD_SUMMARY;
    r.rtt_ms.mean = 20.123456;
    r.mos = 4.4149;
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "summary");
    assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "class")), "audio");
    assert_int_equal(json_integer_value(json_object_get(j, "dscp")), 46);
    assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-11-27T14:05:00.123Z");
    assert_int_equal(json_integer_value(json_object_get(j, "reflector_received")), 749);
    assert_true(json_real_value(json_object_get(json_object_get(j, "rtt_ms"), "mean")) == 20.123);
    assert_true(json_real_value(json_object_get(j, "mos")) == 4.41);
    assert_true(json_is_true(json_object_get(j, "clock_synced")));
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "warn");
    assert_int_equal(json_array_size(json_object_get(j, "reasons")), 1);

    json_t *ecn = json_object_get(j, "ecn_rev");
    assert_int_equal(json_object_size(ecn), 4);
    assert_int_equal(json_integer_value(json_object_get(ecn, "not_ect")), 740);
    assert_int_equal(json_integer_value(json_object_get(ecn, "ect1")), 0);
    assert_int_equal(json_integer_value(json_object_get(ecn, "ect0")), 0);
    assert_int_equal(json_integer_value(json_object_get(ecn, "ce")), 8);
    json_decref(j);
}

static void test_record_to_json_dscp_counts(void **state)
{
    (void)state;
    struct vr_record r;
    make_record(&r);
    memset(r.dscp_rev, 0, sizeof(r.dscp_rev));
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);

    json_t *fwd = json_object_get(j, "dscp_fwd");
    assert_true(json_real_value(json_object_get(fwd, "preserved_pct")) == 98.798); /* 740/749 */
    json_t *recv = json_object_get(fwd, "received");
    assert_int_equal(json_object_size(recv), 2); /* only the DSCPs seen */
    void *it = json_object_iter(recv);
    assert_string_equal(json_object_iter_key(it), "46"); /* most frequent first */
    assert_int_equal(json_integer_value(json_object_iter_value(it)), 740);
    it = json_object_iter_next(recv, it);
    assert_string_equal(json_object_iter_key(it), "0");
    assert_int_equal(json_integer_value(json_object_iter_value(it)), 9);

    json_t *rev = json_object_get(j, "dscp_rev");
    assert_true(json_is_null(json_object_get(rev, "preserved_pct")));
    assert_int_equal(json_object_size(json_object_get(rev, "received")), 0);
    json_decref(j);
}

static void test_record_to_json_owd_null_without_sync(void **state)
{
    (void)state;
    struct vr_record r;
    make_record(&r);
    r.clock_synced = false;
    r.has_owd = false;
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "owd_fwd_ms")));
    assert_true(json_is_null(json_object_get(j, "owd_rev_ms")));
    assert_true(json_is_false(json_object_get(j, "clock_synced")));
    json_decref(j);
}

static void test_record_to_json_non_finite_is_null(void **state)
{
    (void)state;
    struct vr_record r;
    make_record(&r);
    r.jitter_fwd_ms = (double)NAN;
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "jitter_fwd_ms")));
    struct vr_record back;
    struct vr_jerr eb = {{""}, ""};
    assert_int_equal(vr_record_from_json(j, &back, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.eb.msg, "jitter_fwd_ms"));
    assert_string_equal(eb.field, "jitter_fwd_ms");
    json_decref(j);
}

/* ---- from JSON ----------------------------------------------------------------------------- */

static void assert_q_equal(const struct vr_quantiles *a, const struct vr_quantiles *b)
{
    assert_true(a->min == b->min && a->mean == b->mean && a->p50 == b->p50 && a->p95 == b->p95 &&
                a->p99 == b->p99 && a->max == b->max);
}

static void assert_records_equal(const struct vr_record *a, const struct vr_record *b)
{
    assert_int_equal(a->type, b->type);
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->agent, b->agent);
    assert_string_equal(a->site, b->site);
    assert_string_equal(a->target, b->target);
    assert_string_equal(a->link, b->link);
    assert_string_equal(a->interface, b->interface);
    if (strcmp(a->link, "wifi") == 0) {
        assert_string_equal(a->wifi.ssid, b->wifi.ssid);
        assert_int_equal(a->wifi.has_signal, b->wifi.has_signal);
        assert_int_equal(a->wifi.signal_dbm, b->wifi.signal_dbm);
        assert_near(a->wifi.tx_bitrate_mbps, b->wifi.tx_bitrate_mbps, 1e-9);
        assert_int_equal(a->wifi.freq_mhz, b->wifi.freq_mhz);
    }
    assert_string_equal(a->cls, b->cls);
    assert_int_equal(a->dscp, b->dscp);
    assert_string_equal(a->profile, b->profile);
    assert_true(a->start_wall_ns == b->start_wall_ns);
    assert_true(a->duration_s == b->duration_s);
    assert_int_equal(a->calls, b->calls);
    assert_true(a->sent == b->sent && a->received == b->received &&
                a->fwd_received == b->fwd_received);
    assert_true(a->loss_fwd_pct == b->loss_fwd_pct && a->loss_rev_pct == b->loss_rev_pct &&
                a->loss_pct == b->loss_pct && a->burst_loss_max_pct == b->burst_loss_max_pct);
    assert_true(a->duplicates == b->duplicates && a->reorder_pct == b->reorder_pct);
    assert_q_equal(&a->rtt_ms, &b->rtt_ms);
    assert_int_equal(a->clock_synced, b->clock_synced);
    assert_int_equal(a->has_owd, b->has_owd);
    if (a->has_owd) {
        assert_q_equal(&a->owd_fwd_ms, &b->owd_fwd_ms);
        assert_q_equal(&a->owd_rev_ms, &b->owd_rev_ms);
    }
    assert_true(a->jitter_fwd_ms == b->jitter_fwd_ms && a->jitter_rev_ms == b->jitter_rev_ms);
    assert_q_equal(&a->ipdv_fwd_ms, &b->ipdv_fwd_ms);
    assert_q_equal(&a->ipdv_rev_ms, &b->ipdv_rev_ms);
    assert_memory_equal(a->dscp_fwd, b->dscp_fwd, sizeof(a->dscp_fwd));
    assert_memory_equal(a->dscp_rev, b->dscp_rev, sizeof(a->dscp_rev));
    assert_memory_equal(a->ecn_fwd, b->ecn_fwd, sizeof(a->ecn_fwd));
    assert_memory_equal(a->ecn_rev, b->ecn_rev, sizeof(a->ecn_rev));
    assert_true(a->mos == b->mos);
    assert_true(a->late == b->late && a->send_overruns == b->send_overruns);
    assert_int_equal(a->verdict, b->verdict);
    assert_int_equal(a->n_reasons, b->n_reasons);
    for (size_t i = 0; i < a->n_reasons; i++)
        assert_string_equal(a->reasons[i], b->reasons[i]);
}

static void test_record_from_json_round_trip(void **state)
{
    (void)state;
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    memset(&back, 0xa5, sizeof(back));
    assert_int_equal(vr_record_from_json(j, &back, &eb), 0);
    assert_records_equal(&r, &back);
    json_decref(j);
}

static void test_record_from_json_round_trip_through_text(void **state)
{
    (void)state;
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_record(&r);
    r.clock_synced = false;
    r.has_owd = false;
    r.n_reasons = 0;
    r.verdict = VR_LEVEL_PASS;
    snprintf(r.cls, sizeof(r.cls), "besteffort");
    r.dscp = 0;
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    /* into our buffer: cmocka's free() must not see jansson's malloc() */
    char text[4096];
    size_t len = json_dumpb(j, text, sizeof(text), JSON_COMPACT);
    assert_true(len > 0 && len < sizeof(text));
    json_error_t jerr;
    json_t *k = json_loadb(text, len, 0, &jerr);
    assert_non_null(k);
    assert_int_equal(vr_record_from_json(k, &back, &eb), 0);
    assert_records_equal(&r, &back);
    json_decref(k);
    json_decref(j);
}

static void test_record_from_json_optional_extras(void **state)
{
    (void)state;
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_int_equal(json_object_del(j, "profile"), 0);
    assert_int_equal(json_object_del(j, "reflector_received"), 0);
    assert_int_equal(json_object_set_new(j, "future_field", json_true()), 0);
    assert_int_equal(vr_record_from_json(j, &back, &eb), 0);
    assert_string_equal(back.profile, "");
    assert_true(back.fwd_received == 0);
    json_decref(j);
}

/* Replaces (or with v == NULL deletes) one field of a good record and expects the parser to
 * refuse it with a message that names `name`. */
static void expect_reject(const char *path, json_t *v, const char *name)
{
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    char key[64];
    snprintf(key, sizeof(key), "%s", path);
    json_t *parent = j;
    char *dot = strchr(key, '.');
    if (dot != NULL) {
        *dot = '\0';
        parent = json_object_get(j, key);
        assert_non_null(parent);
        memmove(key, dot + 1, strlen(dot + 1) + 1);
    }
    if (v == NULL)
        assert_int_equal(json_object_del(parent, key), 0);
    else
        assert_int_equal(json_object_set_new(parent, key, v), 0);
    memset(&back, 0, sizeof(back));
    int rc = vr_record_from_json(j, &back, &eb);
    if (rc != VR_EINVAL || strstr(eb.eb.msg, name) == NULL)
        fail_msg("%s: rc %d, message \"%s\" does not name %s", path, rc, eb.eb.msg, name);
    json_decref(j);
}

static void test_record_from_json_rejects_missing_fields(void **state)
{
    (void)state;
    static const char *const required[] = {
        "type",
        "schema",
        "id",
        "agent",
        "site",
        "target",
        "link",
        "interface",
        "class",
        "dscp",
        "start",
        "duration_s",
        "calls",
        "sent",
        "received",
        "loss_fwd_pct",
        "loss_rev_pct",
        "loss_pct",
        "burst_loss_max_pct",
        "duplicates",
        "reorder_pct",
        "rtt_ms",
        "owd_fwd_ms",
        "owd_rev_ms",
        "clock_synced",
        "jitter_fwd_ms",
        "jitter_rev_ms",
        "ipdv_fwd_ms",
        "ipdv_rev_ms",
        "dscp_fwd",
        "dscp_rev",
        "ecn_fwd",
        "ecn_rev",
        "mos",
        "late",
        "send_overruns",
        "verdict",
        "reasons",
        "rtt_ms.p95",
        "ecn_fwd.ce",
        "dscp_rev.received",
        "dscp_fwd.preserved_pct",
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const char *dot = strrchr(required[i], '.');
        expect_reject(required[i], NULL, dot != NULL ? dot + 1 : required[i]);
    }
}

static void test_record_from_json_rejects_out_of_range(void **state)
{
    (void)state;
    expect_reject("loss_fwd_pct", json_real(100.5), "loss_fwd_pct");
    expect_reject("loss_pct", json_real(-0.1), "loss_pct");
    expect_reject("reorder_pct", json_string("0.1"), "reorder_pct");
    expect_reject("dscp", json_integer(64), "dscp");
    expect_reject("dscp", json_integer(-1), "dscp");
    expect_reject("dscp", json_real(46.0), "dscp");
    expect_reject("sent", json_integer(-5), "sent");
    expect_reject("calls", json_integer(INT64_C(5000000000)), "calls");
    expect_reject("mos", json_real(5.5), "mos");
    expect_reject("rtt_ms.mean", json_real(-1.0), "rtt_ms.mean");
    expect_reject("jitter_rev_ms", json_null(), "jitter_rev_ms");
    expect_reject("schema", json_integer(2), "schema");
    expect_reject("clock_synced", json_integer(1), "clock_synced");
    expect_reject("ecn_rev.ect0", json_integer(-1), "ecn_rev.ect0");
    expect_reject("dscp_fwd.preserved_pct", json_real(101.0), "dscp_fwd.preserved_pct");
}

static void test_record_from_json_rejects_bad_strings(void **state)
{
    (void)state;
    expect_reject("type", json_string("verdict"), "type");
    expect_reject("class", json_string("voice"), "class");
    expect_reject("link", json_string("fibre"), "link");
    expect_reject("id", json_string(""), "id");
    expect_reject("site", json_integer(3), "site");
    expect_reject("verdict", json_string("ok"), "verdict");
    expect_reject("start", json_string("2026-11-27T14:05:00+01:00"), "start");
    expect_reject("interface", json_string("a-name-much-longer-than-31-bytes-x"), "interface");
    expect_reject("id", json_stringn("a\0b", 3), "id");
    char big[VR_RECORD_REASON_LEN + 1];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_t *reasons = json_array();
    json_array_append_new(reasons, json_string(big));
    expect_reject("reasons", reasons, "reasons");
    reasons = json_array();
    for (int i = 0; i < VR_RECORD_MAX_REASONS + 1; i++)
        json_array_append_new(reasons, json_string("r"));
    expect_reject("reasons", reasons, "reasons");
}

static void test_record_from_json_rejects_bad_dscp_keys(void **state)
{
    (void)state;
    static const char *const keys[] = {"64", "046", "-1", "x", "", " 4", "100"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *recv = json_object();
        json_object_set_new(recv, keys[i], json_integer(1));
        expect_reject("dscp_fwd.received", recv, "dscp_fwd.received");
    }
    json_t *recv = json_object();
    json_object_set_new(recv, "46", json_integer(-2));
    expect_reject("dscp_rev.received", recv, "dscp_rev.received.46");
}

static void test_record_from_json_rejects_owd_without_sync(void **state)
{
    (void)state;
    expect_reject("clock_synced", json_false(), "owd_fwd_ms");
    expect_reject("owd_rev_ms", json_null(), "owd_fwd_ms");
}

/* ---- wifi ---------------------------------------------------------------------------------- */

static void make_wifi_record(struct vr_record *r)
{
    make_record(r);
    snprintf(r->link, sizeof(r->link), "wifi");
    snprintf(r->interface, sizeof(r->interface), "wlan0");
    vr_wifi_reset(&r->wifi);
    snprintf(r->wifi.ssid, sizeof(r->wifi.ssid), "corp-5g");
    r->wifi.has_signal = true;
    r->wifi.signal_dbm = -61;
    r->wifi.tx_bitrate_mbps = 433.3;
    r->wifi.freq_mhz = 5180;
}

/* The "wifi" member of r's JSON, compact, into buf. */
static void wifi_json(const struct vr_record *r, char *buf, size_t cap)
{
    json_t *j = vr_record_to_json(r);
    assert_non_null(j);
    json_t *w = json_object_get(j, "wifi");
    assert_non_null(w);
    size_t n =
        json_dumpb(w, buf, cap - 1,
                   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
    assert_true(n > 0 && n < cap);
    buf[n] = '\0';
    json_decref(j);
}

static void test_record_to_json_wifi_null_unless_wifi(void **state)
{
    (void)state;
    struct vr_record r;
    char buf[256];
    make_record(&r);
    r.wifi.has_signal = true; /* stale values must not leak into a wired record */
    wifi_json(&r, buf, sizeof(buf));
    assert_string_equal(buf, "null");
    snprintf(r.link, sizeof(r.link), "other");
    wifi_json(&r, buf, sizeof(buf));
    assert_string_equal(buf, "null");
}

static void test_record_to_json_wifi_object(void **state)
{
    (void)state;
    struct vr_record r;
    char buf[256];
    make_wifi_record(&r);
    wifi_json(&r, buf, sizeof(buf));
    assert_string_equal(buf, "{\"ssid\":\"corp-5g\",\"signal_dbm\":-61,\"tx_bitrate_mbps\":433.3,"
                             "\"freq_mhz\":5180,\"band\":\"5GHz\"}");
    r.wifi.freq_mhz = 2437;
    r.wifi.tx_bitrate_mbps = 6500.04; /* one decimal, as the kernel's 100 kbit/s unit */
    wifi_json(&r, buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"tx_bitrate_mbps\":6500.0,"));
    assert_non_null(strstr(buf, "\"band\":\"2.4GHz\""));
}

static void test_record_to_json_wifi_unknown_values_null(void **state)
{
    (void)state;
    struct vr_record r;
    char buf[256];
    make_record(&r);
    snprintf(r.link, sizeof(r.link), "wifi");
    vr_wifi_reset(&r.wifi); /* Wi-Fi, but nl80211 said nothing (not associated, no cfg80211) */
    wifi_json(&r, buf, sizeof(buf));
    assert_string_equal(buf, "{\"ssid\":null,\"signal_dbm\":null,\"tx_bitrate_mbps\":null,"
                             "\"freq_mhz\":null,\"band\":null}");
    r.wifi.freq_mhz = 3000; /* outside every Wi-Fi band: no band */
    wifi_json(&r, buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"freq_mhz\":3000,\"band\":null"));
}

static void test_record_from_json_wifi_round_trip(void **state)
{
    (void)state;
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_wifi_record(&r);
    /* an SSID escaped by vr_nl80211_format_ssid keeps its backslashes through JSON */
    snprintf(r.wifi.ssid, sizeof(r.wifi.ssid), "caf\xc3\xa9 \\x00");
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_int_equal(vr_record_from_json(j, &back, &eb), 0);
    assert_records_equal(&r, &back);
    json_decref(j);

    vr_wifi_reset(&r.wifi);
    j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_int_equal(vr_record_from_json(j, &back, &eb), 0);
    assert_records_equal(&r, &back);
    assert_false(back.wifi.has_signal);
    assert_true(back.wifi.tx_bitrate_mbps < 0);
    json_decref(j);
}

static void test_record_from_json_wifi_optional(void **state)
{
    (void)state;
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_wifi_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    /* records of agents older than the field */
    assert_int_equal(json_object_del(j, "wifi"), 0);
    assert_int_equal(vr_record_from_json(j, &back, &eb), 0);
    assert_string_equal(back.link, "wifi");
    assert_string_equal(back.wifi.ssid, "");
    assert_false(back.wifi.has_signal);
    json_decref(j);
}

/* Like expect_reject, on a Wi-Fi record. */
static void expect_wifi_reject(const char *key, json_t *v, const char *name)
{
    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_wifi_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_int_equal(json_object_set_new(json_object_get(j, "wifi"), key, v), 0);
    int rc = vr_record_from_json(j, &back, &eb);
    if (rc != VR_EINVAL || strstr(eb.eb.msg, name) == NULL)
        fail_msg("wifi.%s: rc %d, message \"%s\" does not name %s", key, rc, eb.eb.msg, name);
    json_decref(j);
}

static void test_record_from_json_wifi_rejects(void **state)
{
    (void)state;
    json_t *w = json_object();
    json_object_set_new(w, "ssid", json_string("x"));
    expect_reject("wifi", w, "wifi"); /* link is wired */
    expect_wifi_reject("signal_dbm", json_integer(-129), "wifi.signal_dbm");
    expect_wifi_reject("signal_dbm", json_real(-61.5), "wifi.signal_dbm");
    expect_wifi_reject("ssid", json_integer(7), "wifi.ssid");
    char big[VR_WIFI_SSID_LEN + 1];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_wifi_reject("ssid", json_string(big), "wifi.ssid");
    expect_wifi_reject("ssid", json_stringn("a\0b", 3), "wifi.ssid");
    expect_wifi_reject("tx_bitrate_mbps", json_real(-1.0), "wifi.tx_bitrate_mbps");
    expect_wifi_reject("tx_bitrate_mbps", json_string("433"), "wifi.tx_bitrate_mbps");
    expect_wifi_reject("freq_mhz", json_integer(-5180), "wifi.freq_mhz");
    expect_wifi_reject("band", json_integer(5), "wifi.band");

    struct vr_record r, back;
    struct vr_jerr eb = {{""}, ""};
    make_wifi_record(&r);
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    assert_int_equal(json_object_set_new(j, "wifi", json_array()), 0);
    assert_int_equal(vr_record_from_json(j, &back, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.eb.msg, "wifi"));
    json_decref(j);
}

static void test_record_from_json_rejects_non_object(void **state)
{
    (void)state;
    struct vr_record back;
    struct vr_jerr eb = {{""}, ""};
    json_t *a = json_array();
    assert_int_equal(vr_record_from_json(a, &back, &eb), VR_EINVAL);
    assert_int_equal(vr_record_from_json(NULL, &back, NULL), VR_EINVAL);
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_dscp_preserved_pct_none_received),
        cmocka_unit_test(test_record_dscp_preserved_pct_share),
        cmocka_unit_test(test_record_dscp_top_other_none),
        cmocka_unit_test(test_record_dscp_top_other_most_frequent_lowest_on_tie),
        cmocka_unit_test(test_level_name_all),
        cmocka_unit_test(test_format_rfc3339_epoch_and_ms),
        cmocka_unit_test(test_format_rfc3339_leap_days),
        cmocka_unit_test(test_format_rfc3339_short_buffer),
        cmocka_unit_test(test_parse_rfc3339_fractions),
        cmocka_unit_test(test_parse_rfc3339_leap_years),
        cmocka_unit_test(test_parse_rfc3339_rejects_bad_strings),
        cmocka_unit_test(test_parse_rfc3339_inverts_format),
        cmocka_unit_test(test_record_to_json_field_order),
        cmocka_unit_test(test_record_to_json_values),
        cmocka_unit_test(test_record_to_json_dscp_counts),
        cmocka_unit_test(test_record_to_json_owd_null_without_sync),
        cmocka_unit_test(test_record_to_json_non_finite_is_null),
        cmocka_unit_test(test_record_from_json_round_trip),
        cmocka_unit_test(test_record_from_json_round_trip_through_text),
        cmocka_unit_test(test_record_from_json_optional_extras),
        cmocka_unit_test(test_record_from_json_rejects_missing_fields),
        cmocka_unit_test(test_record_from_json_rejects_out_of_range),
        cmocka_unit_test(test_record_from_json_rejects_bad_strings),
        cmocka_unit_test(test_record_from_json_rejects_bad_dscp_keys),
        cmocka_unit_test(test_record_from_json_rejects_owd_without_sync),
        cmocka_unit_test(test_record_from_json_rejects_non_object),
        cmocka_unit_test(test_record_to_json_wifi_null_unless_wifi),
        cmocka_unit_test(test_record_to_json_wifi_object),
        cmocka_unit_test(test_record_to_json_wifi_unknown_values_null),
        cmocka_unit_test(test_record_from_json_wifi_round_trip),
        cmocka_unit_test(test_record_from_json_wifi_optional),
        cmocka_unit_test(test_record_from_json_wifi_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
