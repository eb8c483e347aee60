#include "xrecord.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BPS    1e12
#define MAX_DUR_S  1e7
#define MAX_MS     1e7
#define MAX_COUNT  1000000000000ull
#define MAX_REASON 400

enum need { OPTIONAL = 0, REQUIRED = 1, NULLABLE = 2 };

/* prefix is "" or "steps[3]." so that messages name nested fields. */
static int str_field(const json_t *o, const char *prefix, const char *key, char *dst, size_t cap,
                     enum need need, struct vr_errbuf *eb)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || (json_is_null(v) && need == NULLABLE)) {
        if (need == REQUIRED)
            return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\" is missing", prefix, key);
        if (dst != NULL)
            dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\": expected a string", prefix,
                             key);
    size_t len = json_string_length(v);
    if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"%s%s\": expected a string of at most %zu bytes",
                             prefix, key, cap - 1);
    if (dst != NULL) {
        memcpy(dst, json_string_value(v), len);
        dst[len] = '\0';
    }
    return 0;
}

/* One of the names in `ok` (NULL-terminated). */
static int enum_field(const json_t *o, const char *prefix, const char *key, const char *const *ok,
                      char *dst, size_t cap, enum need need, struct vr_errbuf *eb)
{
    char buf[32];
    int rc = str_field(o, prefix, key, buf, sizeof(buf), need, eb);
    if (rc < 0)
        return rc;
    if (buf[0] == '\0' && need != REQUIRED) {
        if (dst != NULL)
            dst[0] = '\0';
        return 0;
    }
    char list[160];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; ok[i] != NULL; i++) {
        if (strcmp(buf, ok[i]) == 0) {
            if (dst != NULL && cap > 0) {
                size_t k = strnlen(buf, cap - 1);
                memcpy(dst, buf, k);
                dst[k] = '\0';
            }
            return 0;
        }
        int k = snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? "|" : "", ok[i]);
        if (k > 0 && (size_t)k < sizeof(list) - n)
            n += (size_t)k;
    }
    return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\": \"%s\" is not %s", prefix, key, buf,
                         list);
}

static int num_field(const json_t *o, const char *prefix, const char *key, double lo, double hi,
                     enum need need, double *out, struct vr_errbuf *eb)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || (json_is_null(v) && need == NULLABLE)) {
        if (need == REQUIRED)
            return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\" is missing", prefix, key);
        if (out != NULL)
            *out = NAN;
        return 0;
    }
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi)
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\": expected a number %g..%g",
                             prefix, key, lo, hi);
    if (out != NULL)
        *out = d;
    return 0;
}

static int int_field(const json_t *o, const char *prefix, const char *key, uint64_t max,
                     enum need need, uint64_t *out, struct vr_errbuf *eb)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || (json_is_null(v) && need == NULLABLE)) {
        if (need == REQUIRED)
            return vr_errbuf_set(eb, VR_EINVAL, "record field \"%s%s\" is missing", prefix, key);
        if (out != NULL)
            *out = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"%s%s\": expected an integer 0..%" PRIu64, prefix, key,
                             max);
    if (out != NULL)
        *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int reasons_field(const json_t *o, const char *prefix, struct vr_errbuf *eb)
{
    const json_t *v = json_object_get(o, "reasons");
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > 32)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"%sreasons\": expected an array of at most 32 strings",
                             prefix);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s) || json_string_length(s) >= MAX_REASON)
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "record field \"%sreasons\": item %zu is not a string of at most "
                                 "%d bytes",
                                 prefix, i, MAX_REASON - 1);
    }
    return 0;
}

static const char *const levels[] = {"pass", "warn", "fail", NULL};
static const char *const links[] = {"wired", "wifi", "other", NULL};

static enum vr_level level_of(const char *s)
{
    return strcmp(s, "fail") == 0   ? VR_LEVEL_FAIL
           : strcmp(s, "warn") == 0 ? VR_LEVEL_WARN
                                    : VR_LEVEL_PASS;
}

bool vr_xrecord_is_x(const json_t *j)
{
    const char *t = json_string_value(json_object_get(j, "type"));
    return t != NULL && (strcmp(t, "capacity") == 0 || strcmp(t, "capture") == 0);
}

static int common_fields(const json_t *j, struct vr_xrecord *r, struct vr_errbuf *eb)
{
    static const char *const types[] = {"capacity", "capture", NULL};
    char type[16], start[48], verdict[8];
    int rc;
    if ((rc = enum_field(j, "", "type", types, type, sizeof(type), REQUIRED, eb)) < 0)
        return rc;
    r->type = strcmp(type, "capacity") == 0 ? VR_XRECORD_CAPACITY : VR_XRECORD_CAPTURE;
    const json_t *schema = json_object_get(j, "schema");
    if (!json_is_integer(schema) || json_integer_value(schema) != 1)
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"schema\": only schema 1 is known");
    if ((rc = str_field(j, "", "id", r->id, sizeof(r->id), REQUIRED, eb)) < 0 ||
        (rc = str_field(j, "", "agent", r->agent, sizeof(r->agent), REQUIRED, eb)) < 0 ||
        (rc = str_field(j, "", "site", r->site, sizeof(r->site), REQUIRED, eb)) < 0 ||
        (rc = enum_field(j, "", "link", links, r->link, sizeof(r->link), OPTIONAL, eb)) < 0 ||
        (rc = str_field(j, "", "start", start, sizeof(start), REQUIRED, eb)) < 0 ||
        (rc = num_field(j, "", "duration_s", 0, MAX_DUR_S, REQUIRED, &r->duration_s, eb)) < 0 ||
        (rc = enum_field(j, "", "verdict", levels, verdict, sizeof(verdict), REQUIRED, eb)) < 0 ||
        (rc = reasons_field(j, "", eb)) < 0)
        return rc;
    if (r->id[0] == '\0')
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"id\": must not be empty");
    if (r->link[0] == '\0')
        snprintf(r->link, sizeof(r->link), "other");
    if (vr_parse_rfc3339(start, &r->start_wall_ns) < 0 || r->start_wall_ns > (uint64_t)INT64_MAX)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"start\": \"%.40s\" is not RFC 3339 UTC, e.g. "
                             "2026-11-27T14:05:00.000Z",
                             start);
    r->verdict = level_of(verdict);
    return 0;
}

static int mix_field(const json_t *j, struct vr_errbuf *eb)
{
    static const char *const mods[] = {"audio", "video", "sharing"};
    const json_t *m = json_object_get(j, "mix");
    if (m == NULL || json_is_null(m))
        return 0;
    if (!json_is_object(m))
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"mix\": expected an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < 3; i++)
            known |= strcmp(k, mods[i]) == 0;
        double d = json_number_value(v);
        if (!known || !json_is_number(v) || !isfinite(d) || d < 0 || d > 100)
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "record field \"mix\": expected audio, video and sharing with "
                                 "0..100 streams per call");
    }
    return 0;
}

static int first_failure(const json_t *j, struct vr_errbuf *eb)
{
    static const char *const metrics[] = {"loss",    "jitter",     "rtt",  "owd",
                                          "reorder", "burst_loss", "dscp", NULL};
    static const char *const dirs[] = {"fwd", "rev", "both", NULL};
    const json_t *f = json_object_get(j, "first_failure");
    if (f == NULL || json_is_null(f))
        return 0;
    if (!json_is_object(f))
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"first_failure\": expected an object or null");
    const char *p = "first_failure.";
    char cls[16], reason[MAX_REASON];
    int rc;
    if ((rc = int_field(f, p, "calls", VR_XRECORD_MAX_CALLS, REQUIRED, NULL, eb)) < 0 ||
        (rc = enum_field(f, p, "metric", metrics, NULL, 0, REQUIRED, eb)) < 0 ||
        (rc = enum_field(f, p, "direction", dirs, NULL, 0, OPTIONAL, eb)) < 0 ||
        (rc = str_field(f, p, "class", cls, sizeof(cls), OPTIONAL, eb)) < 0 ||
        (rc = num_field(f, p, "value", -1e9, 1e9, NULLABLE, NULL, eb)) < 0 ||
        (rc = num_field(f, p, "threshold", -1e9, 1e9, NULLABLE, NULL, eb)) < 0 ||
        (rc = str_field(f, p, "reason", reason, sizeof(reason), OPTIONAL, eb)) < 0)
        return rc;
    return 0;
}

static int steps_field(const json_t *j, struct vr_errbuf *eb)
{
    const json_t *a = json_object_get(j, "steps");
    if (a == NULL)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > VR_XRECORD_MAX_STEPS)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "record field \"steps\": expected an array of at most %d steps",
                             VR_XRECORD_MAX_STEPS);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *s = json_array_get(a, i);
        char p[32];
        snprintf(p, sizeof(p), "steps[%zu].", i);
        if (!json_is_object(s))
            return vr_errbuf_set(eb, VR_EINVAL, "record field \"steps[%zu]\": expected an object",
                                 i);
        int rc;
        if ((rc = int_field(s, p, "calls", VR_XRECORD_MAX_CALLS, REQUIRED, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "duration_s", 0, MAX_DUR_S, OPTIONAL, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "bps_fwd", 0, MAX_BPS, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "bps_rev", 0, MAX_BPS, NULLABLE, NULL, eb)) < 0 ||
            (rc = enum_field(s, p, "verdict", levels, NULL, 0, REQUIRED, eb)) < 0 ||
            (rc = num_field(s, p, "loss_fwd_pct", 0, 100, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "loss_rev_pct", 0, 100, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "jitter_fwd_ms", 0, MAX_MS, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "jitter_rev_ms", 0, MAX_MS, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "rtt_p95_ms", 0, MAX_MS, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "dscp_preserved_fwd_pct", 0, 100, NULLABLE, NULL, eb)) < 0 ||
            (rc = num_field(s, p, "dscp_preserved_rev_pct", 0, 100, NULLABLE, NULL, eb)) < 0 ||
            (rc = reasons_field(s, p, eb)) < 0)
            return rc;
    }
    return 0;
}

static int capacity(const json_t *j, struct vr_xrecord *r, struct vr_errbuf *eb)
{
    static const char *const limits[] = {"threshold", "max_calls",   "max_rate",
                                         "loss_stop", "interrupted", NULL};
    static const char *const causes[] = {"bandwidth", "marking", "none", NULL};
    char iface[32];
    uint64_t calls = 0;
    int rc;
    if ((rc = str_field(j, "", "target", r->target, sizeof(r->target), REQUIRED, eb)) < 0 ||
        (rc = str_field(j, "", "interface", iface, sizeof(iface), OPTIONAL, eb)) < 0 ||
        (rc = mix_field(j, eb)) < 0 ||
        (rc = int_field(j, "", "max_rate_bps", (uint64_t)MAX_BPS, REQUIRED, &r->max_rate_bps, eb)) <
            0 ||
        (rc = int_field(j, "", "capacity_calls", VR_XRECORD_MAX_CALLS, REQUIRED, &calls, eb)) < 0 ||
        (rc = num_field(j, "", "capacity_bps_fwd", 0, MAX_BPS, REQUIRED, &r->bps_fwd, eb)) < 0 ||
        (rc = num_field(j, "", "capacity_bps_rev", 0, MAX_BPS, REQUIRED, &r->bps_rev, eb)) < 0 ||
        (rc = enum_field(j, "", "limit", limits, r->limit, sizeof(r->limit), REQUIRED, eb)) < 0 ||
        (rc = first_failure(j, eb)) < 0 ||
        (rc = enum_field(j, "", "cause", causes, r->cause, sizeof(r->cause), REQUIRED, eb)) < 0 ||
        (rc = steps_field(j, eb)) < 0)
        return rc;
    if (r->target[0] == '\0')
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"target\": must not be empty");
    r->capacity_calls = (uint32_t)calls;
    return 0;
}

static int dscp_counts(const json_t *j, struct vr_errbuf *eb)
{
    const json_t *d = json_object_get(j, "dscp");
    if (d == NULL || json_is_null(d))
        return 0;
    if (!json_is_object(d) || json_object_size(d) > 64)
        return vr_errbuf_set(eb, VR_EINVAL, "record field \"dscp\": expected an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)d, k, v)
    {
        char *end = NULL;
        long mark = strtol(k, &end, 10);
        if (end == k || *end != '\0' || mark < 0 || mark > 63 || !json_is_integer(v) ||
            json_integer_value(v) < 0)
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "record field \"dscp\": expected {\"0..63\": packet count}");
    }
    return 0;
}

static int capture(const json_t *j, struct vr_xrecord *r, struct vr_errbuf *eb)
{
    static const char *const classes[] = {"audio", "video", "sharing", "unknown", NULL};
    char src[64], ssrc[16];
    int rc;
    if ((rc = str_field(j, "", "source", src, sizeof(src), OPTIONAL, eb)) < 0 ||
        (rc = str_field(j, "", "src", r->src, sizeof(r->src), REQUIRED, eb)) < 0 ||
        (rc = str_field(j, "", "dst", r->dst, sizeof(r->dst), REQUIRED, eb)) < 0 ||
        (rc = str_field(j, "", "ssrc", ssrc, sizeof(ssrc), OPTIONAL, eb)) < 0 ||
        (rc = int_field(j, "", "payload_type", 127, OPTIONAL, NULL, eb)) < 0 ||
        (rc = int_field(j, "", "clock_hz", 1000000, NULLABLE, NULL, eb)) < 0 ||
        (rc = enum_field(j, "", "class", classes, r->cls, sizeof(r->cls), REQUIRED, eb)) < 0 ||
        (rc = int_field(j, "", "packets", MAX_COUNT, REQUIRED, &r->packets, eb)) < 0 ||
        (rc = int_field(j, "", "expected", MAX_COUNT, OPTIONAL, NULL, eb)) < 0 ||
        (rc = int_field(j, "", "lost", MAX_COUNT, REQUIRED, &r->lost, eb)) < 0 ||
        (rc = num_field(j, "", "loss_pct", 0, 100, REQUIRED, &r->loss_pct, eb)) < 0 ||
        (rc = int_field(j, "", "duplicates", MAX_COUNT, OPTIONAL, NULL, eb)) < 0 ||
        (rc = num_field(j, "", "reorder_pct", 0, 100, NULLABLE, NULL, eb)) < 0 ||
        (rc = num_field(j, "", "jitter_ms", 0, MAX_MS, REQUIRED, &r->jitter_ms, eb)) < 0 ||
        (rc = num_field(j, "", "jitter_max_ms", 0, MAX_MS, NULLABLE, NULL, eb)) < 0 ||
        (rc = num_field(j, "", "max_delta_ms", 0, MAX_MS, NULLABLE, NULL, eb)) < 0 ||
        (rc = dscp_counts(j, eb)) < 0 ||
        (rc = num_field(j, "", "mos", 1, 5, NULLABLE, &r->mos, eb)) < 0)
        return rc;
    return 0;
}

int vr_xrecord_from_json(const json_t *j, struct vr_xrecord *out, struct vr_errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    out->mos = NAN;
    if (!json_is_object(j))
        return vr_errbuf_set(eb, VR_EINVAL, "expected one JSON object per line");
    int rc = common_fields(j, out, eb);
    if (rc < 0)
        return rc;
    return out->type == VR_XRECORD_CAPACITY ? capacity(j, out, eb) : capture(j, out, eb);
}
