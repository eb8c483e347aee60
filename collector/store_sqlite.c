/* store_sqlite: the embedded SQLite backend of store.h.
 *
 * Shape (REFERENCE.md §9): raw records go into an append-only rowid table; the only indexes on it
 * are (site_id, start_ns) for the per-site queries and a partial one over failing intervals.
 * De-duplication does not use a UNIQUE index on random text ids (it costs most of the ingest
 * rate): record ids are "<agent run>-<class>-<epoch>", so each (agent, run, class) keeps a
 * high-water epoch (table `runs`, cached in memory). An epoch above it is new for certain; any
 * other id (at or below it, a summary, an id of another shape) is looked up exactly by
 * (site, start, agent, id) through the (site_id, start_ns) index, which is the safety net.
 * Hourly rollups (path_hour, site_hour, fail_hour) are accumulated per ingest call in memory and
 * merged into their rows once per call, so the verdict over 24 h reads at most 24 rows per group.
 * Caches map names to row ids; they mirror committed rows only and are dropped on rollback.
 * The read side (verdicts from rollups, the site list, site detail and time series) lives in
 * store_sqlite_query.c; capacity and capture records, the capacity rule and the link summaries
 * in store_sqlite_extra.c (store_int.h is what the three files share). */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "hash.h"
#include "profile.h"
#include "store_ckpt.h"
#include "store_int.h"

#define HOUR_NS           3600000000000ull
#define DAY_NS            (24ull * HOUR_NS)
#define SERIES_MAX_POINTS 10000
#define FAILING_MAX       100
#define CACHE_MAX_ENTRIES (1u << 20) /* bounded: the cache is cleared when it reaches this */
#define SITE_MAX_SERIES   256
#define N_CLS             (VR_CLASS_COUNT + 1)
#define N_DIR             3
#define N_LVL             2

/* ---- a bounded string -> int64 cache (open addressing, FNV-1a) --------------------------- */

struct cache_ent {
    char *key;
    uint64_t hash;
    int64_t val;
};

struct cache {
    struct cache_ent *e;
    size_t cap, n;
};

static void cache_clear(struct cache *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->e[i].key);
    free(c->e);
    c->e = NULL;
    c->cap = c->n = 0;
}

static struct cache_ent *cache_slot(struct cache *c, const char *k, size_t len, uint64_t h)
{
    size_t mask = c->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct cache_ent *e = &c->e[i];
        if (e->key == NULL || (e->hash == h && strncmp(e->key, k, len) == 0 && e->key[len] == 0))
            return e;
    }
}

static bool cache_get(struct cache *c, const char *k, int64_t *val)
{
    if (c->n == 0)
        return false;
    size_t len = strlen(k);
    struct cache_ent *e = cache_slot(c, k, len, vr_hash_fnv1a64(k, len));
    if (e->key == NULL)
        return false;
    *val = e->val;
    return true;
}

/* A failed put only loses a cache entry: the database stays the reference. */
static void cache_put(struct cache *c, const char *k, int64_t val)
{
    if (c->n + 1 >= CACHE_MAX_ENTRIES)
        cache_clear(c);
    if (c->cap == 0 || (c->n + 1) * 2 > c->cap) {
        size_t ncap = c->cap == 0 ? 1024 : c->cap * 2;
        struct cache_ent *ne = calloc(ncap, sizeof(*ne));
        if (ne == NULL)
            return;
        struct cache old = *c;
        c->e = ne;
        c->cap = ncap;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.e[i].key != NULL)
                *cache_slot(c, old.e[i].key, strlen(old.e[i].key), old.e[i].hash) = old.e[i];
        }
        free(old.e);
    }
    size_t len = strlen(k);
    uint64_t h = vr_hash_fnv1a64(k, len);
    struct cache_ent *e = cache_slot(c, k, len, h);
    if (e->key == NULL) {
        e->key = strdup(k);
        if (e->key == NULL)
            return;
        e->hash = h;
        c->n++;
    }
    e->val = val;
}

/* ---- statements ----------------------------------------------------------------------------- */

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_TOKEN_ADD] = "INSERT INTO tokens(site, hash, created_ns) VALUES (?1, ?2, ?3)",
    [ST_TOKEN_FIND] = "SELECT id, site, created_ns FROM tokens WHERE hash = ?1 AND revoked = 0",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE id = ?1",
    [ST_TOKEN_LIST] = "SELECT id, site, created_ns, revoked FROM tokens ORDER BY id",
    [ST_SITE_GET] = "SELECT id FROM sites WHERE name = ?1",
    [ST_SITE_ADD] = "INSERT INTO sites(name, first_seen_ns, last_seen_ns) VALUES (?1, ?2, ?2)",
    [ST_SITE_SEEN] = "UPDATE sites SET last_seen_ns = max(last_seen_ns, ?2) WHERE id = ?1",
    [ST_SITE_ROW] = "SELECT s.id, s.last_seen_ns, (SELECT count(*) FROM agents a WHERE "
                    "a.site_id = s.id) FROM sites s WHERE s.name = ?1",
    [ST_SITE_LIST] = "SELECT s.id, s.name, s.last_seen_ns, (SELECT count(*) FROM agents a WHERE "
                     "a.site_id = s.id) FROM sites s ORDER BY s.name",
    [ST_AGENT_GET] = "SELECT id, site_id FROM agents WHERE name = ?1",
    [ST_AGENT_ADD] = "INSERT INTO agents(name, site_id) VALUES (?1, ?2)",
    [ST_AGENT_MOVE] = "UPDATE agents SET site_id = ?2 WHERE id = ?1",
    [ST_PATH_GET] =
        "SELECT id FROM paths WHERE site_id = ?1 AND cls = ?2 AND target = ?3 AND link = ?4",
    [ST_PATH_ADD] =
        "INSERT INTO paths(site_id, cls, target, link, dscp) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_RUN_GET] = "SELECT hwm FROM runs WHERE agent_id = ?1 AND prefix = ?2 AND cls = ?3",
    [ST_RUN_PUT] =
        "INSERT INTO runs(agent_id, prefix, cls, hwm, updated_ns) VALUES (?1,?2,?3,?4,?5) "
        "ON CONFLICT(agent_id, prefix, cls) DO UPDATE SET hwm = max(hwm, excluded.hwm), "
        "updated_ns = max(updated_ns, excluded.updated_ns)",
    [ST_REC_DUP] = "SELECT 1 FROM records WHERE site_id = ?1 AND start_ns = ?2 AND agent_id = ?3 "
                   "AND rid = ?4",
    [ST_REC_ADD] = "INSERT INTO records(site_id, agent_id, path_id, type, rid, start_ns, "
                   "duration_s, calls, verdict, sent, loss_fwd_pct, loss_rev_pct, loss_pct, "
                   "rtt_ms_mean, rtt_ms_p95, jitter_fwd_ms, jitter_rev_ms, mos, raw) VALUES "
                   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
    [ST_PH_GET] =
        "SELECT intervals, passed, failed, warned, weight, weight_passed, n, loss_fwd_sum, "
        "loss_rev_sum, rtt_sum, jitter_fwd_sum, jitter_rev_sum, mos_sum, mos_n, "
        "dscp_fwd, dscp_rev FROM path_hour WHERE path_id = ?1 AND hour = ?2",
    [ST_PH_PUT] =
        "INSERT OR REPLACE INTO path_hour(path_id, hour, intervals, passed, failed, warned, "
        "weight, weight_passed, n, loss_fwd_sum, loss_rev_sum, rtt_sum, jitter_fwd_sum, "
        "jitter_rev_sum, mos_sum, mos_n, dscp_fwd, dscp_rev) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_SH_GET] =
        "SELECT intervals, passed, failed, warned, weight, weight_passed, marks_rewritten "
        "FROM site_hour WHERE site_id = ?1 AND hour = ?2 AND mk = ?3",
    [ST_SH_PUT] = "INSERT OR REPLACE INTO site_hour(site_id, hour, mk, intervals, passed, failed, "
                  "warned, weight, weight_passed, marks_rewritten) VALUES "
                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [ST_FG_GET] = "SELECT cls, count, worst, severity, first_ns, last_ns, dscp, dscp_seen FROM "
                  "fail_hour WHERE site_id = ?1 AND hour = ?2 AND mk = ?3 AND ci = ?4 AND "
                  "metric = ?5 AND dir = ?6 AND lvl = ?7",
    [ST_FG_PUT] = "INSERT OR REPLACE INTO fail_hour(site_id, hour, mk, ci, metric, dir, lvl, cls, "
                  "count, worst, severity, first_ns, last_ns, dscp, dscp_seen) VALUES "
                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
    [ST_Q_SH] = "SELECT mk, intervals, passed, failed, warned, weight, weight_passed, "
                "marks_rewritten FROM site_hour WHERE site_id = ?1 AND hour >= ?2 AND hour < ?3",
    [ST_Q_FG] = "SELECT mk, ci, metric, dir, lvl, cls, count, worst, severity, first_ns, last_ns, "
                "dscp, dscp_seen FROM fail_hour WHERE site_id = ?1 AND hour >= ?2 AND hour < ?3 "
                "ORDER BY hour",
    [ST_Q_SH_ALL] = "SELECT mk, intervals, passed, failed, warned, weight, weight_passed, "
                    "marks_rewritten, site_id FROM site_hour WHERE hour >= ?1 AND hour < ?2",
    [ST_Q_FG_ALL] = "SELECT mk, ci, metric, dir, lvl, cls, count, worst, severity, first_ns, "
                    "last_ns, dscp, dscp_seen, site_id FROM fail_hour WHERE hour >= ?1 AND "
                    "hour < ?2 ORDER BY hour",
    [ST_Q_PATHS] = "SELECT p.id, p.cls, p.target, p.link, p.dscp, h.intervals, h.passed, "
                   "h.failed, h.warned, h.weight, h.weight_passed, h.n, h.loss_fwd_sum, "
                   "h.loss_rev_sum, h.rtt_sum, h.jitter_fwd_sum, h.jitter_rev_sum, h.mos_sum, "
                   "h.mos_n, h.dscp_fwd, h.dscp_rev FROM paths p JOIN path_hour h ON h.path_id = "
                   "p.id WHERE p.site_id = ?1 AND h.hour >= ?2 AND h.hour < ?3 ORDER BY p.id",
    [ST_Q_FAILING] = "SELECT r.start_ns, p.cls, p.target, r.raw FROM records r JOIN paths p ON "
                     "p.id = r.path_id WHERE r.site_id = ?1 AND r.start_ns >= ?2 AND "
                     "r.start_ns <= ?3 AND r.verdict = 2 AND r.type = 0 ORDER BY r.start_ns "
                     "DESC LIMIT 100",
    [ST_Q_SERIES] = "SELECT r.path_id, p.cls, p.target, r.start_ns, r.rtt_ms_mean, r.rtt_ms_p95, "
                    "r.jitter_fwd_ms, r.jitter_rev_ms, r.loss_fwd_pct, r.loss_rev_pct, r.mos, "
                    "r.verdict, p.link FROM records r JOIN paths p ON p.id = r.path_id WHERE "
                    "r.site_id = ?1 AND r.start_ns >= ?2 AND r.type = 0 AND (?3 IS NULL OR "
                    "p.cls = ?3) AND (?4 IS NULL OR p.link = ?4) ORDER BY r.start_ns DESC",
    [ST_Q_OLDEST] = "SELECT min(start_ns) FROM records WHERE site_id = ?1",
    [ST_Q_SERIES_ROLL] = "SELECT p.id, p.cls, p.target, h.hour, h.n, h.rtt_sum, h.jitter_fwd_sum, "
                         "h.jitter_rev_sum, h.loss_fwd_sum, h.loss_rev_sum, h.mos_sum, h.mos_n, "
                         "h.failed, h.warned, p.link FROM paths p JOIN path_hour h ON h.path_id = "
                         "p.id WHERE p.site_id = ?1 AND h.hour >= ?2 AND h.hour < ?3 AND (?4 IS "
                         "NULL OR p.cls = ?4) AND (?5 IS NULL OR p.link = ?5) ORDER BY h.hour "
                         "DESC",
    [ST_PRUNE_REC] = "DELETE FROM records WHERE site_id = ?1 AND start_ns < ?2",
    [ST_PRUNE_PH] = "DELETE FROM path_hour WHERE path_id IN (SELECT id FROM paths WHERE site_id "
                    "= ?1) AND hour < ?2",
    [ST_PRUNE_SH] = "DELETE FROM site_hour WHERE site_id = ?1 AND hour < ?2",
    [ST_PRUNE_FG] = "DELETE FROM fail_hour WHERE site_id = ?1 AND hour < ?2",
    [ST_PRUNE_RUNS] = "DELETE FROM runs WHERE updated_ns < ?1",
};

/* Migrations: index i brings the schema from version i to i + 1, inside one transaction. */
static const char *const migrations[] = {
    /* 1: everything. No foreign keys on `records`: three parent lookups per row would cost the
     * hot path, and its parents are only ever inserted by the same ingest transaction. */
    "CREATE TABLE tokens(id INTEGER PRIMARY KEY, site TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,"
    " created_ns INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sites(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL);"
    "CREATE TABLE agents(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " site_id INTEGER NOT NULL REFERENCES sites(id));"
    "CREATE INDEX agents_site ON agents(site_id);"
    "CREATE TABLE paths(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " cls TEXT NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL, dscp INTEGER NOT NULL,"
    " UNIQUE(site_id, cls, target));"
    "CREATE TABLE runs(agent_id INTEGER NOT NULL REFERENCES agents(id), prefix TEXT NOT NULL,"
    " cls TEXT NOT NULL, hwm INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
    " PRIMARY KEY(agent_id, prefix, cls)) WITHOUT ROWID;"
    "CREATE TABLE records(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL,"
    " agent_id INTEGER NOT NULL, path_id INTEGER NOT NULL, type INTEGER NOT NULL,"
    " rid TEXT NOT NULL, start_ns INTEGER NOT NULL, duration_s REAL, calls INTEGER,"
    " verdict INTEGER NOT NULL, sent INTEGER, loss_fwd_pct REAL, loss_rev_pct REAL,"
    " loss_pct REAL, rtt_ms_mean REAL, rtt_ms_p95 REAL, jitter_fwd_ms REAL, jitter_rev_ms REAL,"
    " mos REAL, raw TEXT NOT NULL);"
    "CREATE INDEX records_site_time ON records(site_id, start_ns);"
    "CREATE INDEX records_site_fail ON records(site_id, start_ns) WHERE verdict = 2 AND type = 0;"
    "CREATE TABLE path_hour(path_id INTEGER NOT NULL REFERENCES paths(id), hour INTEGER NOT NULL,"
    " intervals INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " warned INTEGER NOT NULL, weight REAL NOT NULL, weight_passed REAL NOT NULL,"
    " n INTEGER NOT NULL, loss_fwd_sum REAL, loss_rev_sum REAL, rtt_sum REAL,"
    " jitter_fwd_sum REAL, jitter_rev_sum REAL, mos_sum REAL, mos_n INTEGER,"
    " dscp_fwd TEXT, dscp_rev TEXT, PRIMARY KEY(path_id, hour)) WITHOUT ROWID;"
    "CREATE TABLE site_hour(site_id INTEGER NOT NULL REFERENCES sites(id), hour INTEGER NOT NULL,"
    " mk INTEGER NOT NULL, intervals INTEGER NOT NULL, passed INTEGER NOT NULL,"
    " failed INTEGER NOT NULL, warned INTEGER NOT NULL, weight REAL NOT NULL,"
    " weight_passed REAL NOT NULL, marks_rewritten INTEGER NOT NULL,"
    " PRIMARY KEY(site_id, hour, mk)) WITHOUT ROWID;"
    "CREATE TABLE fail_hour(site_id INTEGER NOT NULL REFERENCES sites(id), hour INTEGER NOT NULL,"
    " mk INTEGER NOT NULL, ci INTEGER NOT NULL, metric INTEGER NOT NULL, dir INTEGER NOT NULL,"
    " lvl INTEGER NOT NULL, cls TEXT NOT NULL, count INTEGER NOT NULL, worst REAL NOT NULL,"
    " severity REAL NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
    " dscp INTEGER NOT NULL, dscp_seen INTEGER NOT NULL,"
    " PRIMARY KEY(site_id, hour, mk, ci, metric, dir, lvl)) WITHOUT ROWID;"
    /* the site list reads one window of all sites: covering indexes in hour order make it one
     * contiguous range instead of two lookups per site */
    "CREATE INDEX site_hour_window ON site_hour(hour, site_id, mk, intervals, passed, failed,"
    " warned, weight, weight_passed, marks_rewritten);"
    "CREATE INDEX fail_hour_window ON fail_hour(hour, site_id, mk, ci, metric, dir, lvl, cls,"
    " count, worst, severity, first_ns, last_ns, dscp, dscp_seen);",
    vr__store_migration_2,
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* ---- batch accumulators ---------------------------------------------------------------------- */

struct ph_acc { /* path_hour */
    int64_t path_id, hour;
    int64_t intervals, passed, failed, warned, n, mos_n;
    double weight, weight_passed, loss_fwd, loss_rev, rtt, jitter_fwd, jitter_rev, mos;
    uint64_t dscp_fwd[64], dscp_rev[64];
};

struct sh_acc { /* site_hour */
    int64_t site_id, hour, mk;
    int64_t intervals, passed, failed, warned;
    double weight, weight_passed;
    bool marks_rewritten;
};

struct fg_acc { /* fail_hour */
    int64_t site_id, hour, mk, ci, metric, dir, lvl;
    struct vr_verdict_group g; /* merged with the shared rules of common/score.c */
};

struct run_acc {
    int64_t agent_id, hwm;
    char prefix[64], cls[16];
};

struct seen_acc {
    int64_t site_id;
    uint64_t last_ns;
};

struct site_thr {
    int64_t site_id;
    struct vr_thresholds t;
};

struct vr_store {
    sqlite3 *db;
    char path[256];
    struct vr_store_options opt;
    struct vr_thresholds thr;
    sqlite3_stmt *st[ST_COUNT];
    struct cache ids; /* "s<site>", "a<agent>", "p<site_id>|<cls>|<target>", "r<agent_id>|..." */
    struct vec ph, sh, fg, runs, seen;
    struct vec thr_sites;  /* site_thr: thresholds by site, filled on first use */
    size_t thr_last;       /* index of the last used entry: a batch is one agent's, one site */
    struct vr__store_x *x; /* capacity and capture records (store_sqlite_extra.c) */
    struct vr__store_ckpt *ckpt; /* NULL unless opt.checkpoint_thread */
};

/* ---- errors and small helpers ---------------------------------------------------------------- */

static int sq_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return VR_ENOMEM;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return -EACCES;
    default:
        return -EIO;
    }
}

static int db_fail(struct vr_store *s, int rc, struct vr_errbuf *eb, const char *what)
{
    return vr_errbuf_set(eb, sq_code(rc), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *st(struct vr_store *s, enum stmt k)
{
    sqlite3_stmt *x = s->st[k];
    sqlite3_reset(x);
    sqlite3_clear_bindings(x);
    return x;
}

/* "46:740,0:8": sparse DSCP counts, small in the rollup rows. */
static void dscp_encode(const uint64_t c[64], char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int d = 0; d < 64 && o < len; d++) {
        if (c[d] == 0)
            continue;
        int k =
            snprintf(buf + o, len - o, "%s%d:%llu", o > 0 ? "," : "", d, (unsigned long long)c[d]);
        if (k < 0 || (size_t)k >= len - o)
            break;
        o += (size_t)k;
    }
}

/* ---- open, migrate, close -------------------------------------------------------------------- */

static int exec(struct vr_store *s, const char *sql, struct vr_errbuf *eb, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int err = vr_errbuf_set(eb, sq_code(rc), "%s: %s: %s", s->path, what,
                                msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return err;
    }
    return 0;
}

static int migrate(struct vr_store *s, struct vr_errbuf *eb)
{
    int err = exec(s, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", eb,
                   "creating schema_version");
    if (err < 0)
        return err;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
                                &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, eb, "reading schema_version");
    rc = sqlite3_step(q);
    int64_t have = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    if (have < 0)
        return db_fail(s, rc, eb, "reading schema_version");
    if (have > (int64_t)N_MIGRATIONS)
        return vr_errbuf_set(eb, VR_EVERSION,
                             "%s: schema version %lld is newer than this collector's (%zu): "
                             "upgrade voiceready-collector or use another --db",
                             s->path, (long long)have, N_MIGRATIONS);
    for (size_t v = (size_t)have; v < N_MIGRATIONS; v++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES (%zu)", v + 1);
        if ((err = exec(s, "BEGIN IMMEDIATE", eb, "starting a migration")) < 0)
            return err;
        if ((err = exec(s, migrations[v], eb, "migrating the schema")) < 0 ||
            (err = exec(s, sql, eb, "recording the schema version")) < 0 ||
            (err = exec(s, "COMMIT", eb, "committing a migration")) < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    return 0;
}

int vr_store_open(const char *path, const struct vr_store_options *opt, struct vr_store **out,
                  struct vr_errbuf *eb)
{
    *out = NULL;
    if (path == NULL || path[0] == 0 || strlen(path) >= sizeof(((struct vr_store *)0)->path))
        return vr_errbuf_set(eb, VR_EINVAL, "--db: expected a file path of 1 to 255 bytes");
    struct vr_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", path);
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->ph.size = sizeof(struct ph_acc);
    s->sh.size = sizeof(struct sh_acc);
    s->fg.size = sizeof(struct fg_acc);
    s->runs.size = sizeof(struct run_acc);
    s->seen.size = sizeof(struct seen_acc);
    s->thr_sites.size = sizeof(struct site_thr);
    if (opt != NULL)
        s->opt = *opt;
    if (s->opt.retention_days == 0)
        s->opt.retention_days = 30;
    if (s->opt.rollup_days == 0)
        s->opt.rollup_days = 400;
    if (s->opt.thresholds != NULL)
        s->thr = *s->opt.thresholds;
    else
        vr_thresholds_by_name("client", &s->thr, NULL);
    s->opt.thresholds = NULL; /* not kept: we hold a copy */

    int err;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        err = vr_errbuf_set(eb, sq_code(rc), "%s: cannot open: %s", path,
                            s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* 16 KiB pages: a record row with its raw JSON is about 1.4 KB, and 4 KiB pages hold only
     * two of them (a third of each page wasted). Takes effect only on a new, empty file. */
    if ((err = exec(s, "PRAGMA page_size=16384", eb, "setting the page size")) < 0)
        goto fail;
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &q, NULL);
    if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW || strcmp(col_text(q, 0), "wal") != 0) {
        sqlite3_finalize(q);
        err = vr_errbuf_set(eb, -EIO, "%s: cannot switch to WAL: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_finalize(q);
    /* NORMAL: in WAL mode a crash can lose the last commits but never corrupts; the agent keeps
     * every record spooled until acknowledged, and acknowledges only after our commit returns. */
    if ((err = exec(s,
                    "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                    "PRAGMA cache_size=-65536",
                    eb, "setting pragmas")) < 0)
        goto fail;
    /* foreign keys are switched on after migrating: migration 2 rebuilds a parent table */
    if ((err = migrate(s, eb)) < 0 ||
        (err = exec(s, "PRAGMA foreign_keys=ON", eb, "setting pragmas")) < 0)
        goto fail;
    for (size_t i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) {
            err = db_fail(s, rc, eb, "preparing a statement");
            goto fail;
        }
    }
    if ((err = vr__store_x_open(s, &s->x, eb)) < 0)
        goto fail;
    if (s->opt.checkpoint_thread && (err = vr__store_ckpt_start(s->db, path, &s->ckpt, eb)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    vr_store_close(s);
    return err;
}

void vr_store_close(struct vr_store *s)
{
    if (s == NULL)
        return;
    vr__store_ckpt_stop(s->ckpt, s->db);
    for (size_t i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    vr__store_x_close(s->x);
    sqlite3_close(s->db);
    cache_clear(&s->ids);
    free(s->ph.v);
    free(s->sh.v);
    free(s->fg.v);
    free(s->runs.v);
    free(s->seen.v);
    free(s->thr_sites.v);
    free(s);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

int vr_store_token_add(struct vr_store *s, const char *site, const uint8_t hash[32],
                       int64_t *id_out, struct vr_errbuf *eb)
{
    size_t len = strlen(site);
    if (len == 0 || len >= sizeof(((struct vr_token *)0)->site))
        return vr_errbuf_set(eb, VR_EINVAL, "--site: expected a name of 1 to 63 bytes");
    sqlite3_stmt *x = st(s, ST_TOKEN_ADD);
    sqlite3_bind_text(x, 1, site, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(x, 2, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(x, 3, (int64_t)vr_clock_wall_ns());
    int err = step_done(s, x, eb, "adding a token");
    if (err < 0)
        return err;
    *id_out = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static void token_fill(sqlite3_stmt *x, struct vr_token *t, bool with_revoked)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(x, 0);
    snprintf(t->site, sizeof(t->site), "%s", col_text(x, 1));
    t->created_wall_ns = col_u64(x, 2);
    t->revoked = with_revoked && sqlite3_column_int(x, 3) != 0;
}

int vr_store_token_find(struct vr_store *s, const uint8_t hash[32], struct vr_token *out)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_FIND);
    sqlite3_bind_blob(x, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(x);
    if (rc == SQLITE_ROW)
        token_fill(x, out, false);
    sqlite3_reset(x);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? VR_ENOTFOUND : sq_code(rc);
}

int vr_store_token_revoke(struct vr_store *s, int64_t id, struct vr_errbuf *eb)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_REVOKE);
    sqlite3_bind_int64(x, 1, id);
    int err = step_done(s, x, eb, "revoking a token");
    if (err < 0)
        return err;
    if (sqlite3_changes(s->db) == 0)
        return vr_errbuf_set(eb, VR_ENOTFOUND, "token %lld: no such token (see token list)",
                             (long long)id);
    return 0;
}

int vr_store_token_list(struct vr_store *s, void (*cb)(void *arg, const struct vr_token *t),
                        void *arg, struct vr_errbuf *eb)
{
    sqlite3_stmt *x = st(s, ST_TOKEN_LIST);
    int rc;
    while ((rc = sqlite3_step(x)) == SQLITE_ROW) {
        struct vr_token t;
        token_fill(x, &t, true);
        cb(arg, &t);
    }
    sqlite3_reset(x);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "listing tokens");
}

/* ---- ingest: ids ----------------------------------------------------------------------------- */

/* Looks up (q bound by the caller) or inserts (a bound by the caller) and returns the row id. */
static int get_or_add(struct vr_store *s, sqlite3_stmt *q, sqlite3_stmt *a, int64_t *id,
                      struct vr_errbuf *eb, const char *what)
{
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        return 0;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, eb, what);
    int err = step_done(s, a, eb, what);
    if (err < 0)
        return err;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int site_id_of(struct vr_store *s, const char *site, uint64_t seen_ns, int64_t *id,
                      struct vr_errbuf *eb)
{
    char key[80];
    snprintf(key, sizeof(key), "s%s", site);
    if (cache_get(&s->ids, key, id))
        return 0;
    sqlite3_stmt *q = st(s, ST_SITE_GET), *a = st(s, ST_SITE_ADD);
    bind_text(q, 1, site, 64);
    bind_text(a, 1, site, 64);
    sqlite3_bind_int64(a, 2, (int64_t)seen_ns);
    int err = get_or_add(s, q, a, id, eb, "adding a site");
    if (err == 0)
        cache_put(&s->ids, key, *id);
    return err;
}

static int move_agent(struct vr_store *s, int64_t id, int64_t site_id, struct vr_errbuf *eb)
{
    sqlite3_stmt *m = st(s, ST_AGENT_MOVE);
    sqlite3_bind_int64(m, 1, id);
    sqlite3_bind_int64(m, 2, site_id);
    return step_done(s, m, eb, "moving an agent");
}

/* Cached as "a<name>" -> id and "A<name>" -> its site, so that a move (and a move back) is seen. */
static int agent_id_of(struct vr_store *s, const char *agent, int64_t site_id, int64_t *id,
                       struct vr_errbuf *eb)
{
    char key[80], skey[80];
    int64_t cur_site;
    int err;
    snprintf(key, sizeof(key), "a%s", agent);
    snprintf(skey, sizeof(skey), "A%s", agent);
    if (cache_get(&s->ids, key, id) && cache_get(&s->ids, skey, &cur_site)) {
        if (cur_site == site_id)
            return 0;
        if ((err = move_agent(s, *id, site_id, eb)) < 0)
            return err;
        cache_put(&s->ids, skey, site_id);
        return 0;
    }
    sqlite3_stmt *q = st(s, ST_AGENT_GET);
    bind_text(q, 1, agent, 64);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        int64_t old_site = sqlite3_column_int64(q, 1);
        sqlite3_reset(q);
        if (old_site != site_id && (err = move_agent(s, *id, site_id, eb)) < 0)
            return err;
    } else {
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            return db_fail(s, rc, eb, "looking up an agent");
        sqlite3_stmt *a = st(s, ST_AGENT_ADD);
        bind_text(a, 1, agent, 64);
        sqlite3_bind_int64(a, 2, site_id);
        if ((err = step_done(s, a, eb, "adding an agent")) < 0)
            return err;
        *id = sqlite3_last_insert_rowid(s->db);
    }
    cache_put(&s->ids, key, *id);
    cache_put(&s->ids, skey, site_id);
    return 0;
}

static int path_id_of(struct vr_store *s, int64_t site_id, const struct vr_record *r, int64_t *id,
                      struct vr_errbuf *eb)
{
    char key[192];
    snprintf(key, sizeof(key), "p%lld|%s|%s|%s", (long long)site_id, r->cls, r->link, r->target);
    if (cache_get(&s->ids, key, id))
        return 0;
    sqlite3_stmt *q = st(s, ST_PATH_GET), *a = st(s, ST_PATH_ADD);
    sqlite3_bind_int64(q, 1, site_id);
    bind_text(q, 2, r->cls, sizeof(r->cls));
    bind_text(q, 3, r->target, sizeof(r->target));
    bind_text(q, 4, r->link, sizeof(r->link));
    sqlite3_bind_int64(a, 1, site_id);
    bind_text(a, 2, r->cls, sizeof(r->cls));
    bind_text(a, 3, r->target, sizeof(r->target));
    bind_text(a, 4, r->link, sizeof(r->link));
    sqlite3_bind_int(a, 5, r->dscp);
    int err = get_or_add(s, q, a, id, eb, "adding a path");
    if (err == 0)
        cache_put(&s->ids, key, *id);
    return err;
}

/* "<prefix>-<cls>-<epoch>" with a decimal epoch without leading zeros: the only ids the
 * high-water mark may vouch for. Anything else goes to the exact lookup. */
static bool parse_rid(const char *id, char prefix[64], char cls[16], int64_t *epoch)
{
    const char *d2 = strrchr(id, '-');
    if (d2 == NULL || d2 == id || d2[1] == 0 || (d2[1] == '0' && d2[2] != 0))
        return false;
    size_t ne = strlen(d2 + 1);
    if (ne > 12 || strspn(d2 + 1, "0123456789") != ne)
        return false;
    const char *d1 = d2 - 1;
    while (d1 > id && *d1 != '-')
        d1--;
    if (d1 == id || (size_t)(d2 - d1 - 1) >= 16 || d2 - d1 - 1 == 0)
        return false;
    memcpy(prefix, id, (size_t)(d1 - id));
    prefix[d1 - id] = 0;
    memcpy(cls, d1 + 1, (size_t)(d2 - d1 - 1));
    cls[d2 - d1 - 1] = 0;
    *epoch = strtoll(d2 + 1, NULL, 10);
    return true;
}

static int run_hwm(struct vr_store *s, int64_t agent_id, const char *prefix, const char *cls,
                   const char *key, int64_t *hwm, struct vr_errbuf *eb)
{
    if (cache_get(&s->ids, key, hwm))
        return 0;
    sqlite3_stmt *q = st(s, ST_RUN_GET);
    sqlite3_bind_int64(q, 1, agent_id);
    bind_text(q, 2, prefix, 64);
    bind_text(q, 3, cls, 16);
    int rc = sqlite3_step(q);
    *hwm = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(s, rc, eb, "reading a high-water mark");
    cache_put(&s->ids, key, *hwm);
    return 0;
}

/* 1 when (agent, id) is already stored, 0 when not. */
static int is_dup(struct vr_store *s, const struct vr_record *r, int64_t site_id, int64_t agent_id,
                  struct vr_errbuf *eb)
{
    char prefix[64], cls[16], key[128];
    int64_t epoch, hwm = -1;
    bool parsed = parse_rid(r->id, prefix, cls, &epoch);
    if (parsed) {
        snprintf(key, sizeof(key), "r%lld|%s|%s", (long long)agent_id, prefix, cls);
        int err = run_hwm(s, agent_id, prefix, cls, key, &hwm, eb);
        if (err < 0)
            return err;
        if (epoch > hwm) {
            cache_put(&s->ids, key, epoch);
            struct run_acc *ra = NULL;
            for (size_t i = s->runs.n; i-- > 0;) {
                struct run_acc *x = (struct run_acc *)s->runs.v + i;
                if (x->agent_id == agent_id && strcmp(x->prefix, prefix) == 0 &&
                    strcmp(x->cls, cls) == 0) {
                    ra = x;
                    break;
                }
            }
            if (ra == NULL && (ra = vec_push(&s->runs)) == NULL)
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            ra->agent_id = agent_id;
            memcpy(ra->prefix, prefix, sizeof(prefix));
            memcpy(ra->cls, cls, sizeof(cls));
            ra->hwm = epoch;
            return 0;
        }
    }
    sqlite3_stmt *q = st(s, ST_REC_DUP);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, (int64_t)r->start_wall_ns);
    sqlite3_bind_int64(q, 3, agent_id);
    bind_text(q, 4, r->id, sizeof(r->id));
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, eb, "looking up a record id");
    return 0;
}

/* ---- ingest: rollups ------------------------------------------------------------------------- */

static void add_sum(double *sum, int64_t *n, double v)
{
    if (isfinite(v)) {
        *sum += v;
        if (n != NULL)
            (*n)++;
    }
}

/* The rollup side of vr_verdict_acc_add, kept per hour: what the interval adds is decided by
 * vr_verdict_step_of (common/score.c), the store only files it by site, path and hour. */
static int accumulate(struct vr_store *s, const struct vr_record *r, const struct vr_finding *f,
                      size_t nf, double weight, int64_t site_id, int64_t path_id,
                      struct vr_errbuf *eb)
{
    int64_t hour = (int64_t)(r->start_wall_ns / HOUR_NS);
    struct vr_verdict_step v;
    vr_verdict_step_of(&v, r, f, nf, weight);
    if (!v.counted)
        return 0;
    const struct vr_verdict_counts *vc = &v.counts;
    int64_t mk = v.marked ? 1 : 0;
    enum vr_class c;
    int64_t ci = vr_class_by_name(r->cls, &c) == 0 ? (int64_t)c : VR_CLASS_COUNT;

    for (size_t i = 0; i < v.n_groups; i++) {
        const struct vr_verdict_group *x = &v.groups[i];
        int64_t li = x->level == VR_LEVEL_FAIL ? 0 : 1;
        struct fg_acc *g = NULL;
        for (size_t k = s->fg.n; k-- > 0;) {
            struct fg_acc *y = (struct fg_acc *)s->fg.v + k;
            if (y->site_id == site_id && y->hour == hour && y->mk == mk && y->ci == ci &&
                y->metric == (int64_t)x->metric && y->dir == (int64_t)x->dir && y->lvl == li) {
                g = y;
                break;
            }
        }
        if (g == NULL) {
            if ((g = vec_push(&s->fg)) == NULL)
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            g->site_id = site_id;
            g->hour = hour;
            g->mk = mk;
            g->ci = ci;
            g->metric = (int64_t)x->metric;
            g->dir = (int64_t)x->dir;
            g->lvl = li;
        }
        vr_verdict_group_merge(&g->g, x);
    }

    struct sh_acc *h = s->sh.n > 0 ? (struct sh_acc *)s->sh.v + s->sh.n - 1 : NULL;
    if (h == NULL || h->site_id != site_id || h->hour != hour || h->mk != mk) {
        h = NULL;
        for (size_t k = 0; k < s->sh.n; k++) {
            struct sh_acc *y = (struct sh_acc *)s->sh.v + k;
            if (y->site_id == site_id && y->hour == hour && y->mk == mk) {
                h = y;
                break;
            }
        }
        if (h == NULL) {
            if ((h = vec_push(&s->sh)) == NULL)
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            h->site_id = site_id;
            h->hour = hour;
            h->mk = mk;
        }
    }
    h->intervals += (int64_t)vc->intervals;
    h->passed += (int64_t)vc->passed;
    h->failed += (int64_t)vc->failed;
    h->warned += (int64_t)vc->warned;
    h->weight += vc->weight;
    h->weight_passed += vc->weight_passed;
    h->marks_rewritten |= vc->marks_rewritten;

    struct ph_acc *p = NULL;
    for (size_t k = s->ph.n; k-- > 0;) {
        struct ph_acc *y = (struct ph_acc *)s->ph.v + k;
        if (y->path_id == path_id && y->hour == hour) {
            p = y;
            break;
        }
    }
    if (p == NULL) {
        if ((p = vec_push(&s->ph)) == NULL)
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        p->path_id = path_id;
        p->hour = hour;
    }
    p->intervals += (int64_t)vc->intervals;
    p->passed += (int64_t)vc->passed;
    p->failed += (int64_t)vc->failed;
    p->warned += (int64_t)vc->warned;
    p->weight += vc->weight;
    p->weight_passed += vc->weight_passed;
    p->n++;
    add_sum(&p->loss_fwd, NULL, r->loss_fwd_pct);
    add_sum(&p->loss_rev, NULL, r->loss_rev_pct);
    add_sum(&p->rtt, NULL, r->rtt_ms.mean);
    add_sum(&p->jitter_fwd, NULL, r->jitter_fwd_ms);
    add_sum(&p->jitter_rev, NULL, r->jitter_rev_ms);
    if (r->mos > 0.0)
        add_sum(&p->mos, &p->mos_n, r->mos);
    for (int d = 0; d < 64; d++) {
        p->dscp_fwd[d] += r->dscp_fwd[d];
        p->dscp_rev[d] += r->dscp_rev[d];
    }
    return 0;
}

static int flush_rollups(struct vr_store *s, struct vr_errbuf *eb)
{
    int err, rc;
    for (size_t i = 0; i < s->ph.n; i++) {
        struct ph_acc *p = (struct ph_acc *)s->ph.v + i;
        sqlite3_stmt *q = st(s, ST_PH_GET);
        sqlite3_bind_int64(q, 1, p->path_id);
        sqlite3_bind_int64(q, 2, p->hour);
        if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            p->intervals += sqlite3_column_int64(q, 0);
            p->passed += sqlite3_column_int64(q, 1);
            p->failed += sqlite3_column_int64(q, 2);
            p->warned += sqlite3_column_int64(q, 3);
            p->weight += sqlite3_column_double(q, 4);
            p->weight_passed += sqlite3_column_double(q, 5);
            p->n += sqlite3_column_int64(q, 6);
            p->loss_fwd += sqlite3_column_double(q, 7);
            p->loss_rev += sqlite3_column_double(q, 8);
            p->rtt += sqlite3_column_double(q, 9);
            p->jitter_fwd += sqlite3_column_double(q, 10);
            p->jitter_rev += sqlite3_column_double(q, 11);
            p->mos += sqlite3_column_double(q, 12);
            p->mos_n += sqlite3_column_int64(q, 13);
            dscp_decode_add(col_text(q, 14), p->dscp_fwd);
            dscp_decode_add(col_text(q, 15), p->dscp_rev);
        }
        sqlite3_reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(s, rc, eb, "reading an hourly rollup");
        char df[1400], dr[1400];
        dscp_encode(p->dscp_fwd, df, sizeof(df));
        dscp_encode(p->dscp_rev, dr, sizeof(dr));
        sqlite3_stmt *x = st(s, ST_PH_PUT);
        int64_t iv[] = {p->path_id, p->hour, p->intervals, p->passed, p->failed, p->warned, 0, 0};
        for (int k = 0; k < 6; k++)
            sqlite3_bind_int64(x, k + 1, iv[k]);
        sqlite3_bind_double(x, 7, p->weight);
        sqlite3_bind_double(x, 8, p->weight_passed);
        sqlite3_bind_int64(x, 9, p->n);
        double dv[] = {p->loss_fwd, p->loss_rev, p->rtt, p->jitter_fwd, p->jitter_rev, p->mos};
        for (int k = 0; k < 6; k++)
            sqlite3_bind_double(x, k + 10, dv[k]);
        sqlite3_bind_int64(x, 16, p->mos_n);
        sqlite3_bind_text(x, 17, df, -1, SQLITE_STATIC);
        sqlite3_bind_text(x, 18, dr, -1, SQLITE_STATIC);
        if ((err = step_done(s, x, eb, "writing an hourly rollup")) < 0)
            return err;
    }
    for (size_t i = 0; i < s->sh.n; i++) {
        struct sh_acc *h = (struct sh_acc *)s->sh.v + i;
        sqlite3_stmt *q = st(s, ST_SH_GET);
        sqlite3_bind_int64(q, 1, h->site_id);
        sqlite3_bind_int64(q, 2, h->hour);
        sqlite3_bind_int64(q, 3, h->mk);
        if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            h->intervals += sqlite3_column_int64(q, 0);
            h->passed += sqlite3_column_int64(q, 1);
            h->failed += sqlite3_column_int64(q, 2);
            h->warned += sqlite3_column_int64(q, 3);
            h->weight += sqlite3_column_double(q, 4);
            h->weight_passed += sqlite3_column_double(q, 5);
            h->marks_rewritten |= sqlite3_column_int(q, 6) != 0;
        }
        sqlite3_reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(s, rc, eb, "reading a site rollup");
        sqlite3_stmt *x = st(s, ST_SH_PUT);
        int64_t iv[] = {h->site_id, h->hour, h->mk, h->intervals, h->passed, h->failed, h->warned};
        for (int k = 0; k < 7; k++)
            sqlite3_bind_int64(x, k + 1, iv[k]);
        sqlite3_bind_double(x, 8, h->weight);
        sqlite3_bind_double(x, 9, h->weight_passed);
        sqlite3_bind_int(x, 10, h->marks_rewritten ? 1 : 0);
        if ((err = step_done(s, x, eb, "writing a site rollup")) < 0)
            return err;
    }
    for (size_t i = 0; i < s->fg.n; i++) {
        struct fg_acc *g = (struct fg_acc *)s->fg.v + i;
        int64_t key[] = {g->site_id, g->hour, g->mk, g->ci, g->metric, g->dir, g->lvl};
        sqlite3_stmt *q = st(s, ST_FG_GET);
        for (int k = 0; k < 7; k++)
            sqlite3_bind_int64(q, k + 1, key[k]);
        struct vr_verdict_group *m = &g->g;
        struct vr_verdict_group row = {0};
        if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            /* the row holds the earlier part of this hour: it goes first (ties keep it) */
            snprintf(row.cls, sizeof(row.cls), "%s", col_text(q, 0));
            row.count = col_u64(q, 1);
            row.worst = sqlite3_column_double(q, 2);
            row.severity = sqlite3_column_double(q, 3);
            row.first_start_ns = col_u64(q, 4);
            row.last_end_ns = col_u64(q, 5);
            row.dscp = sqlite3_column_int(q, 6);
            row.dscp_seen = sqlite3_column_int(q, 7);
            vr_verdict_group_merge(&row, &g->g);
            m = &row;
        }
        sqlite3_reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(s, rc, eb, "reading a failure group");
        sqlite3_stmt *x = st(s, ST_FG_PUT);
        for (int k = 0; k < 7; k++)
            sqlite3_bind_int64(x, k + 1, key[k]);
        bind_text(x, 8, m->cls, sizeof(m->cls));
        sqlite3_bind_int64(x, 9, (int64_t)m->count);
        sqlite3_bind_double(x, 10, m->worst);
        sqlite3_bind_double(x, 11, m->severity);
        sqlite3_bind_int64(x, 12, (int64_t)m->first_start_ns);
        sqlite3_bind_int64(x, 13, (int64_t)m->last_end_ns);
        sqlite3_bind_int(x, 14, m->dscp);
        sqlite3_bind_int(x, 15, m->dscp_seen);
        if ((err = step_done(s, x, eb, "writing a failure group")) < 0)
            return err;
    }
    for (size_t i = 0; i < s->runs.n; i++) {
        struct run_acc *ra = (struct run_acc *)s->runs.v + i;
        sqlite3_stmt *x = st(s, ST_RUN_PUT);
        sqlite3_bind_int64(x, 1, ra->agent_id);
        bind_text(x, 2, ra->prefix, sizeof(ra->prefix));
        bind_text(x, 3, ra->cls, sizeof(ra->cls));
        sqlite3_bind_int64(x, 4, ra->hwm);
        sqlite3_bind_int64(x, 5, (int64_t)vr_clock_wall_ns());
        if ((err = step_done(s, x, eb, "writing a high-water mark")) < 0)
            return err;
    }
    for (size_t i = 0; i < s->seen.n; i++) {
        struct seen_acc *sa = (struct seen_acc *)s->seen.v + i;
        sqlite3_stmt *x = st(s, ST_SITE_SEEN);
        sqlite3_bind_int64(x, 1, sa->site_id);
        sqlite3_bind_int64(x, 2, (int64_t)sa->last_ns);
        if ((err = step_done(s, x, eb, "updating a site")) < 0)
            return err;
    }
    return 0;
}

static int site_seen(struct vr_store *s, int64_t site_id, uint64_t end_ns, struct vr_errbuf *eb)
{
    for (size_t k = s->seen.n; k-- > 0;) {
        struct seen_acc *y = (struct seen_acc *)s->seen.v + k;
        if (y->site_id == site_id) {
            if (end_ns > y->last_ns)
                y->last_ns = end_ns;
            return 0;
        }
    }
    struct seen_acc *y = vec_push(&s->seen);
    if (y == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    y->site_id = site_id;
    y->last_ns = end_ns;
    return 0;
}

/* ---- ingest ---------------------------------------------------------------------------------- */

static int check_record(const struct vr_record *r, size_t i, struct vr_errbuf *eb)
{
    const char *bad = NULL;
    if (!bounded(r->id, sizeof(r->id)) || r->id[0] == 0)
        bad = "id";
    else if (!bounded(r->agent, sizeof(r->agent)) || r->agent[0] == 0)
        bad = "agent";
    else if (!bounded(r->site, sizeof(r->site)) || r->site[0] == 0)
        bad = "site";
    else if (!bounded(r->target, sizeof(r->target)))
        bad = "target";
    else if (!bounded(r->link, sizeof(r->link)))
        bad = "link";
    else if (!bounded(r->cls, sizeof(r->cls)) || r->cls[0] == 0)
        bad = "class";
    else if (r->type != VR_RECORD_INTERVAL && r->type != VR_RECORD_SUMMARY)
        bad = "type";
    else if (r->dscp < 0 || r->dscp > 63)
        bad = "dscp";
    else if (r->start_wall_ns > (uint64_t)INT64_MAX)
        bad = "start";
    if (bad != NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "record %zu: field \"%s\" missing or too long", i + 1,
                             bad);
    return 0;
}

/* Borrowed, valid until the next call. Site ids are never reused, so entries never go stale. */
static const struct vr_thresholds *thresholds_of(struct vr_store *s, int64_t site_id,
                                                 const char *site, struct vr_errbuf *eb)
{
    struct site_thr *v = s->thr_sites.v;
    if (s->opt.site_thresholds == NULL)
        return &s->thr;
    if (s->thr_last < s->thr_sites.n && v[s->thr_last].site_id == site_id)
        return &v[s->thr_last].t;
    for (size_t i = 0; i < s->thr_sites.n; i++) {
        if (v[i].site_id == site_id) {
            s->thr_last = i;
            return &v[i].t;
        }
    }
    struct site_thr *e = vec_push(&s->thr_sites);
    if (e == NULL) {
        vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        return NULL;
    }
    e->site_id = site_id;
    if (s->opt.site_thresholds(s->opt.site_thresholds_arg, site, &e->t) < 0)
        e->t = s->thr;
    s->thr_last = s->thr_sites.n - 1;
    return &e->t;
}

static int ingest_one(struct vr_store *s, const struct vr_record *rec, const char *raw,
                      double weight, bool *stored, struct vr_errbuf *eb)
{
    int64_t site_id, agent_id, path_id;
    uint64_t end_ns = rec->start_wall_ns;
    if (isfinite(rec->duration_s) && rec->duration_s > 0.0 && rec->duration_s < 1e7)
        end_ns += (uint64_t)(rec->duration_s * 1e9);
    int err;
    if ((err = site_id_of(s, rec->site, end_ns, &site_id, eb)) < 0 ||
        (err = agent_id_of(s, rec->agent, site_id, &agent_id, eb)) < 0 ||
        (err = path_id_of(s, site_id, rec, &path_id, eb)) < 0)
        return err;
    if ((err = is_dup(s, rec, site_id, agent_id, eb)) < 0)
        return err;
    *stored = err == 0;
    if (!*stored)
        return 0;
    if ((err = site_seen(s, site_id, end_ns, eb)) < 0)
        return err;

    /* judged again here so that the rollups hold the findings, not only the verdict */
    struct vr_record r;
    memcpy(&r, rec, sizeof(r));
    struct vr_finding f[VR_SCORE_MAX_FINDINGS];
    const struct vr_thresholds *thr = thresholds_of(s, site_id, rec->site, eb);
    if (thr == NULL)
        return VR_ENOMEM;
    size_t nf = vr_score_interval(&r, thr, f, VR_SCORE_MAX_FINDINGS);

    char *dumped = NULL;
    if (raw == NULL) {
        json_t *j = vr_record_to_json(rec);
        dumped = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (dumped == NULL)
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        raw = dumped;
    }
    sqlite3_stmt *x = st(s, ST_REC_ADD);
    sqlite3_bind_int64(x, 1, site_id);
    sqlite3_bind_int64(x, 2, agent_id);
    sqlite3_bind_int64(x, 3, path_id);
    sqlite3_bind_int(x, 4, (int)r.type);
    bind_text(x, 5, r.id, sizeof(r.id));
    sqlite3_bind_int64(x, 6, (int64_t)r.start_wall_ns);
    bind_real(x, 7, r.duration_s);
    sqlite3_bind_int64(x, 8, r.calls);
    sqlite3_bind_int(x, 9, (int)r.verdict);
    sqlite3_bind_int64(x, 10, (int64_t)(r.sent > INT64_MAX ? INT64_MAX : r.sent));
    bind_real(x, 11, r.loss_fwd_pct);
    bind_real(x, 12, r.loss_rev_pct);
    bind_real(x, 13, r.loss_pct);
    bind_real(x, 14, r.rtt_ms.mean);
    bind_real(x, 15, r.rtt_ms.p95);
    bind_real(x, 16, r.jitter_fwd_ms);
    bind_real(x, 17, r.jitter_rev_ms);
    bind_real(x, 18, r.mos);
    sqlite3_bind_text(x, 19, raw, -1, SQLITE_STATIC);
    err = step_done(s, x, eb, "storing a record");
    free(dumped);
    if (err < 0)
        return err;
    /* summaries repeat what their intervals already counted; unjudged or weightless
     * intervals are not counted (as vr_verdict_acc_add) */
    if (r.type != VR_RECORD_INTERVAL || r.sent == 0 || !(weight > 0.0) || !isfinite(weight))
        return 0;
    return accumulate(s, &r, f, nf, weight, site_id, path_id, eb);
}

int vr_store_ingest(struct vr_store *s, const struct vr_record *recs, const char *const *raw,
                    const double *weight, size_t n, bool *stored, struct vr_errbuf *eb)
{
    return vr_store_ingest_all(s, recs, raw, weight, n, stored, NULL, 0, NULL, eb);
}

int vr_store_ingest_all(struct vr_store *s, const struct vr_record *recs, const char *const *raw,
                        const double *weight, size_t n, bool *stored, const struct vr_xrecord *xr,
                        size_t nx, bool *xstored, struct vr_errbuf *eb)
{
    int err;
    for (size_t i = 0; i < n; i++) {
        stored[i] = false;
        if ((err = check_record(&recs[i], i, eb)) < 0)
            return err;
    }
    for (size_t i = 0; i < nx; i++)
        xstored[i] = false;
    s->ph.n = s->sh.n = s->fg.n = s->runs.n = s->seen.n = 0;
    sqlite3_stmt *b = st(s, ST_BEGIN);
    if ((err = step_done(s, b, eb, "starting an ingest transaction")) < 0)
        return err;
    for (size_t i = 0; i < n; i++) {
        if ((err = ingest_one(s, &recs[i], raw != NULL ? raw[i] : NULL,
                              weight != NULL ? weight[i] : 1.0, &stored[i], eb)) < 0)
            goto fail;
    }
    if (nx > 0 && (err = vr__store_x_ingest(s, s->x, xr, nx, xstored, eb)) < 0)
        goto fail;
    if ((err = flush_rollups(s, eb)) < 0)
        goto fail;
    if ((err = step_done(s, st(s, ST_COMMIT), eb, "committing an ingest")) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_step(st(s, ST_ROLLBACK));
    sqlite3_reset(s->st[ST_ROLLBACK]);
    /* ids and high-water marks of the rolled back rows must not survive in the cache, nor the
     * thresholds of a rolled back site id (SQLite may hand the id to another site) */
    cache_clear(&s->ids);
    s->thr_sites.n = 0;
    for (size_t i = 0; i < n; i++)
        stored[i] = false;
    for (size_t i = 0; i < nx; i++)
        xstored[i] = false;
    return err;
}

/* ---- retention ------------------------------------------------------------------------------- */

int vr_store_prune(struct vr_store *s, uint64_t now_wall_ns, struct vr_errbuf *eb)
{
    uint64_t raw_keep = (uint64_t)s->opt.retention_days * DAY_NS;
    uint64_t roll_keep = (uint64_t)s->opt.rollup_days * DAY_NS;
    int64_t raw_cut = now_wall_ns > raw_keep ? (int64_t)(now_wall_ns - raw_keep) : 0;
    int64_t roll_hour =
        now_wall_ns > roll_keep ? (int64_t)((now_wall_ns - roll_keep) / HOUR_NS) : 0;
    int err, rc;
    /* site by site so that each delete walks the (site_id, start_ns) index */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *q = st(s, ST_SITE_LIST);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            int64_t *ni = realloc(ids, cap * sizeof(*ids));
            if (ni == NULL) {
                sqlite3_reset(q);
                free(ids);
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            }
            ids = ni;
        }
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        free(ids);
        return db_fail(s, rc, eb, "listing sites");
    }
    /* one transaction per site: a day of 1,000 sites is gigabytes of rows, and one transaction
     * for all would grow the WAL by as much; ingest waits only for one site's share */
    for (size_t i = 0; i < n; i++) {
        static const struct {
            enum stmt k;
            const char *what;
        } del[] = {{ST_PRUNE_REC, "pruning records"},
                   {ST_PRUNE_SH, "pruning site rollups"},
                   {ST_PRUNE_FG, "pruning failure groups"},
                   {ST_PRUNE_PH, "pruning path rollups"}};
        if ((err = step_done(s, st(s, ST_BEGIN), eb, "starting a prune")) < 0) {
            free(ids);
            return err;
        }
        for (size_t k = 0; k < sizeof(del) / sizeof(del[0]); k++) {
            sqlite3_stmt *x = st(s, del[k].k);
            sqlite3_bind_int64(x, 1, ids[i]);
            sqlite3_bind_int64(x, 2, del[k].k == ST_PRUNE_REC ? raw_cut : roll_hour);
            if ((err = step_done(s, x, eb, del[k].what)) < 0)
                goto fail;
        }
        if ((err = step_done(s, st(s, ST_COMMIT), eb, "committing a prune")) < 0)
            goto fail;
    }
    /* a run whose records are all past retention needs no high-water mark any more */
    sqlite3_stmt *x = st(s, ST_PRUNE_RUNS);
    sqlite3_bind_int64(x, 1, raw_cut);
    if ((err = step_done(s, x, eb, "pruning high-water marks")) < 0) {
        free(ids);
        cache_clear(&s->ids);
        return err;
    }
    free(ids);
    cache_clear(&s->ids);
    return vr__store_x_prune(s, s->x, raw_cut, eb);
fail:
    sqlite3_step(st(s, ST_ROLLBACK));
    sqlite3_reset(s->st[ST_ROLLBACK]);
    cache_clear(&s->ids);
    free(ids);
    return err;
}

/* ---- what store_sqlite_extra.c needs (store_int.h) ------------------------------------------ */

sqlite3 *vr__store_db(struct vr_store *s)
{
    return s->db;
}

const char *vr__store_path(struct vr_store *s)
{
    return s->path;
}

const struct vr_store_options *vr__store_opt(struct vr_store *s)
{
    return &s->opt;
}

int vr__store_fail(struct vr_store *s, int rc, struct vr_errbuf *eb, const char *what)
{
    return db_fail(s, rc, eb, what);
}

sqlite3_stmt *vr__store_st(struct vr_store *s, enum stmt k)
{
    return st(s, k);
}

struct vr__store_x *vr__store_xs(struct vr_store *s)
{
    return s->x;
}

int vr__store_ids(struct vr_store *s, const char *site, const char *agent, uint64_t seen_ns,
                  int64_t *site_id, int64_t *agent_id, struct vr_errbuf *eb)
{
    int err = site_id_of(s, site, seen_ns, site_id, eb);
    if (err == 0)
        err = agent_id_of(s, agent, *site_id, agent_id, eb);
    if (err == 0)
        err = site_seen(s, *site_id, seen_ns, eb);
    return err;
}
