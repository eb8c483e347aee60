/* store_int: the private parts of the SQLite backend of store.h, shared by its four files,
 * one job each:
 * - store_sqlite.c: open, all schema migrations, the statement table, close, tokens, prune;
 * - store_sqlite_ingest.c: ingest of interval, summary, capacity and capture records, with the
 *   id caches, de-duplication and hourly rollups;
 * - store_sqlite_query.c: the read side (verdicts from rollups, site list, site detail, time
 *   series, per-link rows);
 * - store_sqlite_cap.c: capacity and capture reads: the capacity rule, the site page's capacity
 *   and capture rows.
 * One struct vr_store and one statement table (prepared at open) serve all four; small helpers
 * are inline here. Calls between the files go one way only: store_sqlite.c -> ingest
 * (vr__store_cache_clear), query -> cap. Nothing outside these files includes this header. Same
 * thread rules as store.h. */
#ifndef VR_STORE_INT_H
#define VR_STORE_INT_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "plan.h"
#include "profile.h"
#include "record.h"
#include "score.h"
#include "store.h"
#include "xrecord.h"

#define HOUR_NS           3600000000000ull
#define DAY_NS            (24ull * HOUR_NS)
#define SERIES_MAX_POINTS 10000
#define CACHE_MAX_ENTRIES (1u << 20) /* bounded: the cache is cleared when it reaches this */
#define SITE_MAX_SERIES   256
#define N_CLS             (VR_CLASS_COUNT + 1)
#define N_DIR             3
#define N_LVL             2

/* ---- statements: one table, SQL in store_sqlite.c -------------------------------------------- */

enum stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_TOKEN_ADD,
    ST_TOKEN_FIND,
    ST_TOKEN_REVOKE,
    ST_TOKEN_LIST,
    ST_SITE_GET,
    ST_SITE_ADD,
    ST_SITE_SEEN,
    ST_SITE_ROW,
    ST_SITE_LIST,
    ST_AGENT_GET,
    ST_AGENT_ADD,
    ST_AGENT_MOVE,
    ST_PATH_GET,
    ST_PATH_ADD,
    ST_RUN_GET,
    ST_RUN_PUT,
    ST_REC_DUP,
    ST_REC_ADD,
    ST_PH_GET,
    ST_PH_PUT,
    ST_SH_GET,
    ST_SH_PUT,
    ST_FG_GET,
    ST_FG_PUT,
    ST_Q_SH,
    ST_Q_FG,
    ST_Q_SH_ALL,
    ST_Q_FG_ALL,
    ST_Q_PATHS,
    ST_Q_FAILING,
    ST_Q_SERIES,
    ST_Q_OLDEST,
    ST_Q_SERIES_ROLL,
    ST_PRUNE_REC,
    ST_PRUNE_PH,
    ST_PRUNE_SH,
    ST_PRUNE_FG,
    ST_PRUNE_RUNS,
    ST_CAP_ADD,
    ST_CAP_STATE,
    ST_CAPT_ADD,
    ST_Q_CAPS,
    ST_Q_CAP_ONE,
    ST_Q_CAP_SITE,
    ST_Q_CAPTURES,
    ST_Q_LINKS,
    ST_PRUNE_CAPT,
    ST_AGENT_NOTE,
    ST_AGENT_SEEN,
    ST_Q_AGENTS,
    ST_Q_CLS,
    ST_Q_CLS_ALL,
    ST_COUNT
};

/* ---- the store ------------------------------------------------------------------------------- */

/* A vector of fixed-size entries (size set by its owner), grown by doubling. */
struct vec {
    void *v;
    size_t n, cap, size;
};

static inline void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t ncap = v->cap == 0 ? 16 : v->cap * 2;
        void *nv = realloc(v->v, ncap * v->size);
        if (nv == NULL)
            return NULL;
        v->v = nv;
        v->cap = ncap;
    }
    void *e = (char *)v->v + v->n * v->size;
    memset(e, 0, v->size);
    v->n++;
    return e;
}

/* A bounded string -> int64 cache (open addressing, FNV-1a), store_sqlite_ingest.c. */
struct cache_ent {
    char *key;
    uint64_t hash;
    int64_t val;
};

struct cache {
    struct cache_ent *e;
    size_t cap, n;
};

/* Batch accumulators of one ingest call (store_sqlite_ingest.c). */
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
    struct vec agents_seen; /* int64_t: agents of the batch, their last upload set at commit */
    struct vec thr_sites;   /* site_thr: thresholds by site, filled on first use */
    size_t thr_last;        /* index of the last used entry: a batch is one agent's, one site */
    struct vr__store_ckpt *ckpt; /* NULL unless opt.checkpoint_thread */
};

/* ---- small helpers --------------------------------------------------------------------------- */

static inline int sq_code(int rc)
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

static inline int db_fail(struct vr_store *s, int rc, struct vr_errbuf *eb, const char *what)
{
    return vr_errbuf_set(eb, sq_code(rc), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The prepared statement k, reset and unbound. */
static inline sqlite3_stmt *st(struct vr_store *s, enum stmt k)
{
    sqlite3_stmt *x = s->st[k];
    sqlite3_reset(x);
    sqlite3_clear_bindings(x);
    return x;
}

/* The window in hour buckets: hours that start in [now - window, now). */
static inline void window_hours(uint64_t now_ns, uint64_t window_ns, int64_t *from, int64_t *to)
{
    uint64_t start = window_ns < now_ns ? now_ns - window_ns : 0;
    *from = (int64_t)((start + HOUR_NS - 1) / HOUR_NS);
    *to = (int64_t)((now_ns + HOUR_NS - 1) / HOUR_NS);
}

static inline int step_done(struct vr_store *s, sqlite3_stmt *x, struct vr_errbuf *eb,
                            const char *what)
{
    int rc = sqlite3_step(x);
    sqlite3_reset(x);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, eb, what);
    return 0;
}

static inline void bind_text(sqlite3_stmt *x, int i, const char *t, size_t max)
{
    sqlite3_bind_text(x, i, t, (int)strnlen(t, max), SQLITE_STATIC);
}

static inline void bind_real(sqlite3_stmt *x, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(x, i, v);
    else
        sqlite3_bind_null(x, i);
}

static inline uint64_t col_u64(sqlite3_stmt *x, int i)
{
    int64_t v = sqlite3_column_int64(x, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static inline const char *col_text(sqlite3_stmt *x, int i)
{
    const unsigned char *t = sqlite3_column_text(x, i);
    return t == NULL ? "" : (const char *)t;
}

static inline bool bounded(const char *s, size_t size)
{
    return memchr(s, 0, size) != NULL;
}

static inline void dscp_decode_add(const char *t, uint64_t c[64])
{
    while (t != NULL && *t != 0) {
        char *end;
        unsigned long d = strtoul(t, &end, 10);
        if (*end != ':')
            return;
        unsigned long long n = strtoull(end + 1, &end, 10);
        if (d < 64)
            c[d] += n;
        t = *end == ',' ? end + 1 : NULL;
    }
}

static inline double col_num(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* The verdict column (0 pass, 1 warn, 2 fail). */
static inline enum vr_level level_of(int lv)
{
    return lv == 2 ? VR_LEVEL_FAIL : lv == 1 ? VR_LEVEL_WARN : VR_LEVEL_PASS;
}

static inline void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* ---- provided by store_sqlite_ingest.c --------------------------------------------------------
 */

/* Empties c (the id and high-water mark cache: after a prune or a rollback). */
void vr__store_cache_clear(struct cache *c);

/* ---- provided by store_sqlite_cap.c -----------------------------------------------------------
 */

/* Latest capacity of every site, for the site list: sorted by site_id. Caller frees *out. */
struct vr__site_cap {
    int64_t site_id;
    uint32_t calls;
};
int vr__store_caps(struct vr_store *s, struct vr__site_cap **out, size_t *n, struct vr_errbuf *eb);
/* Looks up one site's latest capacity (caps NULL) or finds it in caps, and judges it. */
int vr__store_capacity(struct vr_store *s, int64_t site_id, const char *site,
                       const struct vr__site_cap *caps, size_t n_caps,
                       struct vr_store_capacity *out, struct vr_errbuf *eb);
/* The site page's capacity and capture rows into d. */
int vr__store_cap_site(struct vr_store *s, int64_t site_id, struct vr_store_site_detail *d,
                       struct vr_errbuf *eb);
/* The reasons of a stored interval or capture record (its JSON text), read with that record's
 * one reader (common/record.h, common/rec_capture.h), into out; free with
 * vr__store_reasons_free. A record the reader refuses leaves out not present. VR_ENOMEM, with
 * what was copied so far in out. */
int vr__store_reasons(const char *record, struct vr_store_reasons *out);
void vr__store_reasons_free(struct vr_store_reasons *r);

#endif
