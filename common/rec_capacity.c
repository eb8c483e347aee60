#include "rec_capacity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jfield.h"
#include "rec_head.h"

#define MAX_DUR_S VR_REC_MAX_DUR_S
#define MAX_MS    VR_REC_MAX_MS
#define MAX_VALUE 1e9

#define REQ VR_JFIELD_REQUIRED
#define OPT VR_JFIELD_OPTIONAL
#define NUL VR_JFIELD_NULLABLE

const char *const vr_rec_limit_names[] = {"threshold", "max_calls",   "max_rate",
                                          "loss_stop", "interrupted", NULL};
const char *const vr_rec_cause_names[] = {"bandwidth", "marking", "none", NULL};
const char *const vr_rec_metric_names[] = {"loss",    "jitter",     "rtt",  "owd",
                                           "reorder", "burst_loss", "dscp", NULL};
const char *const vr_rec_dir_names[] = {"fwd", "rev", "both", NULL};
const char *const vr_rec_stopped_names[] = {"completed", "loss_stop", "interrupted", NULL};
const char *const vr_rec_class_names[] = {"audio", "video", "sharing", "besteffort", NULL};

static const char *const mix_names[] = {"audio", "video", "sharing", NULL};

void vr_rec_capacity_clear(struct vr_rec_capacity *r)
{
    memset(r, 0, sizeof(*r));
    r->link = 2;
    for (int k = 0; k < VR_CLASS_COUNT; k++)
        r->mix[k] = NAN;
    r->first_failure.direction = -1;
    r->step_s = r->interval_s = r->loss_stop_pct = NAN;
    r->max_calls = -1;
}

static const char *class_name(int k)
{
    return vr_class_get((enum vr_class)k)->name;
}

/* ---- writer ---------------------------------------------------------------------------------- */

static json_t *step_to_json(const struct vr_rec_capacity_step *st)
{
    json_t *j = json_object(), *streams = json_object();
    bool ok = j != NULL && streams != NULL;
    for (int k = 0; ok && k < VR_CLASS_COUNT; k++)
        if (st->streams[k] != 0)
            ok = vr_jfield_put(streams, class_name(k), json_integer(st->streams[k]));
    ok = ok && vr_jfield_put(j, "calls", json_integer(st->calls));
    if (isfinite(st->duration_s))
        ok = ok && vr_jfield_put(j, "duration_s", json_real(st->duration_s));
    ok = ok && vr_jfield_put(j, "bps_fwd", vr_jfield_real_or_null(st->bps_fwd));
    ok = ok && vr_jfield_put(j, "bps_rev", vr_jfield_real_or_null(st->bps_rev));
    ok = ok && vr_jfield_put(j, "verdict", json_string(vr_level_name(st->verdict)));
    ok = ok && vr_jfield_put(j, "loss_fwd_pct", vr_jfield_real_or_null(st->loss_fwd_pct));
    ok = ok && vr_jfield_put(j, "loss_rev_pct", vr_jfield_real_or_null(st->loss_rev_pct));
    ok = ok && vr_jfield_put(j, "jitter_fwd_ms", vr_jfield_real_or_null(st->jitter_fwd_ms));
    ok = ok && vr_jfield_put(j, "jitter_rev_ms", vr_jfield_real_or_null(st->jitter_rev_ms));
    ok = ok && vr_jfield_put(j, "rtt_p95_ms", vr_jfield_real_or_null(st->rtt_p95_ms));
    ok = ok && vr_jfield_put(j, "dscp_preserved_fwd_pct",
                             vr_jfield_real_or_null(st->dscp_preserved_fwd_pct));
    ok = ok && vr_jfield_put(j, "dscp_preserved_rev_pct",
                             vr_jfield_real_or_null(st->dscp_preserved_rev_pct));
    ok = ok &&
         vr_jfield_put(j, "reasons",
                       vr_jfield_string_array(st->reasons[0], st->n_reasons, VR_REC_REASON_LEN));
    /* extra fields (ignored by the collector) */
    ok = ok && vr_jfield_put(j, "streams", streams);
    streams = NULL;
    if (st->intervals >= 0)
        ok = ok && vr_jfield_put(j, "intervals", json_integer(st->intervals));
    if (st->stopped >= 0)
        ok = ok && vr_jfield_put(j, "stopped", json_string(vr_rec_stopped_names[st->stopped]));
    json_decref(streams);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *failure_to_json(const struct vr_rec_capacity_failure *ff)
{
    json_t *f = json_object();
    bool ok = f != NULL;
    ok = ok && vr_jfield_put(f, "calls", json_integer(ff->calls));
    ok = ok && vr_jfield_put(f, "metric", json_string(vr_rec_metric_names[ff->metric]));
    if (ff->direction >= 0)
        ok = ok && vr_jfield_put(f, "direction", json_string(vr_rec_dir_names[ff->direction]));
    ok = ok && vr_jfield_put(f, "class", json_string(ff->cls));
    ok = ok && vr_jfield_put(f, "value", vr_jfield_real_or_null(ff->value));
    ok = ok && vr_jfield_put(f, "threshold", vr_jfield_real_or_null(ff->threshold));
    ok = ok && vr_jfield_put(f, "reason", json_string(ff->reason));
    if (!ok) {
        json_decref(f);
        return NULL;
    }
    return f;
}

json_t *vr_rec_capacity_to_json(const struct vr_rec_capacity *r)
{
    char start[40];
    json_t *j = json_object(), *mix = json_object(), *profiles = json_object();
    json_t *steps = json_array();
    bool ok = j != NULL && mix != NULL && profiles != NULL && steps != NULL;
    vr_format_rfc3339(r->start_wall_ns, start, sizeof(start));
    for (int k = 0; ok && k < VR_CLASS_COUNT; k++) {
        if (isfinite(r->mix[k]))
            ok = vr_jfield_put(mix, class_name(k), json_real(r->mix[k]));
        if (ok && r->profiles[k][0] != '\0')
            ok = vr_jfield_put(profiles, class_name(k), json_string(r->profiles[k]));
    }
    for (size_t i = 0; ok && i < r->n_steps; i++) {
        json_t *s = step_to_json(&r->steps[i]);
        ok = s != NULL && json_array_append_new(steps, s) == 0;
    }
    ok = ok && vr_jfield_put(j, "type", json_string("capacity"));
    ok = ok && vr_jfield_put(j, "schema", json_integer(1));
    ok = ok && vr_jfield_put(j, "id", json_string(r->id));
    ok = ok && vr_jfield_put(j, "agent", json_string(r->agent));
    ok = ok && vr_jfield_put(j, "site", json_string(r->site));
    ok = ok && vr_jfield_put(j, "target", json_string(r->target));
    ok = ok && vr_jfield_put(j, "link", json_string(vr_rec_link_names[r->link]));
    ok = ok && vr_jfield_put(j, "interface", json_string(r->interface));
    ok = ok && vr_jfield_put(j, "start", json_string(start));
    ok = ok && vr_jfield_put(j, "duration_s", json_real(r->duration_s));
    ok = ok && vr_jfield_put(j, "mix", mix);
    mix = NULL;
    ok = ok && vr_jfield_put(j, "profiles", profiles);
    profiles = NULL;
    /* an integer: the collector refuses a real here */
    ok = ok && vr_jfield_put(j, "max_rate_bps", json_integer((json_int_t)r->max_rate_bps));
    ok = ok && vr_jfield_put(j, "capacity_calls", json_integer(r->capacity_calls));
    ok = ok && vr_jfield_put(j, "capacity_bps_fwd", json_real(r->capacity_bps_fwd));
    ok = ok && vr_jfield_put(j, "capacity_bps_rev", json_real(r->capacity_bps_rev));
    ok = ok && vr_jfield_put(j, "limit", json_string(vr_rec_limit_names[r->limit]));
    ok = ok &&
         vr_jfield_put(j, "first_failure",
                       r->has_first_failure ? failure_to_json(&r->first_failure) : json_null());
    ok = ok && vr_jfield_put(j, "cause", json_string(vr_rec_cause_names[r->cause]));
    ok = ok && vr_jfield_put(j, "steps", steps);
    steps = NULL;
    ok = ok && vr_jfield_put(j, "verdict", json_string(vr_level_name(r->verdict)));
    ok =
        ok && vr_jfield_put(j, "reasons",
                            vr_jfield_string_array(r->reasons[0], r->n_reasons, VR_REC_REASON_LEN));
    /* extra fields: how the ramp was run */
    if (r->thresholds[0] != '\0')
        ok = ok && vr_jfield_put(j, "thresholds", json_string(r->thresholds));
    if (r->ip_version != 0)
        ok = ok && vr_jfield_put(j, "ip_version", json_integer(r->ip_version));
    if (isfinite(r->step_s))
        ok = ok && vr_jfield_put(j, "step_s", json_real(r->step_s));
    if (isfinite(r->interval_s))
        ok = ok && vr_jfield_put(j, "interval_s", json_real(r->interval_s));
    if (isfinite(r->loss_stop_pct))
        ok = ok && vr_jfield_put(j, "loss_stop_pct", json_real(r->loss_stop_pct));
    if (r->max_calls >= 0)
        ok = ok && vr_jfield_put(j, "max_calls", json_integer(r->max_calls));
    json_decref(mix);
    json_decref(profiles);
    json_decref(steps);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- reader ---------------------------------------------------------------------------------- */

static int level_field(const json_t *o, const char *prefix, enum vr_level *out, struct vr_jerr *eb)
{
    int idx;
    int rc = vr_jfield_enum(o, prefix, "verdict", vr_rec_level_names, REQ, &idx, eb);
    *out = (enum vr_level)(idx < 0 ? 0 : idx);
    return rc;
}

static int u32_field(const json_t *o, const char *prefix, const char *key, uint32_t *out,
                     struct vr_jerr *eb)
{
    uint64_t v;
    int rc = vr_jfield_u64(o, prefix, key, VR_REC_MAX_CALLS, REQ, &v, eb);
    *out = (uint32_t)v;
    return rc;
}

/* {"audio": x, ...} with keys from names, values read by the caller's kind. */
static int class_map(const json_t *j, const char *key, const char *const *names, bool streams,
                     double *num, char (*str)[24], int64_t *cnt, struct vr_jerr *eb,
                     const char *prefix)
{
    const json_t *m = json_object_get(j, key);
    if (m == NULL || json_is_null(m))
        return 0;
    if (!json_is_object(m))
        return vr_jfield_fail(eb, prefix, key, "expected an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        int c = -1;
        for (int i = 0; names[i] != NULL; i++)
            if (strcmp(k, names[i]) == 0)
                c = i;
        enum vr_class cls;
        if (c < 0 || vr_class_by_name(k, &cls) < 0)
            return vr_jfield_fail(eb, prefix, key, "\"%.16s\" is not a class here", k);
        int rc = 0;
        if (num != NULL)
            rc = vr_jfield_num(m, prefix, k, 0, 100, REQ, &num[cls], eb);
        else if (str != NULL)
            rc = vr_jfield_str(m, prefix, k, str[cls], sizeof(str[cls]), REQ, NULL, eb);
        else if (streams)
            rc = vr_jfield_int(m, prefix, k, 0, 1000000000, REQ, 0, &cnt[cls], eb);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int failure_from_json(const json_t *j, struct vr_rec_capacity *r, struct vr_jerr *eb)
{
    const json_t *f = json_object_get(j, "first_failure");
    if (f == NULL || json_is_null(f))
        return 0;
    if (!json_is_object(f))
        return vr_jfield_fail(eb, "", "first_failure", "expected an object or null");
    const char *p = "first_failure.";
    struct vr_rec_capacity_failure *ff = &r->first_failure;
    int rc;
    if ((rc = u32_field(f, p, "calls", &ff->calls, eb)) < 0 ||
        (rc = vr_jfield_enum(f, p, "metric", vr_rec_metric_names, REQ, &ff->metric, eb)) < 0 ||
        (rc = vr_jfield_enum(f, p, "direction", vr_rec_dir_names, OPT, &ff->direction, eb)) < 0 ||
        (rc = vr_jfield_str(f, p, "class", ff->cls, sizeof(ff->cls), OPT, NULL, eb)) < 0 ||
        (rc = vr_jfield_num(f, p, "value", -MAX_VALUE, MAX_VALUE, NUL, &ff->value, eb)) < 0 ||
        (rc = vr_jfield_num(f, p, "threshold", -MAX_VALUE, MAX_VALUE, NUL, &ff->threshold, eb)) <
            0 ||
        (rc = vr_jfield_str(f, p, "reason", ff->reason, sizeof(ff->reason), OPT, NULL, eb)) < 0)
        return rc;
    r->has_first_failure = true;
    return 0;
}

static int step_from_json(const json_t *s, const char *p, struct vr_rec_capacity_step *st,
                          struct vr_jerr *eb)
{
    int rc;
    st->intervals = -1;
    st->stopped = -1;
    if ((rc = u32_field(s, p, "calls", &st->calls, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "duration_s", 0, MAX_DUR_S, OPT, &st->duration_s, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "bps_fwd", 0, VR_REC_MAX_BPS, NUL, &st->bps_fwd, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "bps_rev", 0, VR_REC_MAX_BPS, NUL, &st->bps_rev, eb)) < 0 ||
        (rc = level_field(s, p, &st->verdict, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "loss_fwd_pct", 0, 100, NUL, &st->loss_fwd_pct, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "loss_rev_pct", 0, 100, NUL, &st->loss_rev_pct, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "jitter_fwd_ms", 0, MAX_MS, NUL, &st->jitter_fwd_ms, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "jitter_rev_ms", 0, MAX_MS, NUL, &st->jitter_rev_ms, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "rtt_p95_ms", 0, MAX_MS, NUL, &st->rtt_p95_ms, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "dscp_preserved_fwd_pct", 0, 100, NUL,
                            &st->dscp_preserved_fwd_pct, eb)) < 0 ||
        (rc = vr_jfield_num(s, p, "dscp_preserved_rev_pct", 0, 100, NUL,
                            &st->dscp_preserved_rev_pct, eb)) < 0 ||
        (rc = vr_jfield_strings(s, p, "reasons", VR_REC_MAX_REASONS, VR_REC_REASON_LEN,
                                st->reasons[0], &st->n_reasons, eb)) < 0 ||
        (rc = class_map(s, "streams", vr_rec_class_names, true, NULL, NULL, st->streams, eb, p)) <
            0 ||
        (rc = vr_jfield_int(s, p, "intervals", 0, 1000000000, OPT, -1, &st->intervals, eb)) < 0 ||
        (rc = vr_jfield_enum(s, p, "stopped", vr_rec_stopped_names, OPT, &st->stopped, eb)) < 0)
        return rc;
    return 0;
}

static int steps_from_json(const json_t *j, struct vr_rec_capacity *r, struct vr_jerr *eb)
{
    const json_t *a = json_object_get(j, "steps");
    if (a == NULL)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > VR_REC_MAX_STEPS)
        return vr_jfield_fail(eb, "", "steps", "expected an array of at most %d steps",
                              VR_REC_MAX_STEPS);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *s = json_array_get(a, i);
        char p[32];
        snprintf(p, sizeof(p), "steps[%zu].", i);
        if (!json_is_object(s)) {
            snprintf(p, sizeof(p), "steps[%zu]", i);
            return vr_jfield_fail(eb, "", p, "expected an object");
        }
        int rc = step_from_json(s, p, &r->steps[i], eb);
        if (rc < 0)
            return rc;
    }
    r->n_steps = json_array_size(a);
    return 0;
}

int vr_rec_capacity_from_json(const json_t *j, struct vr_rec_capacity *r, struct vr_jerr *eb)
{
    vr_rec_capacity_clear(r);
    int rc = vr_rec_head_read(j, "capacity", r->id, r->agent, r->site, &r->link, &r->start_wall_ns,
                              &r->duration_s, &r->verdict, &r->n_reasons, r->reasons[0], eb);
    if (rc < 0)
        return rc;
    int64_t ipv = 0;
    if ((rc = vr_jfield_str(j, "", "target", r->target, sizeof(r->target), REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "interface", r->interface, sizeof(r->interface), OPT, NULL,
                            eb)) < 0 ||
        (rc = class_map(j, "mix", mix_names, false, r->mix, NULL, NULL, eb, "")) < 0 ||
        (rc = class_map(j, "profiles", vr_rec_class_names, false, NULL, r->profiles, NULL, eb,
                        "")) < 0 ||
        (rc = vr_jfield_u64(j, "", "max_rate_bps", (uint64_t)VR_REC_MAX_BPS, REQ, &r->max_rate_bps,
                            eb)) < 0 ||
        (rc = u32_field(j, "", "capacity_calls", &r->capacity_calls, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "capacity_bps_fwd", 0, VR_REC_MAX_BPS, REQ, &r->capacity_bps_fwd,
                            eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "capacity_bps_rev", 0, VR_REC_MAX_BPS, REQ, &r->capacity_bps_rev,
                            eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "limit", vr_rec_limit_names, REQ, &r->limit, eb)) < 0 ||
        (rc = failure_from_json(j, r, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "cause", vr_rec_cause_names, REQ, &r->cause, eb)) < 0 ||
        (rc = steps_from_json(j, r, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "thresholds", r->thresholds, sizeof(r->thresholds), OPT, NULL,
                            eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "ip_version", 4, 6, OPT, 0, &ipv, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "step_s", 0, MAX_DUR_S, OPT, &r->step_s, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "interval_s", 0, MAX_DUR_S, OPT, &r->interval_s, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "loss_stop_pct", 0, 100, OPT, &r->loss_stop_pct, eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "max_calls", 0, VR_REC_MAX_CALLS, OPT, -1, &r->max_calls, eb)) <
            0)
        return rc;
    r->ip_version = (int)ipv;
    if (r->target[0] == '\0')
        return vr_jfield_fail(eb, "", "target", "must not be empty");
    return 0;
}
