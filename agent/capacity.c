#include "capacity.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jfield.h"
#include "rec_capacity.h"

#define LATE_NS UINT64_C(1000000000) /* voice a second late is lost: a shorter wait per step */

enum state {
    ST_IDLE,
    ST_STEP,    /* a session runs */
    ST_ENDED,   /* its session is done: judge it, free it, decide */
    ST_PAUSE,   /* between steps */
    ST_CLOSING, /* the timer closes, then on_done */
};

struct vr_capacity {
    uv_loop_t *loop;
    struct vr_capacity_config cfg;
    struct vr_capacity_hooks hooks;
    struct vr_ramp_mix mix;
    struct vr_ramp ramp;
    struct vr_session *session;
    uv_timer_t timer;
    enum state state;
    bool interrupted;      /* by the caller (Ctrl-C) */
    bool step_interrupted; /* the last session ended early (the caller or the loss stop) */
    uint32_t next_calls;
    int error;
    char errmsg[512];
    uint64_t start_wall_ns, start_mono_ns;
    double class_dur_s[VR_CLASS_COUNT]; /* measured time of the running step, by class */
    struct vr_capacity_step steps[VR_CAPACITY_MAX_STEPS];
    size_t n_steps;
    struct vr_capacity_result res;
    char link[16], ifname[32];
};

const char *vr_capacity_metric_name(enum vr_metric m)
{
    switch (m) {
    case VR_METRIC_RTT:
        return "rtt";
    case VR_METRIC_OWD:
        return "owd";
    case VR_METRIC_LOSS:
        return "loss";
    case VR_METRIC_BURST_LOSS:
        return "burst_loss";
    case VR_METRIC_JITTER:
        return "jitter";
    case VR_METRIC_REORDER:
        return "reorder";
    case VR_METRIC_DSCP:
        return "dscp";
    }
    return "loss";
}

const char *vr_capacity_dir_name(enum vr_dir d)
{
    switch (d) {
    case VR_DIR_ROUND:
        return "both";
    case VR_DIR_FWD:
        return "fwd";
    case VR_DIR_REV:
        return "rev";
    }
    return "both";
}

static const struct vr_profile *class_profile(const struct vr_capacity_config *cfg, int c)
{
    if (cfg->session.profile != NULL)
        return cfg->session.profile;
    return vr_profile_find(vr_class_get((enum vr_class)c)->profile);
}

void vr_capacity_mix(const struct vr_capacity_config *cfg, struct vr_ramp_mix *m)
{
    int ipv6 = cfg->session.dst.ss_family == AF_INET6;
    memset(m, 0, sizeof(*m));
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        const struct vr_profile *p = class_profile(cfg, c);
        m->share[c] = cfg->mix[c];
        if (p == NULL || !(cfg->mix[c] > 0))
            continue;
        /* the reflector answers with as many bytes as it got: the same rate both ways */
        m->stream_bps_fwd[c] = m->stream_bps_rev[c] = vr_profile_ip_bps(p, ipv6);
    }
}

static void fmt_rate(double bps, char *buf, size_t len)
{
    if (bps >= 1e6)
        snprintf(buf, len, "%.2f Mbit/s", bps / 1e6);
    else
        snprintf(buf, len, "%.1f kbit/s", bps / 1e3);
}

static const char *dir_word(enum vr_dir d)
{
    return d == VR_DIR_FWD ? "forward" : d == VR_DIR_REV ? "reverse" : "round trip";
}

static void dscp_label(int dscp, char *buf, size_t len)
{
    const char *n = dscp >= 0 ? vr_dscp_name((unsigned)dscp) : NULL;
    if (dscp < 0)
        snprintf(buf, len, "no mark");
    else if (n != NULL)
        snprintf(buf, len, "%s", n);
    else
        snprintf(buf, len, "DSCP %d", dscp);
}

/* "loss 2.2 % forward (threshold 1 %)" of class audio -> "loss 2.2 % forward, audio
 * (threshold 1 %)" */
static void with_class(const char *reason, const char *cls, char *out, size_t len)
{
    const char *thr = strstr(reason, " (threshold");
    if (thr == NULL)
        snprintf(out, len, "%s, %s", reason, cls);
    else
        snprintf(out, len, "%.*s, %s%s", (int)(thr - reason), reason, cls, thr);
}

/* ---- one step ---- */

static void add_step_reason(struct vr_capacity_step *st, const char *reason)
{
    for (size_t i = 0; i < st->n_reasons; i++) {
        if (strcmp(st->reasons[i], reason) == 0)
            return;
    }
    if (st->n_reasons < VR_CAPACITY_MAX_REASONS)
        snprintf(st->reasons[st->n_reasons++], VR_CAPACITY_REASON_LEN, "%s", reason);
}

/* The worst share of marks kept per direction, and the first rewrite: the DSCP fail of the
 * session's findings f (score.c judges the mark; this only notes where it was lost). */
static void note_marking(struct vr_capacity_step *st, const struct vr_record *r,
                         const struct vr_finding *f, size_t nf)
{
    if (r->dscp == 0)
        return; /* the unmarked control has no mark to lose */
    for (int d = VR_DIR_FWD; d <= VR_DIR_REV; d++) {
        const uint64_t *counts = d == VR_DIR_FWD ? r->dscp_fwd : r->dscp_rev;
        double kept = vr_record_dscp_preserved_pct(counts, r->dscp);
        double *worst = d == VR_DIR_FWD ? &st->dscp_fwd_pct : &st->dscp_rev_pct;
        if (kept < 0)
            continue;
        if (*worst < 0 || kept < *worst)
            *worst = kept;
        for (size_t i = 0; i < nf && !st->marking_lost; i++) {
            if (f[i].metric != VR_METRIC_DSCP || f[i].dir != (enum vr_dir)d ||
                f[i].level != VR_LEVEL_FAIL)
                continue;
            st->marking_lost = true;
            snprintf(st->marking_cls, sizeof(st->marking_cls), "%s", r->cls);
            st->marking_dir = (enum vr_dir)d;
            st->marking_dscp = r->dscp;
            st->marking_seen = f[i].dscp_seen;
        }
    }
}

static void on_session_record(void *arg, const struct vr_rec_ref *ref)
{
    const struct vr_record *r = ref->record;
    struct vr_capacity *c = arg;
    struct vr_capacity_step *st = &c->steps[c->n_steps - 1];
    const struct vr_finding *f = NULL;
    enum vr_class cls;
    size_t nf = 0;

    if (r->type != VR_RECORD_INTERVAL)
        return; /* the step is judged by its intervals; summaries would count them twice */
    if (c->link[0] == '\0') {
        snprintf(c->link, sizeof(c->link), "%s", r->link);
        snprintf(c->ifname, sizeof(c->ifname), "%s", r->interface);
    }
    if (c->hooks.on_record != NULL) {
        struct vr_record tmp = *r; /* the record as written: with the step's call count */
        tmp.step_calls = st->calls;
        c->hooks.on_record(c->hooks.arg,
                           &(struct vr_rec_ref){.kind = VR_REC_KIND_RECORD, .record = &tmp});
    }
    if (r->sent == 0)
        return;
    /* judged once, by the session (vr_score_interval): the findings behind r's reasons */
    if (c->session != NULL)
        nf = vr_session_findings(c->session, &f);
    st->intervals++;
    if (vr_class_by_name(r->cls, &cls) == 0)
        c->class_dur_s[cls] += r->duration_s;
    if (r->verdict > st->verdict)
        st->verdict = r->verdict;
    st->loss_fwd_pct = fmax(st->loss_fwd_pct, r->loss_fwd_pct);
    st->loss_rev_pct = fmax(st->loss_rev_pct, r->loss_rev_pct);
    st->jitter_fwd_ms = fmax(st->jitter_fwd_ms, r->jitter_fwd_ms);
    st->jitter_rev_ms = fmax(st->jitter_rev_ms, r->jitter_rev_ms);
    st->rtt_p95_ms = fmax(st->rtt_p95_ms, r->rtt_ms.p95);
    st->last_loss_fwd_pct = r->loss_fwd_pct;
    st->last_loss_rev_pct = r->loss_rev_pct;
    st->last_jitter_fwd_ms = r->jitter_fwd_ms;
    st->last_jitter_rev_ms = r->jitter_rev_ms;
    note_marking(st, r, f, nf);

    size_t worst = nf;
    for (size_t i = 0; i < nf && i < r->n_reasons; i++) {
        char line[VR_CAPACITY_REASON_LEN];
        if (f[i].level != VR_LEVEL_FAIL)
            continue;
        with_class(r->reasons[i], r->cls, line, sizeof(line));
        add_step_reason(st, line);
        if (worst == nf || vr_finding_severity(&f[i]) > vr_finding_severity(&f[worst]))
            worst = i;
    }
    if (worst < nf && !st->has_failure) {
        st->has_failure = true;
        st->failure.f = f[worst];
        snprintf(st->failure.cls, sizeof(st->failure.cls), "%s", r->cls);
        with_class(r->reasons[worst], r->cls, st->failure.reason, sizeof(st->failure.reason));
    }
    /* safety: a production link losing this much is hurt by the test itself */
    if (!st->loss_stop &&
        (r->loss_fwd_pct > c->cfg.loss_stop_pct || r->loss_rev_pct > c->cfg.loss_stop_pct)) {
        st->loss_stop = true;
        if (c->session != NULL)
            vr_session_interrupt(c->session);
    }
}

static void on_session_progress(void *arg, const struct vr_session_progress *p)
{
    struct vr_capacity *c = arg;
    struct vr_capacity_progress cp;
    if (c->hooks.on_progress == NULL || c->n_steps == 0)
        return;
    cp.step = &c->steps[c->n_steps - 1];
    cp.elapsed_s = p->elapsed_s;
    cp.total_s = p->total_s;
    c->hooks.on_progress(c->hooks.arg, &cp);
}

static void on_timer(uv_timer_t *t);

static void on_session_done(void *arg, const struct vr_session_result *res)
{
    struct vr_capacity *c = arg;
    if (res->error != 0 && c->error == 0) {
        c->error = res->error;
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", res->errmsg);
    }
    c->step_interrupted = res->interrupted;
    /* not here: the session is inside its own close callback; judge and free it next turn */
    c->state = ST_ENDED;
    uv_timer_start(&c->timer, on_timer, 0, 0);
}

static int start_step(struct vr_capacity *c, uint32_t calls, struct vr_errbuf *eb)
{
    struct vr_session_hooks sh = {on_session_record, on_session_progress, on_session_done, c};
    struct vr_session_config sc = c->cfg.session;
    struct vr_capacity_step *st;
    int rc;

    if (c->n_steps >= VR_CAPACITY_MAX_STEPS)
        return vr_errbuf_set(eb, VR_EFULL, "capacity: more than %d steps", VR_CAPACITY_MAX_STEPS);
    st = &c->steps[c->n_steps];
    memset(st, 0, sizeof(*st));
    st->index = (uint32_t)c->n_steps;
    st->calls = calls;
    st->dscp_fwd_pct = st->dscp_rev_pct = -1;
    st->marking_seen = -1;
    vr_ramp_rate(&c->mix, calls, &st->bps_fwd, &st->bps_rev);
    sc.class_mask = 0;
    sc.calls = 0;
    for (int k = 0; k < VR_CLASS_COUNT; k++) {
        st->streams[k] = vr_ramp_streams(&c->mix, k, calls);
        sc.class_calls[k] = st->streams[k];
        if (st->streams[k] > 0)
            sc.class_mask |= 1u << k;
    }
    sc.duration_ns = c->cfg.step_ns;
    sc.interval_ns = c->cfg.interval_ns;
    sc.late_ns = LATE_NS;
    sc.continuous = false;
    sc.align_wall = false;
    sc.teams_ports = false;
    /* no reply at all is an error (no reflector) on the first step; later it is loss */
    sc.keep_going = c->n_steps > 0;
    snprintf(sc.tag, sizeof(sc.tag), "cap%zu", c->n_steps);
    memset(c->class_dur_s, 0, sizeof(c->class_dur_s));
    c->n_steps++;

    rc = vr_session_init(c->loop, &sc, &sh, &c->session, eb);
    if (rc != 0) {
        /* init opens no loop handles: the session can go at once */
        vr_session_free(c->session);
        c->session = NULL;
        c->n_steps--;
        return rc;
    }
    c->state = ST_STEP;
    if (c->hooks.on_step != NULL)
        c->hooks.on_step(c->hooks.arg, st, false);
    rc = vr_session_start(c->session, eb);
    if (rc != 0 && c->error == 0) {
        /* the session closes its handles itself and then reports done: the step ends there */
        c->error = rc;
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", eb->msg);
    }
    return 0;
}

static void end_step(struct vr_capacity *c)
{
    struct vr_capacity_step *st = &c->steps[c->n_steps - 1];
    for (int k = 0; k < VR_CLASS_COUNT; k++)
        st->duration_s = fmax(st->duration_s, c->class_dur_s[k]);
    /* a step that ran to its end before Ctrl-C still counts */
    st->interrupted = c->step_interrupted && !st->loss_stop;
    if (st->loss_stop) {
        vr_ramp_report(&c->ramp, st->calls, VR_RAMP_STOP_LOSS);
    } else if (st->interrupted || c->error != 0) {
        if (st->verdict == VR_LEVEL_FAIL)
            vr_ramp_report(&c->ramp, st->calls, VR_RAMP_FAIL);
        vr_ramp_report(&c->ramp, st->calls, VR_RAMP_STOP_INTERRUPT);
    } else if (st->intervals == 0) {
        /* nothing measured is no evidence of a pass */
        st->verdict = VR_LEVEL_FAIL;
        add_step_reason(st, "no interval was measured");
        vr_ramp_report(&c->ramp, st->calls, VR_RAMP_FAIL);
    } else {
        vr_ramp_report(&c->ramp, st->calls,
                       st->verdict == VR_LEVEL_FAIL ? VR_RAMP_FAIL : VR_RAMP_PASS);
    }
    if (c->hooks.on_step != NULL)
        c->hooks.on_step(c->hooks.arg, st, true);
}

/* ---- the result ---- */

static const struct vr_capacity_step *find_step(const struct vr_capacity *c, uint32_t calls,
                                                bool failed)
{
    for (size_t i = c->n_steps; i-- > 0;) {
        const struct vr_capacity_step *st = &c->steps[i];
        if (st->calls == calls && (!failed || st->verdict == VR_LEVEL_FAIL || st->loss_stop))
            return st;
    }
    return NULL;
}

static void add_reason(struct vr_capacity_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_reason(struct vr_capacity_result *res, const char *fmt, ...)
{
    va_list ap;
    if (res->n_reasons >= VR_CAPACITY_MAX_REASONS)
        return;
    va_start(ap, fmt);
    vsnprintf(res->reasons[res->n_reasons++], VR_CAPACITY_REASON_LEN, fmt, ap);
    va_end(ap);
}

static void marking_reason(const struct vr_capacity_step *st, char *buf, size_t len)
{
    char sent[16], seen[16];
    dscp_label(st->marking_dscp, sent, sizeof(sent));
    dscp_label(st->marking_seen, seen, sizeof(seen));
    snprintf(buf, len,
             "%s lost its %s mark %s (%s received): the bottleneck does not prioritise it; "
             "capacity is limited by marking, not bandwidth",
             st->marking_cls, sent, dir_word(st->marking_dir), seen);
}

static void build_reasons(struct vr_capacity *c)
{
    struct vr_capacity_result *res = &c->res;
    const struct vr_capacity_step *ff = res->first_failure;
    char fwd[32], rev[32], rate[32];

    if (res->capacity_calls > 0) {
        fmt_rate(res->capacity_bps_fwd, fwd, sizeof(fwd));
        fmt_rate(res->capacity_bps_rev, rev, sizeof(rev));
        add_reason(res, "capacity %u call%s: %s forward, %s reverse on the wire (IPv%d)",
                   res->capacity_calls, res->capacity_calls == 1 ? "" : "s", fwd, rev,
                   res->ipv6 ? 6 : 4);
    }
    if (ff != NULL && ff->has_failure)
        add_reason(res, "%s %u call%s: %s",
                   res->capacity_calls == 0 && ff->calls == 1 ? "even" : "at", ff->calls,
                   ff->calls == 1 ? " fails" : "s", ff->failure.reason);
    if (ff != NULL && ff->marking_lost) {
        char m[VR_CAPACITY_REASON_LEN];
        marking_reason(ff, m, sizeof(m));
        add_reason(res, "%s", m);
    }
    switch (res->limit) {
    case VR_RAMP_LOSS_STOP:
        if (ff == NULL)
            break;
        snprintf(rate, sizeof(rate), "%u and %u", res->capacity_calls, ff->calls - 1);
        add_reason(res,
                   "ramp stopped for safety at %u call%s: loss %.1f %% %s is above the %g %% "
                   "stop%s%s%s",
                   ff->calls, ff->calls == 1 ? "" : "s", fmax(ff->loss_fwd_pct, ff->loss_rev_pct),
                   ff->loss_fwd_pct >= ff->loss_rev_pct ? "forward" : "reverse",
                   c->cfg.loss_stop_pct,
                   ff->calls > res->capacity_calls + 1 ? "; capacity is between " : "",
                   ff->calls > res->capacity_calls + 1 ? rate : "",
                   ff->calls > res->capacity_calls + 1 ? " calls" : "");
        break;
    case VR_RAMP_MAX_RATE:
        fmt_rate(c->cfg.max_rate_bps, rate, sizeof(rate));
        add_reason(res, "ramp capped by --max-rate %s: capacity is at least %u calls", rate,
                   res->capacity_calls);
        break;
    case VR_RAMP_MAX_CALLS:
        add_reason(res, "capacity is at least %u calls (--max-calls)", res->capacity_calls);
        break;
    case VR_RAMP_INTERRUPTED:
        add_reason(res, "interrupted: capacity is at least %u call%s", res->capacity_calls,
                   res->capacity_calls == 1 ? "" : "s");
        break;
    case VR_RAMP_THRESHOLD:
    case VR_RAMP_RUNNING:
        break;
    }
}

static double pct_or_nan(double v)
{
    return v < 0 || !isfinite(v) ? NAN : v;
}

static void copy_reasons(char (*dst)[VR_REC_REASON_LEN], size_t *n,
                         const char (*src)[VR_CAPACITY_REASON_LEN], size_t count)
{
    *n = count < VR_REC_MAX_REASONS ? count : VR_REC_MAX_REASONS;
    for (size_t i = 0; i < *n; i++)
        snprintf(dst[i], VR_REC_REASON_LEN, "%s", src[i]);
}

static void step_rec(const struct vr_capacity_step *st, struct vr_rec_capacity_step *o)
{
    memset(o, 0, sizeof(*o));
    o->calls = st->calls;
    o->duration_s = st->duration_s;
    o->bps_fwd = st->bps_fwd;
    o->bps_rev = st->bps_rev;
    o->verdict = st->verdict;
    o->loss_fwd_pct = st->loss_fwd_pct;
    o->loss_rev_pct = st->loss_rev_pct;
    o->jitter_fwd_ms = st->jitter_fwd_ms;
    o->jitter_rev_ms = st->jitter_rev_ms;
    o->rtt_p95_ms = st->rtt_p95_ms;
    o->dscp_preserved_fwd_pct = pct_or_nan(st->dscp_fwd_pct);
    o->dscp_preserved_rev_pct = pct_or_nan(st->dscp_rev_pct);
    copy_reasons(o->reasons, &o->n_reasons, st->reasons, st->n_reasons);
    for (int k = 0; k < VR_CLASS_COUNT; k++)
        o->streams[k] = st->streams[k];
    o->intervals = st->intervals;
    o->stopped = vr_jfield_name_index(vr_rec_stopped_names, st->loss_stop     ? "loss_stop"
                                                            : st->interrupted ? "interrupted"
                                                                              : "completed");
}

/* The capacity record (rec_capacity.h): caller frees. */
static struct vr_rec_capacity *build_record(struct vr_capacity *c)
{
    const struct vr_capacity_result *res = &c->res;
    struct vr_rec_capacity *r = malloc(sizeof(*r));
    if (r == NULL)
        return NULL;
    vr_rec_capacity_clear(r);
    char id[96]; /* 40 + 10 + 13 digits of ms: fits the record's 63 bytes */
    snprintf(id, sizeof(id), "%.40s-capacity-%llu", c->cfg.session.agent,
             (unsigned long long)(c->start_wall_ns / 1000000u));
    size_t n = strnlen(id, sizeof(r->id) - 1);
    memcpy(r->id, id, n);
    r->id[n] = '\0';
    snprintf(r->agent, sizeof(r->agent), "%s", c->cfg.session.agent);
    snprintf(r->site, sizeof(r->site), "%s", c->cfg.session.site);
    snprintf(r->target, sizeof(r->target), "%s", c->cfg.session.target);
    r->link = vr_jfield_name_index(vr_rec_link_names, c->link);
    if (r->link < 0)
        r->link = vr_jfield_name_index(vr_rec_link_names, "other");
    snprintf(r->interface, sizeof(r->interface), "%s", c->ifname);
    r->start_wall_ns = c->start_wall_ns;
    r->duration_s = (double)(vr_clock_mono_ns() - c->start_mono_ns) / 1e9;
    for (int k = 0; k < VR_CLASS_COUNT; k++) {
        const struct vr_profile *p = class_profile(&c->cfg, k);
        if (!(c->cfg.mix[k] > 0))
            continue;
        r->mix[k] = c->cfg.mix[k];
        snprintf(r->profiles[k], sizeof(r->profiles[k]), "%s", p != NULL ? p->name : "");
    }
    /* an integer in the record (a real here made the collector refuse every later batch) */
    r->max_rate_bps = (uint64_t)llround(c->cfg.max_rate_bps);
    r->capacity_calls = res->capacity_calls;
    r->capacity_bps_fwd = res->capacity_bps_fwd;
    r->capacity_bps_rev = res->capacity_bps_rev;
    r->limit = vr_jfield_name_index(vr_rec_limit_names, vr_ramp_limit_name(res->limit));
    if (res->first_failure != NULL && res->first_failure->has_failure) {
        const struct vr_capacity_step *ff = res->first_failure;
        struct vr_rec_capacity_failure *f = &r->first_failure;
        r->has_first_failure = true;
        f->calls = ff->calls;
        f->metric = vr_jfield_name_index(vr_rec_metric_names,
                                         vr_capacity_metric_name(ff->failure.f.metric));
        f->direction =
            vr_jfield_name_index(vr_rec_dir_names, vr_capacity_dir_name(ff->failure.f.dir));
        snprintf(f->cls, sizeof(f->cls), "%s", ff->failure.cls);
        f->value = ff->failure.f.value;
        f->threshold = ff->failure.f.threshold;
        snprintf(f->reason, sizeof(f->reason), "%s", ff->failure.reason);
    }
    r->cause = vr_jfield_name_index(vr_rec_cause_names, res->cause);
    r->n_steps = res->n_steps < VR_REC_MAX_STEPS ? res->n_steps : VR_REC_MAX_STEPS;
    for (size_t i = 0; i < r->n_steps; i++)
        step_rec(&res->steps[i], &r->steps[i]);
    r->verdict = res->verdict;
    copy_reasons(r->reasons, &r->n_reasons, res->reasons, res->n_reasons);
    snprintf(r->thresholds, sizeof(r->thresholds), "%s", c->cfg.session.thr.name);
    r->ip_version = res->ipv6 ? 6 : 4;
    r->step_s = (double)c->cfg.step_ns / 1e9;
    r->interval_s = (double)c->cfg.interval_ns / 1e9;
    r->loss_stop_pct = c->cfg.loss_stop_pct;
    r->max_calls = c->cfg.max_calls;
    return r;
}

static void build_result(struct vr_capacity *c)
{
    struct vr_capacity_result *res = &c->res;
    const struct vr_capacity_step *cap_step;

    res->error = c->error;
    snprintf(res->errmsg, sizeof(res->errmsg), "%s", c->errmsg);
    res->ipv6 = c->cfg.session.dst.ss_family == AF_INET6;
    res->limit = c->ramp.limit;
    res->capacity_calls = c->ramp.last_pass;
    if (res->capacity_calls > 0)
        vr_ramp_rate(&c->mix, res->capacity_calls, &res->capacity_bps_fwd, &res->capacity_bps_rev);
    res->steps = c->steps;
    res->n_steps = c->n_steps;
    res->first_failure = c->ramp.first_fail != 0 ? find_step(c, c->ramp.first_fail, true) : NULL;
    res->cause = res->first_failure == NULL         ? "none"
                 : res->first_failure->marking_lost ? "marking"
                                                    : "bandwidth";
    cap_step = res->capacity_calls > 0 ? find_step(c, res->capacity_calls, false) : NULL;
    if (res->capacity_calls == 0)
        res->verdict = res->first_failure != NULL ? VR_LEVEL_FAIL : VR_LEVEL_WARN;
    else if (res->limit == VR_RAMP_INTERRUPTED ||
             (cap_step != NULL && cap_step->verdict == VR_LEVEL_WARN))
        res->verdict = VR_LEVEL_WARN;
    else
        res->verdict = VR_LEVEL_PASS;
    build_reasons(c);
    if (c->error == 0)
        res->record = build_record(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct vr_capacity *c = h->data;
    if (c->hooks.on_done != NULL)
        c->hooks.on_done(c->hooks.arg, &c->res);
}

static void finish(struct vr_capacity *c)
{
    if (c->ramp.limit == VR_RAMP_RUNNING && c->interrupted)
        vr_ramp_report(&c->ramp, 0, VR_RAMP_STOP_INTERRUPT);
    build_result(c);
    if (c->res.record != NULL && c->hooks.on_record != NULL)
        c->hooks.on_record(c->hooks.arg, &(struct vr_rec_ref){.kind = VR_REC_KIND_CAPACITY,
                                                              .capacity = c->res.record});
    c->state = ST_CLOSING;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void on_timer(uv_timer_t *t)
{
    struct vr_capacity *c = t->data;
    struct vr_errbuf eb = {{0}};

    if (c->state == ST_ENDED) {
        end_step(c);
        vr_session_free(c->session);
        c->session = NULL;
        c->next_calls = c->error != 0 || c->interrupted ? 0 : vr_ramp_next(&c->ramp);
        if (c->next_calls == 0) {
            finish(c);
            return;
        }
        c->state = ST_PAUSE;
        uv_timer_start(&c->timer, on_timer, c->cfg.pause_ns / 1000000u, 0);
        return;
    }
    if (c->state == ST_PAUSE) {
        if (c->interrupted) {
            finish(c);
            return;
        }
        int rc = start_step(c, c->next_calls, &eb);
        if (rc != 0) {
            c->error = rc;
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", eb.msg[0] ? eb.msg : vr_strerror(rc));
            finish(c);
        }
    }
}

/* ---- public ---- */

int vr_capacity_init(uv_loop_t *loop, const struct vr_capacity_config *cfg,
                     const struct vr_capacity_hooks *hooks, struct vr_capacity **out,
                     struct vr_errbuf *eb)
{
    struct vr_capacity *c = calloc(1, sizeof(*c));
    bool any = false;

    *out = c;
    if (c == NULL)
        return VR_ENOMEM;
    c->loop = loop;
    c->cfg = *cfg;
    c->hooks = *hooks;
    for (int k = 0; k < VR_CLASS_COUNT; k++) {
        if (!(cfg->mix[k] >= 0 && cfg->mix[k] <= VR_RAMP_MIX_MAX_SHARE))
            return vr_errbuf_set(eb, VR_EINVAL, "capacity: mix share out of range");
        any |= cfg->mix[k] > 0;
        if (cfg->mix[k] > 0 && class_profile(cfg, k) == NULL)
            return vr_errbuf_set(eb, VR_EINVAL, "capacity: no profile for class %s",
                                 vr_class_get((enum vr_class)k)->name);
    }
    if (!any)
        return vr_errbuf_set(eb, VR_EINVAL, "--mix: no class in the mix, e.g. audio=1");
    if (cfg->max_calls < 1 || cfg->max_calls > VR_RAMP_CALLS_LIMIT)
        return vr_errbuf_set(eb, VR_EINVAL, "--max-calls: from 1 to %u", VR_RAMP_CALLS_LIMIT);
    if (cfg->interval_ns < 1000000000u || cfg->step_ns < 2 * cfg->interval_ns)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--step must hold at least two --interval of 1s or more, e.g. "
                             "--step 30s --interval 10s");
    if (!(cfg->loss_stop_pct > 0 && cfg->loss_stop_pct <= 100))
        return vr_errbuf_set(eb, VR_EINVAL, "--loss-stop: from 0 to 100 %%");
    vr_capacity_mix(cfg, &c->mix);
    vr_ramp_init(&c->ramp, &c->mix, cfg->max_calls, cfg->max_rate_bps);
    if (c->ramp.cap == 0) {
        char one[32], max[32];
        double fwd, rev;
        vr_ramp_rate(&c->mix, 1, &fwd, &rev);
        fmt_rate(fmax(fwd, rev), one, sizeof(one));
        fmt_rate(cfg->max_rate_bps, max, sizeof(max));
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--max-rate %s is below the wire rate of one call of the mix (%s): "
                             "raise --max-rate or use a smaller --mix",
                             max, one);
    }
    return 0;
}

int vr_capacity_start(struct vr_capacity *c, struct vr_errbuf *eb)
{
    int rc;
    c->start_wall_ns = vr_clock_wall_ns();
    c->start_mono_ns = vr_clock_mono_ns();
    c->next_calls = vr_ramp_next(&c->ramp);
    rc = start_step(c, c->next_calls, eb);
    if (rc != 0)
        return rc;
    uv_timer_init(c->loop, &c->timer);
    c->timer.data = c;
    return 0;
}

void vr_capacity_interrupt(struct vr_capacity *c)
{
    if (c == NULL || c->interrupted)
        return;
    c->interrupted = true;
    if (c->state == ST_STEP && c->session != NULL) {
        vr_session_interrupt(c->session);
    } else if (c->state == ST_PAUSE) {
        uv_timer_stop(&c->timer);
        uv_timer_start(&c->timer, on_timer, 0, 0);
    }
}

void vr_capacity_free(struct vr_capacity *c)
{
    if (c == NULL)
        return;
    vr_session_free(c->session);
    free((struct vr_rec_capacity *)c->res.record);
    free(c);
}
