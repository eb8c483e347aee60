#include "record.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jfield.h"
#include "profile.h"
#include "timefmt.h"

/* Decimals kept in JSON: enough for the thresholds (reorder 0.01 %), few enough to read. */
#define DEC_MS  3
#define DEC_PCT 3
#define DEC_MOS 2

static const char *const quantile_names[6] = {"min", "mean", "p50", "p95", "p99", "max"};
static const char *const ecn_names[4] = {"not_ect", "ect1", "ect0", "ce"};

double vr_record_dscp_preserved_pct(const uint64_t counts[64], int dscp)
{
    uint64_t total = 0;
    for (int i = 0; i < 64; i++)
        total += counts[i];
    if (total == 0)
        return -1.0;
    if (dscp < 0 || dscp > 63)
        return 0.0;
    return (double)counts[dscp] * 100.0 / (double)total;
}

int vr_record_dscp_top_other(const uint64_t counts[64], int dscp)
{
    int best = -1;
    for (int i = 0; i < 64; i++) {
        /* strict > keeps the lowest DSCP on ties, so the answer does not depend on luck */
        if (i != dscp && counts[i] > 0 && (best < 0 || counts[i] > counts[best]))
            best = i;
    }
    return best;
}

const char *vr_level_name(enum vr_level l)
{
    switch (l) {
    case VR_LEVEL_PASS:
        return "pass";
    case VR_LEVEL_WARN:
        return "warn";
    case VR_LEVEL_FAIL:
        return "fail";
    }
    return "fail";
}

/* ---- to JSON ------------------------------------------------------------------------------- */

/* New reference. NaN and infinities have no JSON form: null (from_json then rejects the record,
 * which is right: a non-finite metric is a bug upstream, not a measurement). */
static json_t *jreal(double v, int decimals)
{
    if (!isfinite(v))
        return json_null();
    double scale = decimals == 2 ? 100.0 : 1000.0;
    if (fabs(v) < 1e12)
        v = round(v * scale) / scale;
    if (v == 0.0)
        v = 0.0; /* no "-0.0" */
    return json_real(v);
}

/* New reference. Counts above INT64_MAX cannot happen in practice; clamp instead of wrapping. */
static json_t *jcount(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* New reference. s need not be terminated inside its buffer of size cap. */
static json_t *jstr(const char *s, size_t cap)
{
    return json_stringn(s, strnlen(s, cap));
}

/* Sets key to v (stolen, NULL allowed); false when v is NULL or the set failed. */
static bool put(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) == 0;
}

static json_t *quantiles_to_json(const struct vr_quantiles *q)
{
    const double v[6] = {q->min, q->mean, q->p50, q->p95, q->p99, q->max};
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (int i = 0; i < 6; i++) {
        if (!put(o, quantile_names[i], jreal(v[i], DEC_MS))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *dscp_to_json(const uint64_t counts[64], int dscp)
{
    json_t *o = json_object();
    json_t *recv = json_object();
    if (o == NULL || recv == NULL)
        goto fail;
    double pct = vr_record_dscp_preserved_pct(counts, dscp);
    if (!put(o, "preserved_pct", pct < 0 ? json_null() : jreal(pct, DEC_PCT)))
        goto fail;
    /* keys by descending count: the class's own mark first in the normal case */
    bool done[64] = {false};
    for (;;) {
        int best = -1;
        for (int i = 0; i < 64; i++) {
            if (!done[i] && counts[i] > 0 && (best < 0 || counts[i] > counts[best]))
                best = i;
        }
        if (best < 0)
            break;
        done[best] = true;
        char key[12];
        snprintf(key, sizeof(key), "%d", best);
        if (!put(recv, key, jcount(counts[best])))
            goto fail;
    }
    if (!put(o, "received", recv)) {
        recv = NULL; /* stolen even on failure */
        goto fail;
    }
    return o;
fail:
    json_decref(recv);
    json_decref(o);
    return NULL;
}

static json_t *ecn_to_json(const uint64_t counts[4])
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (int i = 0; i < 4; i++) {
        if (!put(o, ecn_names[i], jcount(counts[i]))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* New reference: {"ssid","signal_dbm","tx_bitrate_mbps","freq_mhz","band"}, null for each
 * value that is unknown. */
static json_t *wifi_to_json(const struct vr_wifi *w)
{
    const char *band = vr_wifi_band(w->freq_mhz);
    json_t *o = json_object();
    bool ok = o != NULL;

    ok = ok && put(o, "ssid", w->ssid[0] != '\0' ? jstr(w->ssid, sizeof(w->ssid)) : json_null());
    ok = ok && put(o, "signal_dbm", w->has_signal ? json_integer(w->signal_dbm) : json_null());
    /* Mbit/s with one decimal: the kernel reports units of 100 kbit/s */
    ok = ok && put(o, "tx_bitrate_mbps",
                   w->tx_bitrate_mbps >= 0 ? jreal(round(w->tx_bitrate_mbps * 10.0) / 10.0, 3)
                                           : json_null());
    ok = ok && put(o, "freq_mhz", w->freq_mhz != 0 ? json_integer(w->freq_mhz) : json_null());
    ok = ok && put(o, "band", band != NULL ? json_string(band) : json_null());
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *vr_record_to_json(const struct vr_record *r)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    char start[32];
    vr_format_rfc3339(r->start_wall_ns, start, sizeof(start));
    bool ok = true;
    ok = ok && put(o, "type", json_string(r->type == VR_RECORD_SUMMARY ? "summary" : "interval"));
    ok = ok && put(o, "schema", json_integer(1));
    ok = ok && put(o, "id", jstr(r->id, sizeof(r->id)));
    ok = ok && put(o, "agent", jstr(r->agent, sizeof(r->agent)));
    ok = ok && put(o, "site", jstr(r->site, sizeof(r->site)));
    ok = ok && put(o, "target", jstr(r->target, sizeof(r->target)));
    ok = ok && put(o, "link", jstr(r->link, sizeof(r->link)));
    ok = ok && put(o, "interface", jstr(r->interface, sizeof(r->interface)));
    ok = ok && put(o, "wifi", strcmp(r->link, "wifi") == 0 ? wifi_to_json(&r->wifi) : json_null());
    ok = ok && put(o, "class", jstr(r->cls, sizeof(r->cls)));
    ok = ok && put(o, "dscp", json_integer(r->dscp));
    ok = ok && put(o, "profile", jstr(r->profile, sizeof(r->profile)));
    ok = ok && put(o, "start", json_string(start));
    ok = ok && put(o, "duration_s", jreal(r->duration_s, 3));
    ok = ok && put(o, "calls", json_integer(r->calls));
    ok = ok && put(o, "sent", jcount(r->sent));
    ok = ok && put(o, "received", jcount(r->received));
    ok = ok && put(o, "reflector_received", jcount(r->fwd_received));
    ok = ok && put(o, "loss_fwd_pct", jreal(r->loss_fwd_pct, DEC_PCT));
    ok = ok && put(o, "loss_rev_pct", jreal(r->loss_rev_pct, DEC_PCT));
    ok = ok && put(o, "loss_pct", jreal(r->loss_pct, DEC_PCT));
    ok = ok && put(o, "burst_loss_max_pct", jreal(r->burst_loss_max_pct, DEC_PCT));
    ok = ok && put(o, "duplicates", jcount(r->duplicates));
    ok = ok && put(o, "reorder_pct", jreal(r->reorder_pct, DEC_PCT));
    ok = ok && put(o, "rtt_ms", quantiles_to_json(&r->rtt_ms));
    ok = ok && put(o, "owd_fwd_ms", r->has_owd ? quantiles_to_json(&r->owd_fwd_ms) : json_null());
    ok = ok && put(o, "owd_rev_ms", r->has_owd ? quantiles_to_json(&r->owd_rev_ms) : json_null());
    ok = ok && put(o, "clock_synced", json_boolean(r->clock_synced));
    ok = ok && put(o, "jitter_fwd_ms", jreal(r->jitter_fwd_ms, DEC_MS));
    ok = ok && put(o, "jitter_rev_ms", jreal(r->jitter_rev_ms, DEC_MS));
    ok = ok && put(o, "ipdv_fwd_ms", quantiles_to_json(&r->ipdv_fwd_ms));
    ok = ok && put(o, "ipdv_rev_ms", quantiles_to_json(&r->ipdv_rev_ms));
    ok = ok && put(o, "dscp_fwd", dscp_to_json(r->dscp_fwd, r->dscp));
    ok = ok && put(o, "dscp_rev", dscp_to_json(r->dscp_rev, r->dscp));
    ok = ok && put(o, "ecn_fwd", ecn_to_json(r->ecn_fwd));
    ok = ok && put(o, "ecn_rev", ecn_to_json(r->ecn_rev));
    ok = ok && put(o, "mos", jreal(r->mos, DEC_MOS));
    ok = ok && put(o, "late", jcount(r->late));
    ok = ok && put(o, "send_overruns", jcount(r->send_overruns));
    ok = ok && put(o, "verdict", json_string(vr_level_name(r->verdict)));
    json_t *reasons = ok ? json_array() : NULL;
    ok = ok && put(o, "reasons", reasons);
    size_t n = r->n_reasons < VR_RECORD_MAX_REASONS ? r->n_reasons : VR_RECORD_MAX_REASONS;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_array_append_new(reasons, jstr(r->reasons[i], VR_RECORD_REASON_LEN)) == 0;
    if (r->step_calls > 0) /* extra field: the capacity step the interval belongs to */
        ok = ok && put(o, "step_calls", json_integer(r->step_calls));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- from JSON ----------------------------------------------------------------------------- */

/* Borrowed; sets eb when the field is missing. */
static const json_t *field(const json_t *o, const char *prefix, const char *key, struct vr_jerr *eb)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        vr_jfield_missing(eb, prefix, key);
    return v;
}

/* The record's readers are jfield's (one set for every record type); these keep the call
 * sites short. */
static int get_str(const json_t *o, const char *key, char *dst, size_t cap, bool optional,
                   struct vr_jerr *eb)
{
    return vr_jfield_str(o, "", key, dst, cap, optional ? VR_JFIELD_OPTIONAL : VR_JFIELD_REQUIRED,
                         NULL, eb);
}

/* An integer in [0, max]. */
static int get_count(const json_t *o, const char *prefix, const char *key, uint64_t max,
                     uint64_t *out, struct vr_jerr *eb)
{
    return vr_jfield_u64(o, prefix, key, max, VR_JFIELD_REQUIRED, out, eb);
}

/* A finite number in [lo, hi]. */
static int get_num(const json_t *o, const char *prefix, const char *key, double lo, double hi,
                   double *out, struct vr_jerr *eb)
{
    return vr_jfield_num(o, prefix, key, lo, hi, VR_JFIELD_REQUIRED, out, eb);
}

static int get_pct(const json_t *o, const char *key, double *out, struct vr_jerr *eb)
{
    return get_num(o, "", key, 0.0, 100.0, out, eb);
}

/* One-way delays may be negative by the residual clock offset; other times may not. */
static int get_quantiles(const json_t *o, const char *key, bool allow_negative,
                         struct vr_quantiles *q, struct vr_jerr *eb)
{
    const json_t *v = field(o, "", key, eb);
    if (v == NULL)
        return VR_EINVAL;
    if (!json_is_object(v))
        return vr_jfield_fail(eb, "", key, "expected an object");
    double *dst[6] = {&q->min, &q->mean, &q->p50, &q->p95, &q->p99, &q->max};
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "%s.", key);
    for (int i = 0; i < 6; i++) {
        int rc =
            get_num(v, prefix, quantile_names[i], allow_negative ? -1e9 : 0.0, 1e9, dst[i], eb);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "0".."63" exactly: no sign, no leading zero, no spaces. */
static int parse_dscp_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 2 || (n == 2 && k[0] == '0'))
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] < '0' || k[i] > '9')
            return -1;
        v = v * 10 + (k[i] - '0');
    }
    return v <= 63 ? v : -1;
}

static int get_dscp_counts(const json_t *o, const char *key, uint64_t counts[64],
                           struct vr_jerr *eb)
{
    const json_t *v = field(o, "", key, eb);
    if (v == NULL)
        return VR_EINVAL;
    if (!json_is_object(v))
        return vr_jfield_fail(eb, "", key, "expected an object");
    /* preserved_pct is derived from the counts; checked, then recomputed when needed */
    const json_t *p = json_object_get(v, "preserved_pct");
    if (p == NULL || !(json_is_null(p) || (json_is_number(p) && json_number_value(p) >= 0.0 &&
                                           json_number_value(p) <= 100.0)))
        return vr_jfield_fail(eb, key, ".preserved_pct", "expected null or a number 0..100");
    const json_t *recv = json_object_get(v, "received");
    if (recv == NULL || !json_is_object(recv))
        return vr_jfield_fail(eb, key, ".received", "expected an object");
    const char *k;
    const json_t *c;
    json_object_foreach((json_t *)recv, k, c)
    {
        int d = parse_dscp_key(k);
        if (d < 0)
            return vr_jfield_fail(eb, key, ".received", "key \"%.8s\" is not a DSCP 0..63", k);
        if (!json_is_integer(c) || json_integer_value(c) < 0) {
            char name[48];
            snprintf(name, sizeof(name), "%s.received.", key);
            return vr_jfield_fail(eb, name, k, "expected an integer >= 0");
        }
        counts[d] = (uint64_t)json_integer_value(c);
    }
    return 0;
}

static int get_ecn_counts(const json_t *o, const char *key, uint64_t counts[4], struct vr_jerr *eb)
{
    const json_t *v = field(o, "", key, eb);
    if (v == NULL)
        return VR_EINVAL;
    if (!json_is_object(v))
        return vr_jfield_fail(eb, "", key, "expected an object");
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "%s.", key);
    for (int i = 0; i < 4; i++) {
        int rc = get_count(v, prefix, ecn_names[i], INT64_MAX, &counts[i], eb);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int get_reasons(const json_t *o, struct vr_record *r, struct vr_jerr *eb)
{
    const json_t *v = field(o, "", "reasons", eb);
    if (v == NULL)
        return VR_EINVAL;
    if (!json_is_array(v) || json_array_size(v) > VR_RECORD_MAX_REASONS)
        return vr_jfield_fail(eb, "", "reasons", "expected an array of at most %d strings",
                              VR_RECORD_MAX_REASONS);
    size_t i;
    const json_t *s;
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s) || json_string_length(s) >= VR_RECORD_REASON_LEN ||
            memchr(json_string_value(s), '\0', json_string_length(s)) != NULL) {
            char name[32];
            snprintf(name, sizeof(name), "reasons[%zu]", i);
            return vr_jfield_fail(eb, "", name, "expected a string shorter than %d bytes",
                                  VR_RECORD_REASON_LEN);
        }
        memcpy(r->reasons[i], json_string_value(s), json_string_length(s));
        r->reasons[i][json_string_length(s)] = '\0';
    }
    r->n_reasons = json_array_size(v);
    return 0;
}

/* "wifi": null, or an object whose values are each null (unknown) or in range. */
static int get_wifi(const json_t *j, struct vr_record *r, struct vr_jerr *eb)
{
    const json_t *w = json_object_get(j, "wifi"), *v;
    bool is_wifi = strcmp(r->link, "wifi") == 0;
    double d = 0;
    int rc;

    vr_wifi_reset(&r->wifi);
    if (w == NULL || json_is_null(w))
        return 0;
    if (!is_wifi)
        return vr_jfield_fail(eb, "", "wifi", "must be null unless link is \"wifi\"");
    if (!json_is_object(w))
        return vr_jfield_fail(eb, "", "wifi", "expected an object or null");
    v = json_object_get(w, "ssid");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) >= sizeof(r->wifi.ssid) ||
            memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
            return vr_jfield_fail(eb, "", "wifi.ssid",
                                  "expected null or a string shorter than %zu bytes",
                                  sizeof(r->wifi.ssid));
        memcpy(r->wifi.ssid, json_string_value(v), json_string_length(v) + 1);
    }
    v = json_object_get(w, "signal_dbm");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < -128 || json_integer_value(v) > 127)
            return vr_jfield_fail(eb, "", "wifi.signal_dbm",
                                  "expected null or an integer -128..127");
        r->wifi.signal_dbm = (int)json_integer_value(v);
        r->wifi.has_signal = true;
    }
    v = json_object_get(w, "tx_bitrate_mbps");
    if (v != NULL && !json_is_null(v)) {
        if ((rc = get_num(w, "wifi.", "tx_bitrate_mbps", 0.0, 1e6, &d, eb)) < 0)
            return rc;
        r->wifi.tx_bitrate_mbps = d;
    }
    v = json_object_get(w, "freq_mhz");
    if (v != NULL && !json_is_null(v)) {
        uint64_t f = 0;
        if ((rc = get_count(w, "wifi.", "freq_mhz", 1000000, &f, eb)) < 0)
            return rc;
        r->wifi.freq_mhz = (uint32_t)f;
    }
    /* derived from freq_mhz: checked for shape, then recomputed by vr_record_to_json */
    v = json_object_get(w, "band");
    if (v != NULL && !json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 8))
        return vr_jfield_fail(eb, "", "wifi.band", "expected null or a band such as \"5GHz\"");
    return 0;
}

/* The identity fields: strings and enums. */
static int get_identity(const json_t *j, struct vr_record *r, struct vr_jerr *eb)
{
    char buf[16];
    int rc;
    if ((rc = get_str(j, "type", buf, sizeof(buf), false, eb)) < 0)
        return rc;
    if (strcmp(buf, "interval") == 0)
        r->type = VR_RECORD_INTERVAL;
    else if (strcmp(buf, "summary") == 0)
        r->type = VR_RECORD_SUMMARY;
    else
        return vr_jfield_fail(eb, "", "type", "\"%s\" is not \"interval\" or \"summary\"", buf);
    const json_t *schema = field(j, "", "schema", eb);
    if (schema == NULL)
        return VR_EINVAL;
    if (!json_is_integer(schema) || json_integer_value(schema) != 1)
        return vr_jfield_fail(eb, "", "schema", "only schema 1 is known");
    if ((rc = get_str(j, "id", r->id, sizeof(r->id), false, eb)) < 0 ||
        (rc = get_str(j, "agent", r->agent, sizeof(r->agent), false, eb)) < 0 ||
        (rc = get_str(j, "site", r->site, sizeof(r->site), false, eb)) < 0 ||
        (rc = get_str(j, "target", r->target, sizeof(r->target), false, eb)) < 0 ||
        (rc = get_str(j, "link", r->link, sizeof(r->link), false, eb)) < 0 ||
        (rc = get_str(j, "interface", r->interface, sizeof(r->interface), false, eb)) < 0 ||
        (rc = get_str(j, "class", r->cls, sizeof(r->cls), false, eb)) < 0 ||
        (rc = get_str(j, "profile", r->profile, sizeof(r->profile), true, eb)) < 0)
        return rc;
    if (r->id[0] == '\0')
        return vr_jfield_fail(eb, "", "id", "must not be empty");
    if (strcmp(r->link, "wired") != 0 && strcmp(r->link, "wifi") != 0 &&
        strcmp(r->link, "other") != 0)
        return vr_jfield_fail(eb, "", "link", "\"%s\" is not wired, wifi or other", r->link);
    enum vr_class cls;
    if (vr_class_by_name(r->cls, &cls) < 0)
        return vr_jfield_fail(eb, "", "class",
                              "unknown class \"%s\" (expected audio, video, sharing or besteffort)",
                              r->cls);
    uint64_t dscp = 0;
    if ((rc = get_count(j, "", "dscp", 63, &dscp, eb)) < 0)
        return rc;
    r->dscp = (int)dscp;
    char start[48];
    if ((rc = get_str(j, "start", start, sizeof(start), false, eb)) < 0)
        return rc;
    if (vr_parse_rfc3339(start, &r->start_wall_ns) < 0)
        return vr_jfield_fail(eb, "", "start",
                              "\"%s\" is not RFC 3339 UTC, e.g. 2026-11-27T14:05:00.000Z", start);
    if ((rc = get_str(j, "verdict", buf, sizeof(buf), false, eb)) < 0)
        return rc;
    if (strcmp(buf, "pass") == 0)
        r->verdict = VR_LEVEL_PASS;
    else if (strcmp(buf, "warn") == 0)
        r->verdict = VR_LEVEL_WARN;
    else if (strcmp(buf, "fail") == 0)
        r->verdict = VR_LEVEL_FAIL;
    else
        return vr_jfield_fail(eb, "", "verdict", "\"%s\" is not pass, warn or fail", buf);
    return 0;
}

int vr_record_from_json(const json_t *j, struct vr_record *out, struct vr_jerr *eb)
{
    struct vr_record r;
    memset(&r, 0, sizeof(r));
    if (!json_is_object(j))
        return vr_jerr_set(eb, VR_EINVAL, "record: expected a JSON object");
    int rc = get_identity(j, &r, eb);
    if (rc < 0 || (rc = get_wifi(j, &r, eb)) < 0)
        return rc;

    uint64_t calls = 0;
    const uint64_t cmax = INT64_MAX;
    if ((rc = get_num(j, "", "duration_s", 0.0, 1e9, &r.duration_s, eb)) < 0 ||
        (rc = get_count(j, "", "calls", UINT32_MAX, &calls, eb)) < 0 ||
        (rc = get_count(j, "", "sent", cmax, &r.sent, eb)) < 0 ||
        (rc = get_count(j, "", "received", cmax, &r.received, eb)) < 0 ||
        (rc = get_count(j, "", "duplicates", cmax, &r.duplicates, eb)) < 0 ||
        (rc = get_count(j, "", "late", cmax, &r.late, eb)) < 0 ||
        (rc = get_count(j, "", "send_overruns", cmax, &r.send_overruns, eb)) < 0)
        return rc;
    r.calls = (uint32_t)calls;
    /* an extra field, optional so that other producers (capture) need not invent it */
    if (json_object_get(j, "reflector_received") != NULL &&
        (rc = get_count(j, "", "reflector_received", cmax, &r.fwd_received, eb)) < 0)
        return rc;
    uint64_t step_calls = 0;
    if (json_object_get(j, "step_calls") != NULL &&
        (rc = get_count(j, "", "step_calls", UINT32_MAX, &step_calls, eb)) < 0)
        return rc;
    r.step_calls = (uint32_t)step_calls;

    if ((rc = get_pct(j, "loss_fwd_pct", &r.loss_fwd_pct, eb)) < 0 ||
        (rc = get_pct(j, "loss_rev_pct", &r.loss_rev_pct, eb)) < 0 ||
        (rc = get_pct(j, "loss_pct", &r.loss_pct, eb)) < 0 ||
        (rc = get_pct(j, "burst_loss_max_pct", &r.burst_loss_max_pct, eb)) < 0 ||
        (rc = get_pct(j, "reorder_pct", &r.reorder_pct, eb)) < 0)
        return rc;

    const json_t *cs = field(j, "", "clock_synced", eb);
    if (cs == NULL)
        return VR_EINVAL;
    if (!json_is_boolean(cs))
        return vr_jfield_fail(eb, "", "clock_synced", "expected a boolean");
    r.clock_synced = json_is_true(cs);

    if ((rc = get_quantiles(j, "rtt_ms", false, &r.rtt_ms, eb)) < 0 ||
        (rc = get_quantiles(j, "ipdv_fwd_ms", false, &r.ipdv_fwd_ms, eb)) < 0 ||
        (rc = get_quantiles(j, "ipdv_rev_ms", false, &r.ipdv_rev_ms, eb)) < 0)
        return rc;
    const json_t *of = field(j, "", "owd_fwd_ms", eb);
    const json_t *orv = of != NULL ? field(j, "", "owd_rev_ms", eb) : NULL;
    if (of == NULL || orv == NULL)
        return VR_EINVAL;
    if (json_is_null(of) != json_is_null(orv))
        return vr_jfield_fail(eb, "", "owd_fwd_ms",
                              "owd_fwd_ms and owd_rev_ms must both be null or both objects");
    r.has_owd = !json_is_null(of);
    if (r.has_owd && !r.clock_synced)
        return vr_jfield_fail(eb, "", "owd_fwd_ms", "must be null while clock_synced is false");
    if (r.has_owd && ((rc = get_quantiles(j, "owd_fwd_ms", true, &r.owd_fwd_ms, eb)) < 0 ||
                      (rc = get_quantiles(j, "owd_rev_ms", true, &r.owd_rev_ms, eb)) < 0))
        return rc;

    if ((rc = get_num(j, "", "jitter_fwd_ms", 0.0, 1e9, &r.jitter_fwd_ms, eb)) < 0 ||
        (rc = get_num(j, "", "jitter_rev_ms", 0.0, 1e9, &r.jitter_rev_ms, eb)) < 0 ||
        (rc = get_dscp_counts(j, "dscp_fwd", r.dscp_fwd, eb)) < 0 ||
        (rc = get_dscp_counts(j, "dscp_rev", r.dscp_rev, eb)) < 0 ||
        (rc = get_ecn_counts(j, "ecn_fwd", r.ecn_fwd, eb)) < 0 ||
        (rc = get_ecn_counts(j, "ecn_rev", r.ecn_rev, eb)) < 0 ||
        /* 0 allowed: "no MOS" when nothing came back */
        (rc = get_num(j, "", "mos", 0.0, 5.0, &r.mos, eb)) < 0 || (rc = get_reasons(j, &r, eb)) < 0)
        return rc;
    *out = r;
    return 0;
}
