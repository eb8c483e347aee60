/* store_int: what store_sqlite.c (open, migrate, tokens, ingest, prune), store_sqlite_query.c
 * (verdicts from rollups and the read queries) and store_sqlite_extra.c (capacity and capture
 * records, the capacity rule, link summaries) share. Internal to the store: nothing outside
 * these three files includes it. Same thread rules as store.h. */
#ifndef VR_STORE_INT_H
#define VR_STORE_INT_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "plan.h"
#include "record.h"
#include "store.h"
#include "xrecord.h"

/* Schema migration 2 (applied with foreign keys off): paths keyed by link kind as well, the
 * capacity, site_capacity and captures tables. */
extern const char vr__store_migration_2[];

/* ---- provided by store_sqlite.c ---- */
sqlite3 *vr__store_db(struct vr_store *s);
const char *vr__store_path(struct vr_store *s);
const struct vr_store_options *vr__store_opt(struct vr_store *s);
/* Row ids of site and agent (created as needed, inside the caller's transaction). */
int vr__store_ids(struct vr_store *s, const char *site, const char *agent, uint64_t seen_ns,
                  int64_t *site_id, int64_t *agent_id, struct vr_errbuf *eb);
/* Same as vr_store_prune's helper: 0, or VR_ENOTFOUND for a site never seen. */
int vr__store_site_row(struct vr_store *s, const char *site, int64_t *id, uint64_t *last_seen,
                       int64_t *agents, struct vr_errbuf *eb);
int vr__store_fail(struct vr_store *s, int rc, struct vr_errbuf *eb, const char *what);

/* ---- shared by the three store files: statements and small helpers ---- */

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
    ST_COUNT
};

/* The prepared statement k, reset and unbound (store_sqlite.c owns them). */
sqlite3_stmt *vr__store_st(struct vr_store *s, enum stmt k);
struct vr__store_x *vr__store_xs(struct vr_store *s);

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

static inline int step_done(struct vr_store *s, sqlite3_stmt *x, struct vr_errbuf *eb,
                            const char *what)
{
    int rc = sqlite3_step(x);
    sqlite3_reset(x);
    if (rc != SQLITE_DONE)
        return vr__store_fail(s, rc, eb, what);
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

/* ---- provided by store_sqlite_extra.c ---- */
struct vr__store_x;
int vr__store_x_open(struct vr_store *s, struct vr__store_x **out, struct vr_errbuf *eb);
void vr__store_x_close(struct vr__store_x *x);
/* Inside the ingest transaction: stores xr[0..nx), xstored[i] true when new. */
int vr__store_x_ingest(struct vr_store *s, struct vr__store_x *x, const struct vr_xrecord *xr,
                       size_t nx, bool *xstored, struct vr_errbuf *eb);
int vr__store_x_prune(struct vr_store *s, struct vr__store_x *x, int64_t raw_cut_ns,
                      struct vr_errbuf *eb);

/* Latest capacity of every site, for the site list: sorted by site_id. Caller frees *out. */
struct vr__site_cap {
    int64_t site_id;
    uint32_t calls;
};
int vr__store_x_caps(struct vr_store *s, struct vr__store_x *x, struct vr__site_cap **out,
                     size_t *n, struct vr_errbuf *eb);
/* Looks up one site's latest capacity (caps NULL) or finds it in caps, and judges it. */
int vr__store_x_capacity(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                         const char *site, const struct vr__site_cap *caps, size_t n_caps,
                         struct vr_store_capacity *out, struct vr_errbuf *eb);
/* The capacity rule on the site verdict v (only when v counted intervals). */
void vr__store_x_apply(const struct vr_store_capacity *c, struct vr_verdict *v);
/* The site page's capacity and capture rows into d. */
int vr__store_x_site(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                     struct vr_store_site_detail *d, struct vr_errbuf *eb);
/* The "reasons" strings of a stored record (JSON text) into out; free with
 * vr__store_reasons_free. VR_ENOMEM, with what was copied so far in out. */
int vr__store_reasons(const char *record, struct vr_store_reasons *out);
void vr__store_reasons_free(struct vr_store_reasons *r);

#endif
