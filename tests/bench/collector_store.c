/* collector_store: ingest and query benchmark of collector/store_sqlite.c (DESIGN.md §7: ingest
 * >= 50,000 interval records/s; with 1,000 sites x 24 h of 15 s intervals loaded, the site list
 * under 50 ms and one site's 24 h detail under 100 ms).
 *
 * 1,000 agents (one per site) upload in turn, each call one agent's next batch (default 500
 * records), exactly as the collector would call vr_store_ingest. The first 2,000,000 records are
 * the ingest measurement on an empty database; loading continues through the same path to
 * 1,000 x 5,760 records (24 h of 15 s audio intervals per site), then the queries are timed.
 * Only vr_store_ingest is inside the ingest clock: building and serialising the records (the
 * collector's HTTP and JSON side) is outside it. Not a ctest: it prints a table. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "profile.h"
#include "record.h"
#include "render.h"
#include "score.h"
#include "store.h"

#define INTERVAL_NS 15000000000ull
#define HOUR_NS     3600000000000ull

struct opts {
    const char *db;
    unsigned sites, per_site, batch, measure, calls;
    bool unique_index, keep, queries_only;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Site j: most intervals pass; every 10th site loses packets in bursts (at risk / not ready),
 * every 50th has its EF mark rewritten now and then, the rest fail rarely. */
static void make(struct vr_record *r, unsigned site, unsigned epoch, uint64_t t0, uint64_t *seed)
{
    memset(r, 0, sizeof(*r));
    r->type = VR_RECORD_INTERVAL;
    snprintf(r->agent, sizeof(r->agent), "agent-%04u", site);
    snprintf(r->site, sizeof(r->site), "site-%04u", site);
    snprintf(r->id, sizeof(r->id), "agent-%04u-1764115200000-audio-%u", site, epoch);
    snprintf(r->target, sizeof(r->target), "hq.example.net:5004");
    snprintf(r->link, sizeof(r->link), "wired");
    snprintf(r->interface, sizeof(r->interface), "eth0");
    snprintf(r->cls, sizeof(r->cls), "audio");
    snprintf(r->profile, sizeof(r->profile), "teams-audio");
    r->dscp = 46;
    r->start_wall_ns = t0 + (uint64_t)epoch * INTERVAL_NS;
    r->duration_s = 15.0;
    r->calls = 1;
    r->sent = 750;
    r->received = 749;
    r->fwd_received = 750;
    double u = (double)(rng(seed) % 10000) / 10000.0;
    r->rtt_ms = (struct vr_quantiles){18.0 + u, 21.0 + u, 20.5 + u, 26.0, 31.0, 40.0};
    r->ipdv_fwd_ms = r->ipdv_rev_ms = (struct vr_quantiles){0, 1.1, 0.8, 2.5, 4.0, 9.0};
    r->jitter_fwd_ms = 1.5 + u;
    r->jitter_rev_ms = 1.2 + u;
    r->loss_rev_pct = r->loss_pct = 0.133;
    r->burst_loss_max_pct = 10.0;
    r->dscp_fwd[46] = 750;
    r->dscp_rev[46] = 749;
    r->ecn_fwd[0] = 750;
    r->ecn_rev[0] = 749;
    r->mos = 4.35;
    unsigned p = (unsigned)(rng(seed) % 1000);
    if ((site % 10 == 0 && p < 40) || p < 2) {
        r->loss_fwd_pct = 1.0 + (double)(p % 40) / 10.0;
        r->loss_pct = r->loss_fwd_pct + r->loss_rev_pct;
    }
    if (site % 50 == 1 && p < 5) {
        r->dscp_fwd[46] = 0;
        r->dscp_fwd[0] = 750;
    }
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), dcmp);
    size_t i = (size_t)ceil(p / 100.0 * (double)n);
    return v[i > 0 ? i - 1 : 0];
}

static long long file_size(const char *path, const char *suffix)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s%s", path, suffix);
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: collector_store [--db FILE] [--sites N] [--per-site N] [--batch N]\n"
            "       [--measure N] [--calls N] [--unique-index] [--keep] [--queries-only]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = {"/tmp/vr-bench-store.db", 1000, 5760, 500, 2000000, 100, false, false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--unique-index") == 0) {
            o.unique_index = true;
            continue;
        }
        if (strcmp(a, "--keep") == 0) {
            o.keep = true;
            continue;
        }
        if (strcmp(a, "--queries-only") == 0) { /* on a DB kept by an earlier --keep run */
            o.queries_only = o.keep = true;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--db") == 0)
            o.db = v;
        else if (strcmp(a, "--sites") == 0)
            o.sites = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--per-site") == 0)
            o.per_site = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--batch") == 0)
            o.batch = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--measure") == 0)
            o.measure = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--calls") == 0)
            o.calls = (unsigned)strtoul(v, NULL, 10);
        else
            usage();
    }
    if (o.sites == 0 || o.per_site == 0 || o.batch == 0 || o.calls == 0)
        usage();
    char p[512];
    if (!o.queries_only) {
        unlink(o.db);
        snprintf(p, sizeof(p), "%s-wal", o.db);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", o.db);
        unlink(p);
    }

    struct vr_errbuf eb = {{0}};
    struct vr_store *s = NULL;
    if (vr_store_open(o.db, NULL, &s, &eb) != 0) {
        fprintf(stderr, "collector_store: %s\n", eb.msg);
        return 2;
    }
    if (o.unique_index) { /* the alternative REFERENCE.md §9 warns about, for comparison */
        sqlite3 *db = NULL;
        if (sqlite3_open(o.db, &db) != SQLITE_OK ||
            sqlite3_exec(db, "CREATE UNIQUE INDEX records_agent_rid ON records(agent_id, rid)",
                         NULL, NULL, NULL) != SQLITE_OK) {
            fprintf(stderr, "collector_store: %s: %s\n", o.db, sqlite3_errmsg(db));
            return 2;
        }
        sqlite3_close(db);
    }

    uint64_t t0;
    vr_parse_rfc3339("2026-11-26T00:00:00Z", &t0);
    uint64_t end = t0 + (uint64_t)o.per_site * INTERVAL_NS;
    struct vr_thresholds thr;
    vr_thresholds_by_name("client", &thr, NULL);
    struct vr_record *recs = calloc(o.batch, sizeof(*recs));
    char **raw = calloc(o.batch, sizeof(*raw));
    double *w = calloc(o.batch, sizeof(*w));
    bool *stored = calloc(o.batch, sizeof(*stored));
    unsigned *next = calloc(o.sites, sizeof(*next));
    uint64_t *seeds = calloc(o.sites, sizeof(*seeds));
    if (recs == NULL || raw == NULL || w == NULL || stored == NULL || next == NULL || seeds == NULL)
        return 2;
    for (unsigned j = 0; j < o.sites; j++)
        seeds[j] = 0x9e3779b97f4a7c15ull ^ ((uint64_t)j * 0x100000001b3ull) ^ 1;

    uint64_t total = (uint64_t)o.sites * o.per_site, done = 0, measured_n = 0;
    double ingest_s = 0, measured_s = 0, wall0 = now_s(), raw_bytes = 0;
    unsigned calls = 0;
    double *call_s = calloc(total / o.batch + o.sites + 1, sizeof(*call_s));
    if (o.queries_only) {
        done = total;
        measured_n = 1;
        measured_s = ingest_s = 1e-9;
    }
    while (done < total) {
        for (unsigned j = 0; j < o.sites && done < total; j++) {
            unsigned n = 0;
            for (; n < o.batch && next[j] < o.per_site; n++) {
                make(&recs[n], j, next[j]++, t0, &seeds[j]);
                struct vr_finding f[VR_SCORE_MAX_FINDINGS];
                vr_score_interval(&recs[n], &thr, f, VR_SCORE_MAX_FINDINGS);
                json_t *jr = vr_record_to_json(&recs[n]);
                raw[n] = json_dumps(jr, JSON_COMPACT);
                json_decref(jr);
                raw_bytes += (double)strlen(raw[n]);
                w[n] = recs[n].calls > 0 ? recs[n].calls : 1;
            }
            if (n == 0)
                continue;
            double a = now_s();
            int err = vr_store_ingest(s, recs, (const char *const *)raw, w, n, stored, &eb);
            double b = now_s();
            if (err != 0) {
                fprintf(stderr, "collector_store: ingest: %s\n", eb.msg);
                return 2;
            }
            for (unsigned k = 0; k < n; k++)
                free(raw[k]);
            ingest_s += b - a;
            call_s[calls++] = b - a;
            if (done < o.measure) {
                measured_s += b - a;
                measured_n += n;
            }
            done += n;
            if (done % 500000 < n)
                fprintf(stderr, "  loaded %llu of %llu records (%.0f s)\n",
                        (unsigned long long)done, (unsigned long long)total, now_s() - wall0);
        }
    }
    double load_wall = now_s() - wall0;
    double call_p95 = calls > 0 ? pct(call_s, calls, 95.0) * 1e3 : 0.0;

    /* duplicates: one agent's first batch again (what a retried upload costs) */
    for (unsigned n = 0; n < o.batch && n < o.per_site; n++) {
        uint64_t sd = seeds[0];
        make(&recs[n], 0, n, t0, &sd);
    }
    unsigned nd = o.batch < o.per_site ? o.batch : o.per_site;
    double a = now_s();
    if (!o.queries_only)
        vr_store_ingest(s, recs, NULL, NULL, nd, stored, &eb);
    double dup_s = now_s() - a;
    unsigned dup_stored = 0;
    for (unsigned k = 0; k < nd; k++)
        dup_stored += stored[k];

    /* queries at the end of the loaded day */
    double *t = calloc(o.calls, sizeof(*t));
    /* each query is timed with its rendering to the API's JSON (render.c), as the HTTP
     * handlers run them, so that the figures compare with those taken when the store built
     * the JSON itself */
    struct vr_store_site_list *list = NULL;
    size_t nsites = 0;
    for (unsigned i = 0; i < o.calls; i++) {
        a = now_s();
        if (vr_store_sites(s, end, 24 * HOUR_NS, &list, &eb) != 0) {
            fprintf(stderr, "collector_store: sites: %s\n", eb.msg);
            return 2;
        }
        json_decref(vr_render_sites(list));
        t[i] = (now_s() - a) * 1e3;
        nsites = list->n;
        if (i + 1 < o.calls)
            vr_store_site_list_free(list);
    }
    char worst[400] = "";
    if (list->n > 0) {
        const struct vr_store_site_summary *first = &list->sites[0];
        snprintf(worst, sizeof(worst), "%s %s: %s", first->site,
                 vr_render_verdict_name(&first->verdict),
                 first->verdict.n_reasons > 0 ? first->verdict.reasons[0] : "(none)");
    }
    vr_store_site_list_free(list);
    double sites_p50 = pct(t, o.calls, 50), sites_p95 = pct(t, o.calls, 95);

    uint64_t qs = 12345;
    size_t nclasses = 0, nfailing = 0;
    for (unsigned i = 0; i < o.calls; i++) {
        char name[32];
        snprintf(name, sizeof(name), "site-%04u", (unsigned)(rng(&qs) % o.sites));
        struct vr_store_site_detail *d = NULL;
        a = now_s();
        if (vr_store_site(s, name, end, 24 * HOUR_NS, &d, &eb) != 0) {
            fprintf(stderr, "collector_store: site: %s\n", eb.msg);
            return 2;
        }
        json_decref(vr_render_site(d));
        t[i] = (now_s() - a) * 1e3;
        nclasses = d->n_paths;
        nfailing = d->n_failing > nfailing ? d->n_failing : nfailing;
        vr_store_site_detail_free(d);
    }
    double site_p50 = pct(t, o.calls, 50), site_p95 = pct(t, o.calls, 95);

    size_t npoints = 0;
    for (unsigned i = 0; i < o.calls; i++) {
        char name[32];
        snprintf(name, sizeof(name), "site-%04u", (unsigned)(rng(&qs) % o.sites));
        struct vr_store_series_set *x = NULL;
        a = now_s();
        if (vr_store_intervals(s, name, end - 24 * HOUR_NS, NULL, NULL, &x, &eb) != 0) {
            fprintf(stderr, "collector_store: intervals: %s\n", eb.msg);
            return 2;
        }
        json_decref(vr_render_series(x));
        t[i] = (now_s() - a) * 1e3;
        npoints = x->n > 0 ? x->series[0].n : 0;
        vr_store_series_set_free(x);
    }
    double iv_p50 = pct(t, o.calls, 50), iv_p95 = pct(t, o.calls, 95);

    vr_store_close(s);
    sqlite3 *db = NULL;
    if (sqlite3_open(o.db, &db) == SQLITE_OK)
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    long long bytes = file_size(o.db, "") + file_size(o.db, "-wal");
    double mrec = (double)total / 1e6;

    printf("\ncollector store benchmark (SQLite %s, WAL, synchronous=NORMAL%s)\n",
           sqlite3_libversion(), o.unique_index ? ", plus UNIQUE(agent_id, rid)" : "");
    printf(
        "%u sites, one agent each; %u records per site (15 s audio intervals); batches of %u\n\n",
        o.sites, o.per_site, o.batch);
    printf("%-52s %14s %10s\n", "measure", "value", "target");
    printf("%-52s %14.0f %10s\n", "ingest, first 2 M records into an empty DB, rec/s",
           (double)measured_n / measured_s, ">= 50000");
    printf("%-52s %14.0f %10s\n", "ingest, all records, rec/s (store time only)",
           (double)total / ingest_s, "");
    printf("%-52s %14.1f %10s\n", "ingest call of one batch, p95 ms", call_p95, "");
    printf("%-52s %14.0f %10s\n", "load wall time incl. building the JSON, s", load_wall, "");
    printf("%-52s %14.1f %10s\n", "re-upload of a stored batch (all duplicates), ms", dup_s * 1e3,
           "");
    printf("%-52s %14u %10s\n", "  of which stored again", dup_stored, "0");
    printf("%-52s %14.1f %10s\n", "vr_store_sites 24 h, p50 ms", sites_p50, "");
    printf("%-52s %14.1f %10s\n", "vr_store_sites 24 h, p95 ms", sites_p95, "< 50");
    printf("%-52s %14.1f %10s\n", "vr_store_site 24 h, p50 ms", site_p50, "");
    printf("%-52s %14.1f %10s\n", "vr_store_site 24 h, p95 ms", site_p95, "< 100");
    printf("%-52s %14.1f %10s\n", "vr_store_intervals 24 h (all classes), p50 ms", iv_p50, "");
    printf("%-52s %14.1f %10s\n", "vr_store_intervals 24 h (all classes), p95 ms", iv_p95, "");
    printf("%-52s %14.1f %10s\n", "DB size, MB", (double)bytes / 1e6, "");
    printf("%-52s %14.1f %10s\n", "DB size per million records, MB", (double)bytes / 1e6 / mrec,
           "");
    printf("%-52s %14.0f %10s\n", "raw JSON per record, bytes (mean)", raw_bytes / (double)total,
           "");
    printf("\nsites listed %zu; worst: %s\nsite detail: %zu classes, up to %zu failing rows; "
           "series of %zu points\n",
           nsites, worst, nclasses, nfailing, npoints);
    if (!o.keep) {
        unlink(o.db);
        snprintf(p, sizeof(p), "%s-wal", o.db);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", o.db);
        unlink(p);
    } else {
        printf("kept %s\n", o.db);
    }
    free(t);
    free(call_s);
    free(recs);
    free(raw);
    free(w);
    free(stored);
    free(next);
    free(seeds);
    return 0;
}
