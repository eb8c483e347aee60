/* store: the collector's storage, behind a small interface so that a PostgreSQL backend can
 * replace the embedded SQLite one (store_sqlite.c) for deployments that outgrow one machine.
 *
 * What it keeps (DESIGN.md §2, §6; REFERENCE.md §9 for why it is shaped this way):
 * - agent tokens, hashed (SHA-256 of the token; the token itself is never stored);
 * - raw interval and summary records, append-only, kept `retention_days` (default 30);
 * - hourly rollups per site, class and target (kept longer: `rollup_days`, default 400), and
 *   per-hour failure groups (metric, direction, class) so that a site's verdict over 24 h and its
 *   reasons come from at most 24 rows per group, never from a scan of raw history;
 * - per-site current state (last seen, agents), updated on ingest, so the site list never scans
 *   history; its verdict, score and worst reason come from the hourly rollups of the window;
 * - per-agent high-water marks of record ids: records carry "<agent-run>-<class>-<epoch>" ids;
 *   an epoch above its run's mark is new for certain, any other id is looked up exactly by
 *   (site, start, agent, id) through the per-site time index; duplicates are acknowledged but
 *   not stored twice.
 * Every statement is prepared once and reused; each ingest call is one transaction.
 * The interface speaks C structs only (no SQL, no JSON, no backend types), so that another
 * backend can implement it; the API's JSON is rendered from them in collector/render.c.
 * Not thread-safe: one store per thread (the HTTP server serialises calls). */
#ifndef VR_STORE_H
#define VR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"
#include "rec_agent.h"
#include "score.h"

struct vr_record;  /* common/record.h */
struct vr_xrecord; /* collector/xrecord.h */

struct vr_store;

struct vr_store_options {
    unsigned retention_days; /* raw records; 0 = default 30 */
    unsigned rollup_days;    /* hourly rollups; 0 = default 400 */
    /* Thresholds that judge intervals into the rollups (copied at open); NULL = built-in
     * "client". Rollups keep the judgement of the thresholds in force when they were stored. */
    const struct vr_thresholds *thresholds;
    /* Per-site thresholds (a site configured with `thresholds = edge`), e.g. a wrapper of
     * vr_config_thresholds: called once per site per open store, before its first record is
     * judged; fills out and returns 0, or returns < 0 to use `thresholds`. NULL: `thresholds`
     * for every site. */
    int (*site_thresholds)(void *arg, const char *site, struct vr_thresholds *out);
    void *site_thresholds_arg;
    /* The site's plan (config `users`, `peak_concurrency_pct`, `planned_peak_calls`, `mix`,
     * `growth_pct`), e.g. a wrapper of vr_config_plan: fills out and returns true when the site
     * has one. Called on every query (cheap); NULL: no site has a plan. */
    bool (*site_plan)(void *arg, const char *site, struct vr_plan_input *out);
    void *site_plan_arg;
    /* Liveness (common/score.h), both called on every query with sites_arg (e.g. a wrapper of
     * the collector config): configured_site(arg, i) is the name of the i-th configured site
     * (borrowed for the call) or NULL past the last, so that a configured site that never
     * reported is listed; site_silent_after(arg, site) is that site's silent_after in ns (0 =
     * VR_LIVENESS_DEFAULT_SILENT_AFTER_NS). NULL: no configured sites / the default for all. */
    const char *(*configured_site)(void *arg, size_t i);
    uint64_t (*site_silent_after)(void *arg, const char *site);
    void *sites_arg;
    /* WAL checkpoints on a thread of the store's own instead of in the committing call
     * (store_ckpt.h): for the long-running server, whose ingest waits on every commit. */
    bool checkpoint_thread;
};

/* Opens (creating and migrating as needed) the database at path. WAL, synchronous=NORMAL.
 * Returns 0 or an error with eb naming the file and the problem. */
int vr_store_open(const char *path, const struct vr_store_options *opt, struct vr_store **out,
                  struct vr_errbuf *eb);
void vr_store_close(struct vr_store *s); /* NULL is a no-op */

/* ---- tokens ---- */
struct vr_token {
    int64_t id;
    char site[64];
    uint64_t created_wall_ns;
    bool revoked;
};
/* Stores hash (SHA-256 of the token) for site; *id_out is the new token's id. */
int vr_store_token_add(struct vr_store *s, const char *site, const uint8_t hash[32],
                       int64_t *id_out, struct vr_errbuf *eb);
/* 0 and *out filled when hash belongs to a token that is not revoked; VR_ENOTFOUND otherwise. */
int vr_store_token_find(struct vr_store *s, const uint8_t hash[32], struct vr_token *out);
/* 0, or VR_ENOTFOUND when no such id. */
int vr_store_token_revoke(struct vr_store *s, int64_t id, struct vr_errbuf *eb);
/* Calls cb for every token (revoked ones too), oldest first. */
int vr_store_token_list(struct vr_store *s, void (*cb)(void *arg, const struct vr_token *t),
                        void *arg, struct vr_errbuf *eb);

/* ---- ingest ---- */
/* Stores n validated, scored records (interval or summary) in one transaction. stored[i] is set
 * true when record i was new, false when (agent, id) was already stored (acknowledged anyway).
 * weight: scoring weight of each interval (see collector/scoring.h); NULL = 1 each. raw may be
 * NULL, and raw[i] may be NULL: then the JSON of vr_record_to_json(&recs[i]) is stored. A record
 * with an empty or unterminated id, agent, site or class rejects the whole batch (VR_EINVAL). */
int vr_store_ingest(struct vr_store *s, const struct vr_record *recs, const char *const *raw,
                    const double *weight, size_t n, bool *stored, struct vr_errbuf *eb);
/* The same plus nx capacity and capture records (xrecord.h, raw set), all in one transaction.
 * xstored[i] as stored[i]: de-duplicated by (agent, id). Each site keeps its latest capacity
 * record per target (by start time) as its measured capacity. */
int vr_store_ingest_all(struct vr_store *s, const struct vr_record *recs, const char *const *raw,
                        const double *weight, size_t n, bool *stored, const struct vr_xrecord *xr,
                        size_t nx, bool *xstored, struct vr_errbuf *eb);
/* What the agent that sent a batch said of itself (rec_agent.h: version, spool backlog,
 * quarantined records, clock sync, link kinds), noted with the wall time the batch arrived:
 * the agent's last upload, for the site page's agent list and the liveness state. The agent's
 * site is st->site (the token's, checked by ingest). 0, or VR_E* with eb set. */
int vr_store_note_agent(struct vr_store *s, const struct vr_agent_status *st, uint64_t now_wall_ns,
                        struct vr_errbuf *eb);

/* ---- queries: typed results ------------------------------------------------------------------
 * The store answers in the plain structs below, never in JSON nor in a backend's types:
 * collector/render.c turns them into the API's JSON (collector/API.md), metrics.c and report.c
 * read them directly. A backend fills them; each result is owned by the caller and freed with the
 * _free() function named beside it (NULL is a no-op). Text fields are NUL-terminated, cut to
 * their size; a double that is NAN means "no value" (rendered as null). */

/* A site's capacity against its plan (common/plan.h). */
struct vr_store_capacity {
    bool planned; /* the site has a plan: in and plan are set */
    struct vr_plan_input in;
    struct vr_plan plan;
    bool measured;  /* a capacity record was stored: calls is set */
    uint32_t calls; /* smallest latest capacity over the site's targets */
    enum vr_capacity_status status;
    char reason[200];
};

/* One row of the site list. The verdict over the window includes the capacity rule for sites
 * with a plan and interval data: Not ready when the latest measured capacity is below planned
 * peak x (1 + growth), At risk within 20 % above it or when no capacity was measured yet; then
 * the liveness rule (vr_verdict_apply_liveness): VR_VERDICT_SILENT when its last upload is older
 * than its silent_after. verdict.intervals == 0 and not silent: the site has no interval data
 * in the window ("no_data"); a configured site that never reported has liveness never_reported,
 * last_seen_wall_ns and last_upload_wall_ns 0 and the reason "never reported". */
struct vr_store_site_summary {
    char site[64];
    struct vr_verdict verdict;
    uint64_t last_seen_wall_ns;   /* end of its latest record */
    uint64_t last_upload_wall_ns; /* receipt of its latest upload (latest of its agents'); 0 none */
    enum vr_liveness liveness;
    int64_t agents;
    struct vr_store_capacity capacity;
};

/* The site list, worst verdict first (not ready, silent, at risk, ready, no data), then by name. */
struct vr_store_site_list {
    uint64_t generated_wall_ns, window_ns;
    size_t n;
    struct vr_store_site_summary *sites; /* n rows */
};

/* Strings taken from a stored record (its "reasons"). present: the record had the array. */
struct vr_store_reasons {
    bool present;
    size_t n;
    char **v; /* n strings */
};

/* One path (class, target, link kind) summed over the window. */
struct vr_store_path {
    char cls[16], target[128], link[16];
    int dscp; /* the DSCP the path is sent with */
    int64_t intervals, passed;
    /* means over the window's intervals (NAN: none) */
    double loss_fwd_pct, loss_rev_pct, rtt_ms_mean, jitter_fwd_ms, jitter_rev_ms, mos;
    double dscp_fwd_preserved_pct, dscp_rev_preserved_pct; /* NAN: nothing received */
    uint64_t dscp_fwd_seen[64], dscp_rev_seen[64];         /* packets received per DSCP */
};

/* A failing interval (newest first, at most 100). */
struct vr_store_failing {
    uint64_t start_wall_ns;
    char cls[16], target[128];
    struct vr_store_reasons reasons;
};

/* The latest capacity record of one target (smallest capacity first). */
struct vr_store_capacity_row {
    char target[128], link[16], limit[16], cause[16], agent[64];
    int64_t calls, max_rate_bps;
    double bps_fwd, bps_rev; /* NAN: none */
    enum vr_level verdict;
    uint64_t start_wall_ns;
    /* The record as the agent uploaded it (one JSON line, owned by the row): the API copies
     * its details (steps, mix, first_failure, ...) through; see render.c. */
    char *record;
};

/* A capture record: one real RTP stream (newest first, at most 50). */
struct vr_store_capture_row {
    uint64_t start_wall_ns;
    char link[16], cls[16], src[64], dst[64];
    int64_t packets, lost;
    double loss_pct, jitter_ms, mos; /* NAN: none */
    enum vr_level verdict;
    struct vr_store_reasons reasons;
};

/* One agent as it last said of itself (rec_agent.h), with the receipt time of its last upload
 * (also set by uploads without a status line, from older agents: then version is "" and the
 * figures are those of its last status, or 0). */
struct vr_store_agent {
    char site[64], agent[64], version[32];
    uint64_t last_upload_wall_ns; /* 0: none noted */
    uint64_t spool_records, quarantined;
    enum vr_clock_sync clock_sync;
    size_t n_links;
    int links[VR_REC_AGENT_MAX_LINKS]; /* indexes in vr_rec_link_names */
    enum vr_liveness liveness;         /* live or silent, by its site's silent_after */
};

/* One site over the window (GET /api/v1/sites/{site}). */
struct vr_store_site_detail {
    struct vr_store_site_summary summary; /* verdict.reasons: all of them */
    uint64_t window_ns;
    size_t n_agents;
    struct vr_store_agent *agent_list; /* by name */
    size_t n_paths, n_failing, n_capacity, n_captures;
    struct vr_store_path *paths;            /* by path */
    struct vr_store_failing *failing;       /* newest first */
    struct vr_store_capacity_row *capacity; /* smallest capacity first */
    struct vr_store_capture_row *captures;  /* newest first */
};

/* One point of a time series: a raw interval, or an hourly mean (hourly, rtt_p95_ms NAN) where
 * raw records are past retention. */
struct vr_store_point {
    uint64_t t_wall_ns;
    double rtt_ms, rtt_p95_ms, jitter_fwd_ms, jitter_rev_ms, loss_fwd_pct, loss_rev_pct, mos;
    enum vr_level verdict;
    bool hourly;
};

struct vr_store_series {
    char cls[16], target[128], link[16];
    size_t n;
    struct vr_store_point *points; /* oldest first, at most 10,000 */
};

/* A site's time series, one per path (at most 256). */
struct vr_store_series_set {
    char site[64];
    size_t n;
    struct vr_store_series *series;
};

/* Per site and link kind over the window, for `report` (means over the intervals). */
struct vr_store_link_row {
    char site[64], link[16];
    int64_t intervals, passed;
    double loss_fwd_pct, loss_rev_pct, jitter_fwd_ms, jitter_rev_ms, rtt_ms_mean; /* NAN: none */
};

/* GET /api/v1/sites. *out: caller frees with vr_store_site_list_free(). */
int vr_store_sites(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns,
                   struct vr_store_site_list **out, struct vr_errbuf *eb);
void vr_store_site_list_free(struct vr_store_site_list *l);

/* GET /api/v1/sites/{site}: verdict over the window with reasons, its agents, per path summary,
 * failing intervals, capacity and capture records. A configured site that never reported gives
 * an empty detail (liveness never_reported); VR_ENOTFOUND for any other unknown site. *out:
 * caller frees with vr_store_site_detail_free(). */
int vr_store_site(struct vr_store *s, const char *site, uint64_t now_wall_ns, uint64_t window_ns,
                  struct vr_store_site_detail **out, struct vr_errbuf *eb);
void vr_store_site_detail_free(struct vr_store_site_detail *d);

/* GET /api/v1/sites/{site}/intervals?since=&class=&link=: the time series since since_wall_ns;
 * cls (NULL = all) and link ("wired" | "wifi" | "other"; NULL = all) filter the paths.
 * VR_ENOTFOUND for an unknown site. *out: caller frees with vr_store_series_set_free(). */
int vr_store_intervals(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                       const char *cls, const char *link, struct vr_store_series_set **out,
                       struct vr_errbuf *eb);
void vr_store_series_set_free(struct vr_store_series_set *x);

/* Per site and link kind over the window, by site then link: *rows (n of them), caller frees
 * with vr_store_link_rows_free(). */
int vr_store_site_links(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns,
                        struct vr_store_link_row **rows, size_t *n, struct vr_errbuf *eb);
void vr_store_link_rows_free(struct vr_store_link_row *rows);

/* Every agent, by site then name, with its liveness at now_wall_ns (for /metrics): *rows (n of
 * them), caller frees with vr_store_agents_free(). */
int vr_store_agents(struct vr_store *s, uint64_t now_wall_ns, struct vr_store_agent **rows,
                    size_t *n, struct vr_errbuf *eb);
void vr_store_agents_free(struct vr_store_agent *rows);

/* The site verdict over [now - window, now] (as in vr_store_site, liveness included). */
int vr_store_site_verdict(struct vr_store *s, const char *site, uint64_t now_wall_ns,
                          uint64_t window_ns, struct vr_verdict *out, struct vr_errbuf *eb);
/* Deletes raw records older than retention and rollups older than rollup_days. */
int vr_store_prune(struct vr_store *s, uint64_t now_wall_ns, struct vr_errbuf *eb);

#endif
