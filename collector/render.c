/* render: store results to the API's JSON (render.h). Field order follows API.md. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfield.h"
#include "plan.h"
#include "rec_agent.h"
#include "rec_capacity.h"
#include "rec_head.h"
#include "record.h"

double vr_render_round(double v)
{
    return isfinite(v) ? round(v * 1000.0) / 1000.0 : v;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(vr_render_round(v)) : json_null();
}

static json_t *jtime(uint64_t ns)
{
    char buf[40];
    vr_format_rfc3339(ns, buf, sizeof(buf));
    return json_string(buf);
}

const char *vr_render_verdict_name(const struct vr_verdict *v)
{
    if (v->verdict == VR_VERDICT_SILENT) /* silent wins over no data: the window may be empty */
        return vr_site_verdict_name(v->verdict);
    return v->intervals == 0 ? "no_data" : vr_site_verdict_name(v->verdict);
}

/* A time that may be absent (0): null. */
static json_t *jtime_or_null(uint64_t ns)
{
    return ns == 0 ? json_null() : jtime(ns);
}

/* "liveness" and "last_upload" of a site (the reason is first in its reasons already). */
static void liveness_fields(json_t *o, const struct vr_store_site_summary *s)
{
    json_object_set_new(o, "liveness", json_string(vr_liveness_name(s->liveness)));
    json_object_set_new(o, "last_upload", jtime_or_null(s->last_upload_wall_ns));
}

static json_t *agent_json(const struct vr_store_agent *a)
{
    json_t *o = json_object(), *links = json_array();
    if (o == NULL || links == NULL) {
        json_decref(o);
        json_decref(links);
        return NULL;
    }
    for (size_t i = 0; i < a->n_links; i++)
        json_array_append_new(links, json_string(vr_rec_link_names[a->links[i]]));
    json_object_set_new(o, "agent", json_string(a->agent));
    json_object_set_new(o, "version", a->version[0] ? json_string(a->version) : json_null());
    json_object_set_new(o, "last_upload", jtime_or_null(a->last_upload_wall_ns));
    json_object_set_new(o, "spool_records", json_integer((json_int_t)a->spool_records));
    json_object_set_new(o, "quarantined", json_integer((json_int_t)a->quarantined));
    json_object_set_new(o, "clock_sync", json_string(vr_clock_sync_names[a->clock_sync]));
    json_object_set_new(o, "links", links);
    json_object_set_new(o, "liveness", json_string(vr_liveness_name(a->liveness)));
    return o;
}

static void verdict_fields(json_t *o, const struct vr_verdict *v)
{
    json_object_set_new(o, "verdict", json_string(vr_render_verdict_name(v)));
    json_object_set_new(o, "score_pct", v->intervals == 0 ? json_null() : jnum(v->score_pct));
    json_object_set_new(o, "intervals", json_integer((json_int_t)v->intervals));
    json_object_set_new(o, "passed", json_integer((json_int_t)v->passed));
    json_object_set_new(o, "marks_rewritten", json_boolean(v->marks_rewritten));
}

static void capacity_fields(json_t *o, const struct vr_store_capacity *c)
{
    json_object_set_new(o, "planned_peak_calls",
                        c->planned ? json_integer(c->plan.planned_calls) : json_null());
    json_object_set_new(o, "capacity_calls", c->measured ? json_integer(c->calls) : json_null());
    json_object_set_new(o, "capacity_status", json_string(vr_capacity_status_name(c->status)));
    json_object_set_new(o, "capacity_reason", json_string(c->reason));
}

json_t *vr_render_site_summary(const struct vr_store_site_summary *s)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    const struct vr_verdict *v = &s->verdict;
    json_object_set_new(o, "site", json_string(s->site));
    verdict_fields(o, v);
    json_object_set_new(o, "worst_reason",
                        v->n_reasons > 0 ? json_string(v->reasons[0]) : json_null());
    json_object_set_new(o, "last_seen", jtime_or_null(s->last_seen_wall_ns));
    json_object_set_new(o, "agents", json_integer(s->agents));
    liveness_fields(o, s);
    capacity_fields(o, &s->capacity);
    return o;
}

json_t *vr_render_sites(const struct vr_store_site_list *l)
{
    json_t *o = json_object(), *arr = json_array();
    if (o == NULL || arr == NULL) {
        json_decref(o);
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (json_array_append_new(arr, vr_render_site_summary(&l->sites[i])) < 0) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    json_object_set_new(o, "generated", jtime(l->generated_wall_ns));
    json_object_set_new(o, "window_s", json_integer((json_int_t)(l->window_ns / 1000000000u)));
    json_object_set_new(o, "sites", arr);
    return o;
}

/* ---- the site page -------------------------------------------------------------------------- */

static json_t *reasons_json(const struct vr_store_reasons *r, bool null_if_absent)
{
    if (!r->present && null_if_absent)
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < r->n; i++)
        json_array_append_new(a, json_string(r->v[i]));
    return a;
}

static json_t *dscp_seen_json(const uint64_t c[64])
{
    json_t *o = json_object();
    for (int d = 0; o != NULL && d < 64; d++) {
        if (c[d] > 0) {
            char k[8];
            snprintf(k, sizeof(k), "%d", d);
            json_object_set_new(o, k, json_integer((json_int_t)c[d]));
        }
    }
    return o;
}

static json_t *path_json(const struct vr_store_path *p)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "class", json_string(p->cls));
    json_object_set_new(o, "target", json_string(p->target));
    json_object_set_new(o, "link", json_string(p->link));
    json_object_set_new(o, "intervals", json_integer(p->intervals));
    json_object_set_new(o, "passed", json_integer(p->passed));
    json_object_set_new(o, "loss_fwd_pct", jnum(p->loss_fwd_pct));
    json_object_set_new(o, "loss_rev_pct", jnum(p->loss_rev_pct));
    json_object_set_new(o, "rtt_ms_mean", jnum(p->rtt_ms_mean));
    json_object_set_new(o, "jitter_fwd_ms", jnum(p->jitter_fwd_ms));
    json_object_set_new(o, "jitter_rev_ms", jnum(p->jitter_rev_ms));
    json_object_set_new(o, "mos", jnum(p->mos));
    json_object_set_new(o, "dscp_fwd_preserved_pct", jnum(p->dscp_fwd_preserved_pct));
    json_object_set_new(o, "dscp_rev_preserved_pct", jnum(p->dscp_rev_preserved_pct));
    json_object_set_new(o, "dscp_fwd_seen", dscp_seen_json(p->dscp_fwd_seen));
    json_object_set_new(o, "dscp_rev_seen", dscp_seen_json(p->dscp_rev_seen));
    return o;
}

static json_t *failing_json(const struct vr_store_failing *f)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "start", jtime(f->start_wall_ns));
    json_object_set_new(o, "class", json_string(f->cls));
    json_object_set_new(o, "target", json_string(f->target));
    json_object_set_new(o, "verdict", json_string("fail"));
    json_object_set_new(o, "reasons", reasons_json(&f->reasons, false));
    return o;
}

static json_t *mix_json(const double mix[VR_PLAN_N_MOD])
{
    json_t *m = json_object();
    for (int i = 0; m != NULL && i < VR_PLAN_N_MOD; i++)
        json_object_set_new(m, vr_plan_modality_name((enum vr_plan_modality)i), jnum(mix[i]));
    return m;
}

static json_t *planning_json(const struct vr_store_capacity *c)
{
    if (!c->planned)
        return json_null();
    const struct vr_plan_input *in = &c->in;
    const struct vr_plan *p = &c->plan;
    json_t *o = json_object(), *bw = json_object(), *rates = json_object();
    if (o == NULL || bw == NULL || rates == NULL) {
        json_decref(o);
        json_decref(bw);
        json_decref(rates);
        return NULL;
    }
    json_object_set_new(o, "users", in->users > 0 ? json_integer(in->users) : json_null());
    json_object_set_new(o, "peak_concurrency_pct",
                        in->concurrency_cpct > 0 ? jnum(in->concurrency_cpct / 100.0)
                                                 : json_null());
    json_object_set_new(o, "configured_peak_calls",
                        in->peak_calls > 0 ? json_integer(in->peak_calls) : json_null());
    json_object_set_new(o, "mix", mix_json(in->mix));
    json_object_set_new(o, "growth_pct", jnum(in->growth_cpct / 100.0));
    json_object_set_new(o, "peak_calls", json_integer(p->peak_calls));
    json_object_set_new(o, "planned_peak_calls", json_integer(p->planned_calls));
    json_object_set_new(o, "peak_from", json_string(p->from_users ? "users" : "config"));
    for (int i = 0; i < VR_PLAN_N_MOD; i++) {
        const char *m = vr_plan_modality_name((enum vr_plan_modality)i);
        json_object_set_new(bw, m, jnum(p->mod_bps[i]));
        json_object_set_new(rates, m, jnum(p->bitrate_bps[i]));
    }
    json_object_set_new(bw, "peak", jnum(p->bps_peak));
    json_object_set_new(bw, "planned", jnum(p->bps_planned));
    /* the same figure each way: the source table is per direction */
    json_object_set_new(o, "bandwidth_bps_fwd", jnum(p->bps_planned));
    json_object_set_new(o, "bandwidth_bps_rev", jnum(p->bps_planned));
    json_object_set_new(o, "bandwidth_bps", bw);
    json_object_set_new(o, "bitrates_bps", rates);
    json_object_set_new(o, "bitrate_basis", json_string(VR_PLAN_BITRATE_BASIS));
    return o;
}

/* Per link kind: the paths summed, means weighted by intervals. The means are taken of the
 * paths' figures as the API shows them (rounded), so that a client summing the "classes" rows
 * gets the same numbers. */
static json_t *links_json(const struct vr_store_site_detail *d)
{
    static const char *const kinds[] = {"wired", "wifi", "other"};
    static const char *const means[] = {"loss_fwd_pct",  "loss_rev_pct", "jitter_fwd_ms",
                                        "jitter_rev_ms", "rtt_ms_mean",  "mos"};
    json_t *arr = json_array();
    for (size_t k = 0; arr != NULL && k < 3; k++) {
        double iv = 0, passed = 0, sum[6] = {0}, wsum[6] = {0};
        json_t *cl = json_array();
        for (size_t i = 0; i < d->n_paths; i++) {
            const struct vr_store_path *p = &d->paths[i];
            if (strcmp(p->link, kinds[k]) != 0)
                continue;
            double n = (double)p->intervals;
            double v[6] = {p->loss_fwd_pct,  p->loss_rev_pct, p->jitter_fwd_ms,
                           p->jitter_rev_ms, p->rtt_ms_mean,  p->mos};
            iv += n;
            passed += (double)p->passed;
            for (size_t m = 0; m < 6; m++) {
                if (isfinite(v[m])) {
                    sum[m] += vr_render_round(v[m]) * n;
                    wsum[m] += n;
                }
            }
            json_array_append_new(cl, json_string(p->cls));
        }
        if (iv <= 0) {
            json_decref(cl);
            continue;
        }
        json_t *o = json_object();
        json_object_set_new(o, "link", json_string(kinds[k]));
        json_object_set_new(o, "intervals", json_integer((json_int_t)iv));
        json_object_set_new(o, "passed", json_integer((json_int_t)passed));
        json_object_set_new(o, "pass_pct", jnum(100.0 * passed / iv));
        for (size_t m = 0; m < 6; m++)
            json_object_set_new(o, means[m], wsum[m] > 0 ? jnum(sum[m] / wsum[m]) : json_null());
        json_object_set_new(o, "classes", cl);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *capacity_row_json(const struct vr_store_capacity_row *r)
{
    json_t *e = json_object();
    if (e == NULL)
        return NULL;
    json_object_set_new(e, "target", json_string(r->target));
    json_object_set_new(e, "link", json_string(r->link));
    json_object_set_new(e, "capacity_calls", json_integer(r->calls));
    json_object_set_new(e, "capacity_bps_fwd", jnum(r->bps_fwd));
    json_object_set_new(e, "capacity_bps_rev", jnum(r->bps_rev));
    json_object_set_new(e, "max_rate_bps", json_integer(r->max_rate_bps));
    json_object_set_new(e, "limit", json_string(r->limit));
    json_object_set_new(e, "cause", json_string(r->cause));
    json_object_set_new(e, "verdict", json_string(vr_level_name(r->verdict)));
    json_object_set_new(e, "start", jtime(r->start_wall_ns));
    json_object_set_new(e, "agent", json_string(r->agent));
    /* the run's details as the agent wrote them: through the capacity record's one reader and
     * writer (common/rec_capacity.h), null where the stored record does not read */
    json_t *raw = r->record != NULL ? json_loads(r->record, 0, NULL) : NULL;
    struct vr_rec_capacity *rec = raw != NULL ? malloc(sizeof(*rec)) : NULL;
    struct vr_jerr je = {{""}, ""};
    json_t *back = rec != NULL && vr_rec_capacity_from_json(raw, rec, &je) == 0
                       ? vr_rec_capacity_to_json(rec)
                       : NULL;
    static const char *const keep[] = {"first_failure", "mix",       "steps",
                                       "duration_s",    "interface", "reasons"};
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        json_t *v = back != NULL ? json_object_get(back, keep[k]) : NULL;
        json_object_set(e, keep[k], v != NULL ? v : json_null());
    }
    json_decref(back);
    free(rec);
    json_decref(raw);
    return e;
}

static json_t *capacity_json(const struct vr_store_site_detail *d)
{
    const struct vr_store_capacity *c = &d->summary.capacity;
    json_t *cap = json_object(), *latest = json_array();
    if (cap == NULL || latest == NULL) {
        json_decref(cap);
        json_decref(latest);
        return NULL;
    }
    for (size_t i = 0; i < d->n_capacity; i++)
        json_array_append_new(latest, capacity_row_json(&d->capacity[i]));
    json_object_set_new(cap, "status", json_string(vr_capacity_status_name(c->status)));
    json_object_set_new(cap, "reason", json_string(c->reason));
    json_object_set_new(cap, "capacity_calls", c->measured ? json_integer(c->calls) : json_null());
    json_object_set_new(cap, "planned_peak_calls",
                        c->planned ? json_integer(c->plan.planned_calls) : json_null());
    json_object_set_new(cap, "latest", latest);
    return cap;
}

static json_t *capture_json(const struct vr_store_capture_row *r)
{
    json_t *e = json_object();
    if (e == NULL)
        return NULL;
    json_object_set_new(e, "start", jtime(r->start_wall_ns));
    json_object_set_new(e, "link", json_string(r->link));
    json_object_set_new(e, "class", json_string(r->cls));
    json_object_set_new(e, "src", json_string(r->src));
    json_object_set_new(e, "dst", json_string(r->dst));
    json_object_set_new(e, "packets", json_integer(r->packets));
    json_object_set_new(e, "lost", json_integer(r->lost));
    json_object_set_new(e, "loss_pct", jnum(r->loss_pct));
    json_object_set_new(e, "jitter_ms", jnum(r->jitter_ms));
    json_object_set_new(e, "mos", jnum(r->mos));
    json_object_set_new(e, "verdict", json_string(vr_level_name(r->verdict)));
    json_object_set_new(e, "reasons", reasons_json(&r->reasons, true));
    return e;
}

json_t *vr_render_site(const struct vr_store_site_detail *d)
{
    const struct vr_store_site_summary *s = &d->summary;
    const struct vr_verdict *v = &s->verdict;
    json_t *o = json_object(), *reasons = json_array(), *classes = json_array(),
           *failing = json_array(), *captures = json_array();
    json_t *plan = planning_json(&s->capacity), *cap = capacity_json(d);
    if (o == NULL || reasons == NULL || classes == NULL || failing == NULL || captures == NULL ||
        plan == NULL || cap == NULL) {
        json_decref(o);
        json_decref(reasons);
        json_decref(classes);
        json_decref(failing);
        json_decref(captures);
        json_decref(plan);
        json_decref(cap);
        return NULL;
    }
    for (size_t i = 0; i < v->n_reasons; i++)
        json_array_append_new(reasons, json_string(v->reasons[i]));
    for (size_t i = 0; i < d->n_paths; i++)
        json_array_append_new(classes, path_json(&d->paths[i]));
    for (size_t i = 0; i < d->n_failing; i++)
        json_array_append_new(failing, failing_json(&d->failing[i]));
    for (size_t i = 0; i < d->n_captures; i++)
        json_array_append_new(captures, capture_json(&d->captures[i]));
    json_object_set_new(o, "site", json_string(s->site));
    verdict_fields(o, v);
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "last_seen", jtime_or_null(s->last_seen_wall_ns));
    json_object_set_new(o, "agents", json_integer(s->agents));
    liveness_fields(o, s);
    json_t *agents = json_array();
    for (size_t i = 0; agents != NULL && i < d->n_agents; i++)
        json_array_append_new(agents, agent_json(&d->agent_list[i]));
    json_object_set_new(o, "agent_list", agents);
    json_object_set_new(o, "window_s", json_integer((json_int_t)(d->window_ns / 1000000000u)));
    json_object_set_new(o, "classes", classes);
    json_object_set_new(o, "failing", failing);
    capacity_fields(o, &s->capacity);
    json_object_set_new(o, "planning", plan);
    json_object_set_new(o, "links", links_json(d));
    json_object_set_new(o, "capacity", cap);
    json_object_set_new(o, "captures", captures);
    json_object_set_new(o, "captures_note",
                        json_string("real calls seen by `voiceready-agent capture` (latest 50 "
                                    "streams); shown beside the synthetic results, they do not "
                                    "change the verdict"));
    return o;
}

/* ---- time series and links -------------------------------------------------------------- */

static json_t *point_json(const struct vr_store_point *p)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "t", jtime(p->t_wall_ns));
    json_object_set_new(o, "rtt_ms", jnum(p->rtt_ms));
    json_object_set_new(o, "rtt_p95_ms", jnum(p->rtt_p95_ms));
    json_object_set_new(o, "jitter_fwd_ms", jnum(p->jitter_fwd_ms));
    json_object_set_new(o, "jitter_rev_ms", jnum(p->jitter_rev_ms));
    json_object_set_new(o, "loss_fwd_pct", jnum(p->loss_fwd_pct));
    json_object_set_new(o, "loss_rev_pct", jnum(p->loss_rev_pct));
    json_object_set_new(o, "mos", jnum(p->mos));
    json_object_set_new(o, "verdict", json_string(vr_level_name(p->verdict)));
    if (p->hourly)
        json_object_set_new(o, "hourly", json_true());
    return o;
}

json_t *vr_render_series(const struct vr_store_series_set *x)
{
    json_t *o = json_object(), *arr = json_array();
    if (o == NULL || arr == NULL) {
        json_decref(o);
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < x->n; i++) {
        const struct vr_store_series *sr = &x->series[i];
        json_t *so = json_object(), *pts = json_array();
        if (so == NULL || pts == NULL) {
            json_decref(so);
            json_decref(pts);
            json_decref(arr);
            json_decref(o);
            return NULL;
        }
        for (size_t k = 0; k < sr->n; k++)
            json_array_append_new(pts, point_json(&sr->points[k]));
        json_object_set_new(so, "class", json_string(sr->cls));
        json_object_set_new(so, "target", json_string(sr->target));
        json_object_set_new(so, "link", json_string(sr->link));
        json_object_set_new(so, "points", pts);
        json_array_append_new(arr, so);
    }
    json_object_set_new(o, "site", json_string(x->site));
    json_object_set_new(o, "series", arr);
    return o;
}

json_t *vr_render_link_row(const struct vr_store_link_row *r)
{
    json_t *e = json_object();
    if (e == NULL)
        return NULL;
    json_object_set_new(e, "link", json_string(r->link));
    json_object_set_new(e, "intervals", json_integer(r->intervals));
    json_object_set_new(e, "passed", json_integer(r->passed));
    json_object_set_new(e, "pass_pct",
                        r->intervals > 0 ? jnum(100.0 * (double)r->passed / (double)r->intervals)
                                         : json_null());
    json_object_set_new(e, "loss_fwd_pct", jnum(r->loss_fwd_pct));
    json_object_set_new(e, "loss_rev_pct", jnum(r->loss_rev_pct));
    json_object_set_new(e, "jitter_fwd_ms", jnum(r->jitter_fwd_ms));
    json_object_set_new(e, "jitter_rev_ms", jnum(r->jitter_rev_ms));
    json_object_set_new(e, "rtt_ms_mean", jnum(r->rtt_ms_mean));
    return e;
}
