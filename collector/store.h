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
 * Not thread-safe: one store per thread (the HTTP server serialises calls). */
#ifndef VR_STORE_H
#define VR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "plan.h"
#include "record.h"
#include "score.h"
#include "xrecord.h"

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

/* ---- queries (JSON shapes in collector/API.md; each returns a new reference) ---- */
/* The site verdict everywhere below includes the capacity rule (common/plan.h) for sites with
 * a plan and interval data: Not ready when the latest measured capacity (the smallest over the
 * site's targets) is below planned peak x (1 + growth), At risk within 20 % above it or when no
 * capacity was measured yet. A site without interval data stays "no_data".
 * GET /api/v1/sites: {"sites":[{site, verdict, score_pct, worst_reason, last_seen,
 * planned_peak_calls, capacity_calls, capacity_status, ...}]} */
int vr_store_sites(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns, json_t **out,
                   struct vr_errbuf *eb);
/* GET /api/v1/sites/{site}: verdict over the window with reasons, per class/target summary,
 * DSCP preservation table, failing intervals. VR_ENOTFOUND for an unknown site. */
int vr_store_site(struct vr_store *s, const char *site, uint64_t now_wall_ns, uint64_t window_ns,
                  json_t **out, struct vr_errbuf *eb);
/* GET /api/v1/sites/{site}/intervals?since=&class=: time series (cls may be NULL = all). */
int vr_store_intervals(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                       const char *cls, json_t **out, struct vr_errbuf *eb);
/* The same, only the paths of link kind `link` ("wired" | "wifi" | "other"; NULL = all). */
int vr_store_intervals_link(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                            const char *cls, const char *link, json_t **out, struct vr_errbuf *eb);
/* Per site and link kind over the window, for `report`: {"SITE":[{"link":"wifi","intervals":..,
 * "passed":..,"loss_fwd_pct":..,"loss_rev_pct":..,"jitter_fwd_ms":..,"jitter_rev_ms":..,
 * "rtt_ms_mean":..}]} (means over the intervals). New reference. */
int vr_store_site_links(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns, json_t **out,
                        struct vr_errbuf *eb);
/* The site verdict over [now - window, now] (as in vr_store_site), for report and metrics. */
int vr_store_site_verdict(struct vr_store *s, const char *site, uint64_t now_wall_ns,
                          uint64_t window_ns, struct vr_verdict *out, struct vr_errbuf *eb);
/* Deletes raw records older than retention and rollups older than rollup_days. */
int vr_store_prune(struct vr_store *s, uint64_t now_wall_ns, struct vr_errbuf *eb);

#endif
