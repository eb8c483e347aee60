#include "score.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile.h"

/* REFERENCE.md §1: Microsoft's targets, client -> MS edge and customer edge -> MS edge. Burst loss
 * is "any 200 ms"; the DSCP share and the 80 % warn band are ours (DESIGN.md §6). */
static const struct vr_thresholds builtin[] = {
    {"client", 100.0, 50.0, 1.0, 10.0, 30.0, 0.05, 99.0, 0.8},
    {"edge", 60.0, 30.0, 0.1, 1.0, 15.0, 0.01, 99.0, 0.8},
};

int vr_thresholds_by_name(const char *name, struct vr_thresholds *t, struct vr_errbuf *eb)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (strcmp(builtin[i].name, name) == 0) {
            *t = builtin[i];
            return 0;
        }
    }
    return vr_errbuf_set(eb, VR_EINVAL, "unknown threshold set \"%.32s\": use client or edge",
                         name);
}

const char *vr_site_verdict_name(enum vr_site_verdict v)
{
    switch (v) {
    case VR_VERDICT_READY:
        return "ready";
    case VR_VERDICT_AT_RISK:
        return "at_risk";
    case VR_VERDICT_NOT_READY:
        return "not_ready";
    case VR_VERDICT_SILENT:
        return "silent";
    }
    return "not_ready";
}

const char *vr_site_verdict_label(enum vr_site_verdict v)
{
    switch (v) {
    case VR_VERDICT_READY:
        return "Ready";
    case VR_VERDICT_AT_RISK:
        return "At risk";
    case VR_VERDICT_NOT_READY:
        return "Not ready";
    case VR_VERDICT_SILENT:
        return "Silent";
    }
    return "Not ready";
}

/* ---- wording ------------------------------------------------------------------------------- */

/* snprintf for text that may be cut at the end of its buffer on purpose (reasons are bounded). */
__attribute__((format(printf, 3, 4))) static void bprintf(char *buf, size_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

void vr_score_fmt_num(double v, char *buf, size_t len)
{
    double a = fabs(v);
    if (a >= 10.0)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 1.0)
        snprintf(buf, len, "%.2f", v);
    else if (a >= 0.001 || a == 0.0)
        snprintf(buf, len, "%.3f", v);
    else
        snprintf(buf, len, "%.2g", v);
    if (strchr(buf, '.') != NULL && strchr(buf, 'e') == NULL) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
}

/* "EF", or the number when the mark has no standard name. Writes into buf. */
static const char *mark_name(int dscp, char *buf, size_t len)
{
    const char *n = dscp >= 0 ? vr_dscp_name((unsigned)dscp) : NULL;
    if (n != NULL)
        return n;
    if (dscp < 0)
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%d", dscp);
    return buf;
}

static const char *metric_label(enum vr_metric m)
{
    switch (m) {
    case VR_METRIC_RTT:
        return "RTT";
    case VR_METRIC_OWD:
        return "one-way delay";
    case VR_METRIC_LOSS:
        return "loss";
    case VR_METRIC_BURST_LOSS:
        return "burst loss";
    case VR_METRIC_JITTER:
        return "jitter";
    case VR_METRIC_REORDER:
        return "reorder";
    case VR_METRIC_DSCP:
        return "DSCP";
    }
    return "?";
}

static const char *metric_unit(enum vr_metric m)
{
    switch (m) {
    case VR_METRIC_RTT:
    case VR_METRIC_OWD:
    case VR_METRIC_JITTER:
        return "ms";
    case VR_METRIC_LOSS:
    case VR_METRIC_BURST_LOSS:
    case VR_METRIC_REORDER:
    case VR_METRIC_DSCP:
        return "%";
    }
    return "";
}

/* " forward", " reverse", or for the round trip nothing (RTT is one by definition) except for
 * loss, where the total over both directions is worth saying. */
static const char *dir_suffix(enum vr_metric m, enum vr_dir d)
{
    switch (d) {
    case VR_DIR_FWD:
        return " forward";
    case VR_DIR_REV:
        return " reverse";
    case VR_DIR_ROUND:
        return m == VR_METRIC_LOSS ? " total" : "";
    }
    return "";
}

/* "loss 3.1 % forward" / "DSCP EF rewritten to CS0 on 100 % of packets, reverse" (with_share)
 * or "DSCP EF rewritten to CS0 reverse". */
static void fmt_finding(enum vr_metric m, enum vr_dir d, double value, int dscp, int dscp_seen,
                        bool with_share, bool with_dir, char *buf, size_t len)
{
    char num[32], m1[12], m2[12];
    if (m == VR_METRIC_DSCP) {
        const char *from = mark_name(dscp, m1, sizeof(m1));
        const char *to = mark_name(dscp_seen, m2, sizeof(m2));
        const char *ds = d == VR_DIR_FWD ? "forward" : d == VR_DIR_REV ? "reverse" : "both ways";
        if (with_share) {
            vr_score_fmt_num(100.0 - value, num, sizeof(num));
            bprintf(buf, len, "DSCP %s rewritten to %s on %s %% of packets, %s", from, to, num, ds);
        } else {
            bprintf(buf, len, "DSCP %s rewritten to %s %s", from, to, ds);
        }
        return;
    }
    vr_score_fmt_num(value, num, sizeof(num));
    bprintf(buf, len, "%s %s %s%s", metric_label(m), num, metric_unit(m),
            with_dir ? dir_suffix(m, d) : "");
}

/* ---- one interval -------------------------------------------------------------------------- */

enum vr_level vr_score_level(const struct vr_thresholds *t, enum vr_metric m, double value,
                             double threshold)
{
    /* a threshold that is not a positive finite number switches its metric off (custom sets) */
    if (!(threshold > 0.0) || !isfinite(threshold) || !isfinite(value))
        return VR_LEVEL_PASS;
    /* Burst loss is counted in whole packets of a 200 ms window (10 at 50 pps), so one isolated
     * loss is exactly 10 %: that is the threshold reached, not a burst. It fails only above. */
    bool fails = m == VR_METRIC_BURST_LOSS ? value > threshold : value >= threshold;
    if (fails)
        return VR_LEVEL_FAIL;
    if (t->warn_fraction > 0.0 && t->warn_fraction < 1.0 && value >= t->warn_fraction * threshold)
        return VR_LEVEL_WARN;
    return VR_LEVEL_PASS;
}

static void check(struct vr_finding *f, size_t *n, const struct vr_thresholds *t, enum vr_metric m,
                  enum vr_dir d, double value, double threshold)
{
    enum vr_level level = vr_score_level(t, m, value, threshold);
    if (level != VR_LEVEL_PASS)
        f[(*n)++] = (struct vr_finding){m, d, level, value, threshold, -1};
}

static enum vr_level level_of(const struct vr_finding *f, size_t n, enum vr_metric m, enum vr_dir d)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].metric == m && f[i].dir == d)
            return f[i].level;
    }
    return VR_LEVEL_PASS;
}

/* DSCP: the share preserved is judged only for marked classes and only when something arrived;
 * any shortfall is a fail, since a rewritten mark means voice loses its priority wherever the
 * link congests, whatever today's figures say. */
static void check_dscp(struct vr_finding *f, size_t *n, const struct vr_record *r,
                       const struct vr_thresholds *t, enum vr_dir d, const uint64_t counts[64])
{
    if (r->dscp <= 0 || r->dscp > 63 || !(t->dscp_preserved_pct > 0.0))
        return;
    double pct = vr_record_dscp_preserved_pct(counts, r->dscp);
    if (pct < 0.0 || pct >= t->dscp_preserved_pct)
        return;
    f[(*n)++] =
        (struct vr_finding){VR_METRIC_DSCP,        d,
                            VR_LEVEL_FAIL,         pct,
                            t->dscp_preserved_pct, vr_record_dscp_top_other(counts, r->dscp)};
}

static int finding_cmp(const void *a, const void *b)
{
    const struct vr_finding *x = a, *y = b;
    if (x->level != y->level)
        return x->level == VR_LEVEL_FAIL ? -1 : 1;
    if (x->metric != y->metric)
        return (int)x->metric - (int)y->metric;
    return (int)x->dir - (int)y->dir;
}

void vr_score_fmt_reason(const struct vr_finding *f, int dscp, bool with_dir, char *buf, size_t len)
{
    char what[VR_RECORD_REASON_LEN], thr[32];
    fmt_finding(f->metric, f->dir, f->value, dscp, f->dscp_seen, true, with_dir, what,
                sizeof(what));
    if (f->metric == VR_METRIC_DSCP) {
        bprintf(buf, len, "%s", what);
        return;
    }
    vr_score_fmt_num(f->threshold, thr, sizeof(thr));
    bprintf(buf, len, "%s%s (threshold %s %s)", f->level == VR_LEVEL_WARN ? "near threshold: " : "",
            what, thr, metric_unit(f->metric));
}

/* Intervals with sent == 0 carry no evidence either way (a stream that has not started, or a
 * run cut short): they are left at pass with no findings, and vr_verdict_acc_add skips them. */
size_t vr_score_interval(struct vr_record *r, const struct vr_thresholds *t, struct vr_finding *out,
                         size_t max)
{
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    size_t n = 0;
    r->verdict = VR_LEVEL_PASS;
    r->n_reasons = 0;
    if (r->sent == 0)
        return 0;

    check(f, &n, t, VR_METRIC_RTT, VR_DIR_ROUND, r->rtt_ms.mean, t->rtt_ms);
    /* one-way figures from unsynchronised clocks would mix an offset into the verdict */
    if (r->has_owd && r->clock_synced) {
        check(f, &n, t, VR_METRIC_OWD, VR_DIR_FWD, r->owd_fwd_ms.p50, t->owd_ms);
        check(f, &n, t, VR_METRIC_OWD, VR_DIR_REV, r->owd_rev_ms.p50, t->owd_ms);
    }
    check(f, &n, t, VR_METRIC_LOSS, VR_DIR_FWD, r->loss_fwd_pct, t->loss_pct);
    check(f, &n, t, VR_METRIC_LOSS, VR_DIR_REV, r->loss_rev_pct, t->loss_pct);
    {
        /* the total only when it says more than the directions: 0.6 % each way is 1.2 % */
        size_t before = n;
        check(f, &n, t, VR_METRIC_LOSS, VR_DIR_ROUND, r->loss_pct, t->loss_pct);
        enum vr_level fwd = level_of(f, before, VR_METRIC_LOSS, VR_DIR_FWD);
        enum vr_level rev = level_of(f, before, VR_METRIC_LOSS, VR_DIR_REV);
        if (n > before && (f[before].level <= fwd || f[before].level <= rev))
            n = before;
    }
    check(f, &n, t, VR_METRIC_BURST_LOSS, VR_DIR_ROUND, r->burst_loss_max_pct, t->burst_loss_pct);
    check(f, &n, t, VR_METRIC_JITTER, VR_DIR_FWD, r->jitter_fwd_ms, t->jitter_ms);
    check(f, &n, t, VR_METRIC_JITTER, VR_DIR_REV, r->jitter_rev_ms, t->jitter_ms);
    check(f, &n, t, VR_METRIC_REORDER, VR_DIR_ROUND, r->reorder_pct, t->reorder_pct);
    check_dscp(f, &n, r, t, VR_DIR_FWD, r->dscp_fwd);
    check_dscp(f, &n, r, t, VR_DIR_REV, r->dscp_rev);

    qsort(f, n, sizeof(f[0]), finding_cmp);
    for (size_t i = 0; i < n; i++) {
        if (f[i].level > r->verdict)
            r->verdict = f[i].level;
        if (r->n_reasons < VR_RECORD_MAX_REASONS)
            vr_score_fmt_reason(&f[i], r->dscp, true, r->reasons[r->n_reasons++],
                                VR_RECORD_REASON_LEN);
    }
    size_t k = out == NULL ? 0 : n < max ? n : max;
    if (k > 0)
        memcpy(out, f, k * sizeof(f[0]));
    return k;
}

/* ---- verdict over many intervals ----------------------------------------------------------- */

#define N_CLS  (VR_CLASS_COUNT + 1) /* the known classes and one slot for any other name */
#define N_DIR  3
#define N_LVL  2 /* 0 = fail, 1 = warn */
#define SET_MK 0 /* marked classes (dscp != 0) */
#define SET_BE 1 /* the unmarked control (dscp 0) */

struct set {
    uint64_t intervals, passed, failed, warned;
    double weight, weight_passed;
    bool marks_rewritten;
    uint64_t cls_intervals[N_CLS]; /* counted intervals per class: the reasons' denominators */
    struct vr_verdict_group g[N_CLS][VR_METRIC_COUNT][N_DIR][N_LVL];
};

/* The slot of class name cls: its enum vr_class, or the last one for any other name. */
static size_t cls_slot(const char *cls)
{
    enum vr_class c;
    return vr_class_by_name(cls, &c) == 0 ? (size_t)c : VR_CLASS_COUNT;
}

struct vr_verdict_acc {
    struct set s[2];
};

struct vr_verdict_acc *vr_verdict_acc_new(void)
{
    return calloc(1, sizeof(struct vr_verdict_acc));
}

void vr_verdict_acc_free(struct vr_verdict_acc *acc)
{
    free(acc);
}

double vr_finding_severity(const struct vr_finding *f)
{
    if (f->metric == VR_METRIC_DSCP) {
        /* share rewritten against share allowed: 100 % rewritten at 99 % is 100 */
        double allowed = 100.0 - f->threshold;
        return (100.0 - f->value) / (allowed > 0.01 ? allowed : 0.01);
    }
    return f->threshold > 0.0 ? f->value / f->threshold : f->value;
}

void vr_verdict_step_of(struct vr_verdict_step *out, const struct vr_record *r,
                        const struct vr_finding *f, size_t nf, double weight)
{
    memset(out, 0, sizeof(*out));
    /* nothing sent: not judged (vr_score_interval); no weight: not counted */
    if (r->sent == 0 || !(weight > 0.0) || !isfinite(weight))
        return;
    out->counted = true;
    out->marked = r->dscp != 0;

    enum vr_level worst = r->verdict;
    bool seen[VR_METRIC_COUNT][N_DIR][N_LVL] = {{{false}}};
    for (size_t i = 0; i < nf; i++) {
        const struct vr_finding *x = &f[i];
        if (x->level == VR_LEVEL_PASS || (unsigned)x->metric >= VR_METRIC_COUNT ||
            (unsigned)x->dir >= N_DIR)
            continue;
        if (x->level > worst)
            worst = x->level;
        size_t li = x->level == VR_LEVEL_FAIL ? 0 : 1;
        if (seen[x->metric][x->dir][li] || out->n_groups >= VR_SCORE_MAX_FINDINGS)
            continue;
        seen[x->metric][x->dir][li] = true;
        if (x->metric == VR_METRIC_DSCP && x->level == VR_LEVEL_FAIL)
            out->counts.marks_rewritten = true;
        vr_verdict_group_from_finding(&out->groups[out->n_groups++], r, x);
    }

    struct vr_verdict_counts *c = &out->counts;
    c->intervals = 1;
    c->weight = weight;
    if (worst == VR_LEVEL_FAIL) {
        c->failed = 1;
    } else {
        /* a warn is a pass with a note */
        c->passed = 1;
        c->weight_passed = weight;
        c->warned = worst == VR_LEVEL_WARN ? 1 : 0;
    }
}

void vr_verdict_acc_add(struct vr_verdict_acc *acc, const struct vr_record *r,
                        const struct vr_finding *f, size_t nf, double weight)
{
    struct vr_verdict_step st;
    vr_verdict_step_of(&st, r, f, nf, weight);
    if (!st.counted)
        return;
    vr_verdict_acc_add_counts(acc, st.marked, &st.counts);
    vr_verdict_acc_add_class(acc, st.marked, r->cls, st.counts.intervals);
    for (size_t i = 0; i < st.n_groups; i++)
        vr_verdict_acc_add_group(acc, st.marked, &st.groups[i]);
}

void vr_verdict_acc_reset(struct vr_verdict_acc *acc)
{
    memset(acc, 0, sizeof(*acc));
}

void vr_verdict_acc_add_counts(struct vr_verdict_acc *acc, bool marked,
                               const struct vr_verdict_counts *c)
{
    struct set *s = &acc->s[marked ? SET_MK : SET_BE];
    s->intervals += c->intervals;
    s->passed += c->passed;
    s->failed += c->failed;
    s->warned += c->warned;
    s->weight += c->weight;
    s->weight_passed += c->weight_passed;
    s->marks_rewritten |= c->marks_rewritten;
}

void vr_verdict_acc_add_class(struct vr_verdict_acc *acc, bool marked, const char *cls,
                              uint64_t intervals)
{
    acc->s[marked ? SET_MK : SET_BE].cls_intervals[cls_slot(cls)] += intervals;
}

void vr_verdict_acc_add_group(struct vr_verdict_acc *acc, bool marked,
                              const struct vr_verdict_group *x)
{
    if (x->count == 0 || x->level == VR_LEVEL_PASS || (unsigned)x->metric >= VR_METRIC_COUNT ||
        (unsigned)x->dir >= N_DIR)
        return;
    size_t ci = cls_slot(x->cls);
    size_t li = x->level == VR_LEVEL_FAIL ? 0 : 1;
    vr_verdict_group_merge(&acc->s[marked ? SET_MK : SET_BE].g[ci][x->metric][x->dir][li], x);
}

void vr_verdict_group_from_finding(struct vr_verdict_group *g, const struct vr_record *r,
                                   const struct vr_finding *f)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->cls, sizeof(g->cls), "%.*s", (int)sizeof(g->cls) - 1, r->cls);
    g->metric = f->metric;
    g->dir = f->dir;
    g->level = f->level;
    g->count = 1;
    g->worst = f->value;
    g->severity = vr_finding_severity(f);
    g->first_start_ns = r->start_wall_ns;
    g->last_end_ns = r->start_wall_ns;
    if (isfinite(r->duration_s) && r->duration_s > 0.0)
        g->last_end_ns += (uint64_t)(r->duration_s * 1e9);
    g->dscp = r->dscp;
    g->dscp_seen = f->dscp_seen;
    g->episodes = 1;
    g->first_end_ns = g->worst_end_ns = g->last_end_ns;
    g->last_start_ns = g->worst_start_ns = g->first_start_ns;
    g->step_ns = g->last_end_ns - g->first_start_ns;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* A group without episode fields (built by hand, or a row of an old database that knew only
 * the span) is one episode over its whole span. */
static void group_norm(struct vr_verdict_group *g)
{
    if (g->episodes > 0)
        return;
    g->episodes = 1;
    g->first_end_ns = g->worst_end_ns = g->last_end_ns;
    g->last_start_ns = g->worst_start_ns = g->first_start_ns;
}

void vr_verdict_group_merge(struct vr_verdict_group *into, const struct vr_verdict_group *part)
{
    if (part->count == 0)
        return;
    struct vr_verdict_group gn = *part;
    const struct vr_verdict_group *g = &gn;
    group_norm(&gn);
    if (into->count == 0) {
        *into = gn;
        return;
    }
    group_norm(into);
    /* a and b: the two parts in time order (into first on ties) */
    const struct vr_verdict_group *a = into, *b = g;
    if (g->first_start_ns < into->first_start_ns) {
        a = g;
        b = into;
    }
    struct vr_verdict_group r = *into;
    uint64_t step = max_u64(a->step_ns, b->step_ns);
    /* the worst value: the more severe; on ties the earlier, so that parts merged in any order
     * name the same worst episode */
    const struct vr_verdict_group *w = g->severity > into->severity   ? g
                                       : into->severity > g->severity ? into
                                                                      : a;
    r.severity = w->severity;
    r.worst = w->worst;
    r.dscp = w->dscp;
    r.dscp_seen = w->dscp_seen;
    r.worst_start_ns = w->worst_start_ns;
    r.worst_end_ns = w->worst_end_ns;

    r.first_start_ns = a->first_start_ns;
    r.first_end_ns = a->first_end_ns;
    r.last_end_ns = max_u64(a->last_end_ns, b->last_end_ns);
    r.last_start_ns = b->last_end_ns >= a->last_end_ns ? b->last_start_ns : a->last_start_ns;
    r.episodes = a->episodes + b->episodes;
    if (b->first_start_ns <= a->last_end_ns + step / 2) {
        /* b's first episode continues a's latest: one episode m */
        uint64_t m0 = min_u64(a->last_start_ns, b->first_start_ns);
        uint64_t m1 = max_u64(a->last_end_ns, b->first_end_ns);
        r.episodes--;
        if (a->episodes == 1)
            r.first_end_ns = m1;
        if (b->episodes == 1 || b->last_end_ns <= m1) {
            /* b ends inside m: all of it is in m */
            r.episodes = a->episodes;
            r.last_start_ns = m0;
            m1 = r.last_end_ns;
        }
        /* the worst episode was one of the two joined: it is m now */
        if (w->worst_start_ns >= m0 && w->worst_start_ns <= m1) {
            r.worst_start_ns = m0;
            r.worst_end_ns = m1;
        }
    }
    r.count = into->count + g->count;
    r.step_ns = step;
    *into = r;
}

/* "14:05–14:20 UTC": from the first interval's start to the last one's end; with seconds when
 * both fall in one minute ("13:51:00–13:51:10 UTC"), so that a range never collapses; with
 * dates when it crosses midnight. */
static void fmt_span(uint64_t from_ns, uint64_t to_ns, char *buf, size_t len)
{
    time_t a = (time_t)(from_ns / 1000000000u), b = (time_t)(to_ns / 1000000000u);
    struct tm ta, tb;
    if (gmtime_r(&a, &ta) == NULL || gmtime_r(&b, &tb) == NULL) {
        snprintf(buf, len, "unknown time");
        return;
    }
    char sa[24], sb[24];
    bool one_day = ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
    bool one_minute = one_day && ta.tm_hour == tb.tm_hour && ta.tm_min == tb.tm_min;
    const char *f = one_minute ? "%H:%M:%S" : one_day ? "%H:%M" : "%Y-%m-%d %H:%M";
    strftime(sa, sizeof(sa), f, &ta);
    strftime(sb, sizeof(sb), f, &tb);
    bprintf(buf, len, "%s\xe2\x80\x93%s UTC", sa, sb); /* en dash */
}

struct gref {
    const struct vr_verdict_group *g;
    enum vr_metric m;
    enum vr_dir d;
};

static int gref_cmp(const void *a, const void *b)
{
    const struct gref *x = a, *y = b;
    if (x->g->count != y->g->count)
        return x->g->count > y->g->count ? -1 : 1;
    if (x->g->severity != y->g->severity)
        return x->g->severity > y->g->severity ? -1 : 1;
    return (int)x->m - (int)y->m; /* stable across platforms: metric order of score.h */
}

/* Collects the groups of one level, most frequent first. Returns the count. */
static size_t sorted_groups(const struct set *s, size_t li, struct gref *out)
{
    size_t n = 0;
    for (size_t c = 0; c < N_CLS; c++) {
        for (size_t m = 0; m < VR_METRIC_COUNT; m++) {
            for (size_t d = 0; d < N_DIR; d++) {
                const struct vr_verdict_group *g = &s->g[c][m][d][li];
                if (g->count > 0)
                    out[n++] = (struct gref){g, (enum vr_metric)m, (enum vr_dir)d};
            }
        }
    }
    qsort(out, n, sizeof(out[0]), gref_cmp);
    return n;
}

/* One reason: "<what>, <class>, <range>, <n> of <m> <class> intervals", the range being that of
 * the one episode, or "<k> episodes, worst <range>, latest <range>" (or "worst and latest"). of:
 * the counted intervals of the group's class. */
static void fmt_group(const struct gref *r, uint64_t of, const char *prefix, char *buf, size_t len)
{
    const struct vr_verdict_group *g = r->g;
    char what[VR_RECORD_REASON_LEN], when[160], worst[64], latest[64];
    fmt_finding(r->m, r->d, g->worst, g->dscp, g->dscp_seen, false, true, what, sizeof(what));
    if (g->episodes <= 1) {
        fmt_span(g->first_start_ns, g->last_end_ns, when, sizeof(when));
    } else {
        fmt_span(g->last_start_ns, g->last_end_ns, latest, sizeof(latest));
        if (g->worst_start_ns == g->last_start_ns) {
            bprintf(when, sizeof(when), "%llu episodes, worst and latest %s",
                    (unsigned long long)g->episodes, latest);
        } else {
            fmt_span(g->worst_start_ns, g->worst_end_ns, worst, sizeof(worst));
            bprintf(when, sizeof(when), "%llu episodes, worst %s, latest %s",
                    (unsigned long long)g->episodes, worst, latest);
        }
    }
    /* a store whose class sums lag its groups must not print "17 of 12" */
    if (of < g->count)
        of = g->count;
    bprintf(buf, len, "%s%s, %s, %s, %llu of %llu %s intervals", prefix, what, g->cls, when,
            (unsigned long long)g->count, (unsigned long long)of, g->cls);
}

#define MAX_GROUPS (N_CLS * VR_METRIC_COUNT * N_DIR)

void vr_verdict_acc_result(const struct vr_verdict_acc *acc, struct vr_verdict *out)
{
    memset(out, 0, sizeof(*out));
    /* the unmarked control counts only when it is all there is */
    bool be_counted = acc->s[SET_MK].intervals == 0;
    const struct set *s = &acc->s[be_counted ? SET_BE : SET_MK];
    const struct set *be = be_counted ? NULL : &acc->s[SET_BE];

    out->intervals = s->intervals;
    out->passed = s->passed;
    out->failed = s->failed;
    out->warned = s->warned;
    out->marks_rewritten = s->marks_rewritten;
    out->score_pct = s->weight > 0.0 ? s->weight_passed / s->weight * 100.0 : 100.0;
    /* 99 of 100 must not miss 99 % by a rounding error */
    const double eps = 1e-9;
    if (out->score_pct >= 99.0 - eps && !out->marks_rewritten)
        out->verdict = VR_VERDICT_READY;
    else if (out->score_pct >= 95.0 - eps)
        out->verdict = VR_VERDICT_AT_RISK;
    else
        out->verdict = VR_VERDICT_NOT_READY;

    struct gref gs[MAX_GROUPS];
    bool be_note = be != NULL && be->failed > 0;
    size_t room = VR_VERDICT_MAX_REASONS - (be_note ? 1 : 0);
    size_t n = sorted_groups(s, 0, gs);
    for (size_t i = 0; i < n && out->n_reasons < room; i++)
        fmt_group(&gs[i], s->cls_intervals[cls_slot(gs[i].g->cls)], "",
                  out->reasons[out->n_reasons++], sizeof(out->reasons[0]));
    if (n == 0) {
        size_t nw = sorted_groups(s, 1, gs);
        if (nw > 0)
            fmt_group(&gs[0], s->cls_intervals[cls_slot(gs[0].g->cls)],
                      "near threshold: ", out->reasons[out->n_reasons++], sizeof(out->reasons[0]));
    }
    if (be_note) {
        char what[VR_RECORD_REASON_LEN] = "";
        size_t nb = sorted_groups(be, 0, gs);
        if (nb > 0)
            fmt_finding(gs[0].m, gs[0].d, gs[0].g->worst, gs[0].g->dscp, gs[0].g->dscp_seen, false,
                        true, what, sizeof(what));
        bprintf(out->reasons[out->n_reasons++], sizeof(out->reasons[0]),
                "besteffort (unmarked control) failed %llu of %llu intervals%s%s "
                "\xe2\x80\x94 what voice would see without QoS",
                (unsigned long long)be->failed, (unsigned long long)be->intervals,
                nb > 0 ? ": " : "", what);
    }
}

void vr_verdict_apply_capacity(struct vr_verdict *v, enum vr_capacity_status status,
                               const char *reason)
{
    int level = vr_capacity_status_level(status);
    if (v->intervals == 0 || level == 0)
        return;
    size_t at = v->n_reasons; /* after the interval reasons, unless the rule decides the verdict */
    if (level >= (int)v->verdict)
        at = 0;
    if ((int)v->verdict < level)
        v->verdict = (enum vr_site_verdict)level;
    if (at >= VR_VERDICT_MAX_REASONS)
        return;
    size_t n = v->n_reasons < VR_VERDICT_MAX_REASONS ? v->n_reasons : VR_VERDICT_MAX_REASONS - 1;
    memmove(v->reasons[at + 1], v->reasons[at], (n - at) * sizeof(v->reasons[0]));
    snprintf(v->reasons[at], sizeof(v->reasons[at]), "%s", reason);
    v->n_reasons = n + 1;
}

/* ---- liveness -------------------------------------------------------------------------------- */

const char *vr_liveness_name(enum vr_liveness l)
{
    switch (l) {
    case VR_LIVENESS_LIVE:
        return "live";
    case VR_LIVENESS_SILENT:
        return "silent";
    case VR_LIVENESS_NEVER_REPORTED:
        return "never_reported";
    }
    return "silent";
}

enum vr_liveness vr_liveness_of(uint64_t last_upload_ns, uint64_t now_ns, uint64_t silent_after_ns)
{
    if (last_upload_ns == 0)
        return VR_LIVENESS_NEVER_REPORTED;
    if (silent_after_ns == 0)
        silent_after_ns = VR_LIVENESS_DEFAULT_SILENT_AFTER_NS;
    /* an upload stamped after now (a query with an older "now") is live */
    return now_ns > last_upload_ns && now_ns - last_upload_ns > silent_after_ns ? VR_LIVENESS_SILENT
                                                                                : VR_LIVENESS_LIVE;
}

void vr_liveness_fmt_age(uint64_t age_ns, char *buf, size_t len)
{
    uint64_t s = age_ns / 1000000000ull;
    if (s < 60)
        snprintf(buf, len, "%llu s", (unsigned long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
    else if (s < 48 * 3600) /* "30 h" reads better than "1 days" */
        snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
    else
        snprintf(buf, len, "%llu days", (unsigned long long)(s / 86400));
}

void vr_liveness_fmt_reason(uint64_t last_ns, uint64_t now_ns, char *buf, size_t len)
{
    time_t a = (time_t)(last_ns / 1000000000ull), b = (time_t)(now_ns / 1000000000ull);
    struct tm ta, tb;
    char when[40] = "?", age[32];
    if (gmtime_r(&a, &ta) != NULL && gmtime_r(&b, &tb) != NULL) {
        bool today = ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
        strftime(when, sizeof(when), today ? "%H:%M" : "%Y-%m-%d %H:%M", &ta);
    }
    vr_liveness_fmt_age(now_ns > last_ns ? now_ns - last_ns : 0, age, sizeof(age));
    bprintf(buf, len, "no results since %s UTC, %s ago", when, age);
}

/* reason goes first; the last one is dropped when they are full */
static void reason_first(struct vr_verdict *v, const char *reason)
{
    size_t n = v->n_reasons < VR_VERDICT_MAX_REASONS ? v->n_reasons : VR_VERDICT_MAX_REASONS - 1;
    memmove(v->reasons[1], v->reasons[0], n * sizeof(v->reasons[0]));
    snprintf(v->reasons[0], sizeof(v->reasons[0]), "%s", reason);
    v->n_reasons = n + 1;
}

enum vr_liveness vr_verdict_apply_liveness(struct vr_verdict *v, uint64_t last_upload_ns,
                                           uint64_t now_ns, uint64_t silent_after_ns)
{
    enum vr_liveness l = vr_liveness_of(last_upload_ns, now_ns, silent_after_ns);
    char reason[sizeof(v->reasons[0])];
    switch (l) {
    case VR_LIVENESS_LIVE:
        break;
    case VR_LIVENESS_SILENT:
        v->verdict = VR_VERDICT_SILENT;
        vr_liveness_fmt_reason(last_upload_ns, now_ns, reason, sizeof(reason));
        reason_first(v, reason);
        break;
    case VR_LIVENESS_NEVER_REPORTED:
        reason_first(v, "never reported");
        break;
    }
    return l;
}
