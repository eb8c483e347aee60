#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#include "render.h"

/* request duration buckets, seconds (Prometheus histogram, cumulative on output) */
static const double latency_buckets_s[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
#define N_BUCKETS (sizeof(latency_buckets_s) / sizeof(latency_buckets_s[0]))

static const unsigned reject_statuses[] = {400, 401, 403, 404, 405, 413, 415, 500, 503};
#define N_REJECT (sizeof(reject_statuses) / sizeof(reject_statuses[0]))

#define SLOTS (2 * VR_METRICS_MAX_SERIES) /* a power of two, at most half full */

struct latest {
    char site[64];
    char cls[16];
    char target[128];
    uint64_t start_wall_ns;
    int dscp;
    double loss_fwd_pct, loss_rev_pct, loss_pct;
    double jitter_fwd_ms, jitter_rev_ms;
    struct vr_quantiles rtt_ms;
    double mos;
    double dscp_fwd_pct, dscp_rev_pct; /* -1 when nothing was received */
};

struct vr_metrics {
    uint64_t ingested, duplicates, rejected_records;
    uint64_t rejected[N_REJECT];
    uint64_t rejected_other;
    uint64_t latency_count[N_BUCKETS + 1]; /* last = +Inf, not cumulative here */
    double latency_sum_s;
    uint64_t series_dropped;
    struct latest *latest;
    size_t n_latest;
    /* index of latest by (site, class, target): open addressing, entry + 1, 0 = free. Every
     * stored interval looks its series up under the store's lock; a linear scan over 1,000 sites
     * there was a tenth of the ingest path's serial time */
    uint32_t slot[SLOTS];
};

struct vr_metrics *vr_metrics_new(void)
{
    struct vr_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->latest = calloc(VR_METRICS_MAX_SERIES, sizeof(*m->latest));
    if (m->latest == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void vr_metrics_free(struct vr_metrics *m)
{
    if (m == NULL)
        return;
    free(m->latest);
    free(m);
}

void vr_metrics_count_ingest(struct vr_metrics *m, uint64_t stored, uint64_t duplicates)
{
    m->ingested += stored;
    m->duplicates += duplicates;
}

void vr_metrics_count_rejected_records(struct vr_metrics *m, uint64_t lines)
{
    m->rejected_records += lines;
}

void vr_metrics_count_reject(struct vr_metrics *m, unsigned status)
{
    for (size_t i = 0; i < N_REJECT; i++) {
        if (reject_statuses[i] == status) {
            m->rejected[i]++;
            return;
        }
    }
    m->rejected_other++;
}

void vr_metrics_totals(const struct vr_metrics *m, struct vr_metrics_totals *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i <= N_BUCKETS; i++)
        out->requests += m->latency_count[i];
    out->stored = m->ingested;
    out->duplicates = m->duplicates;
    out->rejected_records = m->rejected_records;
    for (size_t i = 0; i < N_REJECT; i++)
        out->refused += m->rejected[i];
    out->refused += m->rejected_other;
}

void vr_metrics_observe_request(struct vr_metrics *m, uint64_t duration_ns)
{
    double s = (double)duration_ns / 1e9;
    size_t i = 0;
    while (i < N_BUCKETS && s > latency_buckets_s[i])
        i++;
    m->latency_count[i]++;
    m->latency_sum_s += s;
}

/* FNV-1a over the series key (the entry's fields are as large as the record's) */
static size_t series_hash(const struct vr_record *r)
{
    const char *part[] = {r->site, r->cls, r->target};
    uint64_t h = VR_HASH_FNV1A64_INIT;
    for (size_t k = 0; k < 3; k++)
        h = vr_hash_fnv1a64_add(h, part[k], strlen(part[k]) + 1); /* the NUL separates parts */
    return (size_t)h;
}

void vr_metrics_note_interval(struct vr_metrics *m, const struct vr_record *r)
{
    if (r->type != VR_RECORD_INTERVAL)
        return;
    struct latest *e = NULL;
    size_t h = series_hash(r) & (SLOTS - 1);
    for (; m->slot[h] != 0; h = (h + 1) & (SLOTS - 1)) {
        struct latest *x = &m->latest[m->slot[h] - 1];
        if (strcmp(x->site, r->site) == 0 && strcmp(x->cls, r->cls) == 0 &&
            strcmp(x->target, r->target) == 0) {
            e = x;
            break;
        }
    }
    if (e == NULL) {
        if (m->n_latest >= VR_METRICS_MAX_SERIES) {
            m->series_dropped++;
            return;
        }
        e = &m->latest[m->n_latest++];
        m->slot[h] = (uint32_t)m->n_latest;
        memset(e, 0, sizeof(*e));
        snprintf(e->site, sizeof(e->site), "%s", r->site);
        snprintf(e->cls, sizeof(e->cls), "%s", r->cls);
        snprintf(e->target, sizeof(e->target), "%s", r->target);
    } else if (r->start_wall_ns < e->start_wall_ns) {
        return; /* an older record uploaded late: keep the newest */
    }
    e->start_wall_ns = r->start_wall_ns;
    e->dscp = r->dscp;
    e->loss_fwd_pct = r->loss_fwd_pct;
    e->loss_rev_pct = r->loss_rev_pct;
    e->loss_pct = r->loss_pct;
    e->jitter_fwd_ms = r->jitter_fwd_ms;
    e->jitter_rev_ms = r->jitter_rev_ms;
    e->rtt_ms = r->rtt_ms;
    e->mos = r->mos;
    e->dscp_fwd_pct = vr_record_dscp_preserved_pct(r->dscp_fwd, r->dscp);
    e->dscp_rev_pct = vr_record_dscp_preserved_pct(r->dscp_rev, r->dscp);
}

/* growable output buffer; `failed` sticks so that callers check once at the end */
struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n + 1;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* Prometheus label value escaping: backslash, double quote and newline. */
static void label(struct buf *b, const char *s)
{
    char tmp[2 * 128 + 1];
    size_t o = 0;
    for (size_t i = 0; s[i] != '\0' && o + 2 < sizeof(tmp); i++) {
        if (s[i] == '\\' || s[i] == '"') {
            tmp[o++] = '\\';
            tmp[o++] = s[i];
        } else if (s[i] == '\n') {
            tmp[o++] = '\\';
            tmp[o++] = 'n';
        } else {
            tmp[o++] = s[i];
        }
    }
    tmp[o] = '\0';
    bprintf(b, "%s", tmp);
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Site gauges from the site list; a site without data has no sample (a gap, not a zero),
 * except a silent one: its verdict is 3 whether or not the window still holds intervals. */
static void site_series(struct buf *b, const struct vr_store_site_list *l)
{
    head(b, "voiceready_site_verdict", "gauge",
         "Site verdict: 0 ready, 1 at risk, 2 not ready, 3 silent (no sample: no data).");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        if (s->verdict.intervals == 0 && s->verdict.verdict != VR_VERDICT_SILENT)
            continue;
        bprintf(b, "voiceready_site_verdict{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %d\n", (int)s->verdict.verdict);
    }
    head(b, "voiceready_site_silent", "gauge",
         "1 when the site has not reported within its silent_after (or never has), else 0.");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        bprintf(b, "voiceready_site_silent{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %d\n", s->liveness != VR_LIVENESS_LIVE);
    }
    head(b, "voiceready_site_last_upload_timestamp_seconds", "gauge",
         "Unix time the collector received the site's latest upload (no sample: never).");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        if (s->last_upload_wall_ns == 0)
            continue;
        bprintf(b, "voiceready_site_last_upload_timestamp_seconds{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %.3f\n", (double)s->last_upload_wall_ns / 1e9);
    }
    head(b, "voiceready_site_score_pct", "gauge", "Weighted share of passing intervals, percent.");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        double sc = vr_render_round(s->verdict.score_pct);
        if (s->verdict.intervals == 0 || !isfinite(sc))
            continue;
        bprintf(b, "voiceready_site_score_pct{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %.17g\n", sc);
    }
    head(b, "voiceready_site_planned_peak_calls", "gauge",
         "Planned peak of concurrent calls with growth (sites with a plan).");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        if (!s->capacity.planned)
            continue;
        bprintf(b, "voiceready_site_planned_peak_calls{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %lld\n", (long long)s->capacity.plan.planned_calls);
    }
    head(b, "voiceready_site_capacity_calls", "gauge",
         "Latest measured call capacity (smallest over the site's targets).");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        if (!s->capacity.measured)
            continue;
        bprintf(b, "voiceready_site_capacity_calls{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %lld\n", (long long)s->capacity.calls);
    }
    head(b, "voiceready_site_intervals", "gauge", "Intervals counted in the scoring window.");
    for (size_t i = 0; i < l->n; i++) {
        const struct vr_store_site_summary *s = &l->sites[i];
        bprintf(b, "voiceready_site_intervals{site=\"");
        label(b, s->site);
        bprintf(b, "\"} %.17g\n", (double)s->verdict.intervals);
    }
}

static void agent_labels(struct buf *b, const char *name, const struct vr_store_agent *a)
{
    bprintf(b, "%s{site=\"", name);
    label(b, a->site);
    bprintf(b, "\",agent=\"");
    label(b, a->agent);
    bprintf(b, "\"}");
}

/* What each agent said of itself in its latest upload (rec_agent.h), and when it came. */
static void agent_series(struct buf *b, const struct vr_store_agent *a, size_t n)
{
    head(b, "voiceready_agent_last_upload_timestamp_seconds", "gauge",
         "Unix time the collector received the agent's latest upload.");
    for (size_t i = 0; i < n; i++) {
        if (a[i].last_upload_wall_ns == 0)
            continue;
        agent_labels(b, "voiceready_agent_last_upload_timestamp_seconds", &a[i]);
        bprintf(b, " %.3f\n", (double)a[i].last_upload_wall_ns / 1e9);
    }
    head(b, "voiceready_agent_spool_records", "gauge",
         "Records waiting in the agent's spool, as of its latest upload.");
    for (size_t i = 0; i < n; i++) {
        agent_labels(b, "voiceready_agent_spool_records", &a[i]);
        bprintf(b, " %llu\n", (unsigned long long)a[i].spool_records);
    }
    head(b, "voiceready_agent_quarantined_records", "gauge",
         "Records the collector refused, kept in the agent's quarantine (not retried).");
    for (size_t i = 0; i < n; i++) {
        agent_labels(b, "voiceready_agent_quarantined_records", &a[i]);
        bprintf(b, " %llu\n", (unsigned long long)a[i].quarantined);
    }
}

static void series_labels(struct buf *b, const struct latest *e)
{
    bprintf(b, "site=\"");
    label(b, e->site);
    bprintf(b, "\",class=\"");
    label(b, e->cls);
    bprintf(b, "\",target=\"");
    label(b, e->target);
    bprintf(b, "\"");
}

static void latest_series(struct buf *b, const struct vr_metrics *m)
{
    head(b, "voiceready_loss_pct", "gauge", "Loss of the latest interval, percent, per direction.");
    for (size_t i = 0; i < m->n_latest; i++) {
        const struct latest *e = &m->latest[i];
        static const char *const dirs[] = {"fwd", "rev", "both"};
        const double v[] = {e->loss_fwd_pct, e->loss_rev_pct, e->loss_pct};
        for (size_t d = 0; d < 3; d++) {
            bprintf(b, "voiceready_loss_pct{");
            series_labels(b, e);
            bprintf(b, ",direction=\"%s\"} %.17g\n", dirs[d], v[d]);
        }
    }
    head(b, "voiceready_jitter_ms", "gauge", "RFC 3550 jitter of the latest interval, ms.");
    for (size_t i = 0; i < m->n_latest; i++) {
        const struct latest *e = &m->latest[i];
        bprintf(b, "voiceready_jitter_ms{");
        series_labels(b, e);
        bprintf(b, ",direction=\"fwd\"} %.17g\nvoiceready_jitter_ms{", e->jitter_fwd_ms);
        series_labels(b, e);
        bprintf(b, ",direction=\"rev\"} %.17g\n", e->jitter_rev_ms);
    }
    head(b, "voiceready_rtt_ms", "gauge", "RTT of the latest interval, ms, by quantile.");
    for (size_t i = 0; i < m->n_latest; i++) {
        const struct latest *e = &m->latest[i];
        static const char *const q[] = {"0", "0.5", "0.95", "0.99", "1"};
        const double v[] = {e->rtt_ms.min, e->rtt_ms.p50, e->rtt_ms.p95, e->rtt_ms.p99,
                            e->rtt_ms.max};
        for (size_t k = 0; k < 5; k++) {
            bprintf(b, "voiceready_rtt_ms{");
            series_labels(b, e);
            bprintf(b, ",quantile=\"%s\"} %.17g\n", q[k], v[k]);
        }
    }
    head(b, "voiceready_rtt_mean_ms", "gauge", "Mean RTT of the latest interval, ms.");
    for (size_t i = 0; i < m->n_latest; i++) {
        bprintf(b, "voiceready_rtt_mean_ms{");
        series_labels(b, &m->latest[i]);
        bprintf(b, "} %.17g\n", m->latest[i].rtt_ms.mean);
    }
    head(b, "voiceready_mos", "gauge", "E-model MOS of the latest interval.");
    for (size_t i = 0; i < m->n_latest; i++) {
        bprintf(b, "voiceready_mos{");
        series_labels(b, &m->latest[i]);
        bprintf(b, "} %.17g\n", m->latest[i].mos);
    }
    head(b, "voiceready_dscp_preserved_pct", "gauge",
         "Share of packets of the latest interval that kept the class's DSCP, percent.");
    for (size_t i = 0; i < m->n_latest; i++) {
        const struct latest *e = &m->latest[i];
        if (e->dscp_fwd_pct >= 0) {
            bprintf(b, "voiceready_dscp_preserved_pct{");
            series_labels(b, e);
            bprintf(b, ",direction=\"fwd\",dscp=\"%d\"} %.17g\n", e->dscp, e->dscp_fwd_pct);
        }
        if (e->dscp_rev_pct >= 0) {
            bprintf(b, "voiceready_dscp_preserved_pct{");
            series_labels(b, e);
            bprintf(b, ",direction=\"rev\",dscp=\"%d\"} %.17g\n", e->dscp, e->dscp_rev_pct);
        }
    }
}

static void own_counters(struct buf *b, const struct vr_metrics *m)
{
    head(b, "voiceready_collector_records_ingested_total", "counter",
         "Records stored (new) since start.");
    bprintf(b, "voiceready_collector_records_ingested_total %llu\n",
            (unsigned long long)m->ingested);
    head(b, "voiceready_collector_duplicates_total", "counter",
         "Records acknowledged as already stored since start.");
    bprintf(b, "voiceready_collector_duplicates_total %llu\n", (unsigned long long)m->duplicates);
    head(
        b, "voiceready_collector_records_rejected_total", "counter",
        "Records (lines of an upload) refused one by one since start; the agent quarantines them.");
    bprintf(b, "voiceready_collector_records_rejected_total %llu\n",
            (unsigned long long)m->rejected_records);
    head(b, "voiceready_collector_requests_rejected_total", "counter",
         "Requests answered with an error status since start.");
    for (size_t i = 0; i < N_REJECT; i++)
        bprintf(b, "voiceready_collector_requests_rejected_total{status=\"%u\"} %llu\n",
                reject_statuses[i], (unsigned long long)m->rejected[i]);
    bprintf(b, "voiceready_collector_requests_rejected_total{status=\"other\"} %llu\n",
            (unsigned long long)m->rejected_other);
    head(b, "voiceready_collector_metric_series_dropped_total", "counter",
         "Latest-interval series not kept because the table was full.");
    bprintf(b, "voiceready_collector_metric_series_dropped_total %llu\n",
            (unsigned long long)m->series_dropped);
    head(b, "voiceready_collector_request_duration_seconds", "histogram",
         "Time from request headers to response, seconds.");
    uint64_t cum = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cum += m->latency_count[i];
        bprintf(b, "voiceready_collector_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                latency_buckets_s[i], (unsigned long long)cum);
    }
    cum += m->latency_count[N_BUCKETS];
    bprintf(b, "voiceready_collector_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
            (unsigned long long)cum);
    bprintf(b, "voiceready_collector_request_duration_seconds_sum %.9f\n", m->latency_sum_s);
    bprintf(b, "voiceready_collector_request_duration_seconds_count %llu\n",
            (unsigned long long)cum);
}

int vr_metrics_render(struct vr_metrics *m, struct vr_store *store, uint64_t now_wall_ns,
                      uint64_t window_ns, char **out, size_t *out_len, struct vr_errbuf *eb)
{
    struct vr_store_site_list *sites = NULL;
    int rc = vr_store_sites(store, now_wall_ns, window_ns, &sites, eb);
    if (rc < 0)
        return rc;
    struct buf b = {.p = malloc(16384), .cap = 16384};
    if (b.p == NULL) {
        vr_store_site_list_free(sites);
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    }
    site_series(&b, sites);
    vr_store_site_list_free(sites);
    struct vr_store_agent *agents = NULL;
    size_t n_agents = 0;
    if ((rc = vr_store_agents(store, now_wall_ns, &agents, &n_agents, eb)) < 0) {
        free(b.p);
        return rc;
    }
    agent_series(&b, agents, n_agents);
    vr_store_agents_free(agents);
    latest_series(&b, m);
    own_counters(&b, m);
    if (b.failed) {
        free(b.p);
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    }
    *out = b.p;
    *out_len = b.len;
    return 0;
}
