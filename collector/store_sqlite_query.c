/* store_sqlite_query: the read side of the SQLite store (store.h): the site verdict rebuilt from
 * the hourly rollups through the shared accumulator of common/score.h, with the capacity rule
 * of store_sqlite_extra.c on top; the site list in one pass over the window; one site's detail;
 * the time series. Statements are prepared by store_sqlite.c (vr__store_st). Same thread rules
 * as store.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "store_int.h"

#define HOUR_NS           3600000000000ull
#define SERIES_MAX_POINTS 10000
#define SITE_MAX_SERIES   256
#define N_CLS             (VR_CLASS_COUNT + 1)
#define N_DIR             3
#define N_LVL             2

static sqlite3_stmt *st(struct vr_store *s, enum stmt k)
{
    return vr__store_st(s, k);
}

/* ---- the verdict from rollups: fed into the shared accumulator (common/score.h) ---------- */

/* The window in hour buckets: hours that start in [now - window, now). */
static void window_hours(uint64_t now_ns, uint64_t window_ns, int64_t *from, int64_t *to)
{
    uint64_t start = window_ns < now_ns ? now_ns - window_ns : 0;
    *from = (int64_t)((start + HOUR_NS - 1) / HOUR_NS);
    *to = (int64_t)((now_ns + HOUR_NS - 1) / HOUR_NS);
}

/* One failure-group row of fail_hour, as ST_Q_FG and ST_Q_FG_ALL return it. */
struct fgrow {
    int64_t mk, ci, m, d, li;
    char cls[16];
    uint64_t count, first, last;
    double worst, sev;
    int dscp, dscp_seen;
    int64_t site_id; /* ST_Q_FG_ALL only */
    int32_t next;    /* per-site list in vr_store_sites */
};

static void sh_apply(struct vr_verdict_acc *acc, sqlite3_stmt *q)
{
    struct vr_verdict_counts c = {
        .intervals = col_u64(q, 1),
        .passed = col_u64(q, 2),
        .failed = col_u64(q, 3),
        .warned = col_u64(q, 4),
        .weight = sqlite3_column_double(q, 5),
        .weight_passed = sqlite3_column_double(q, 6),
        .marks_rewritten = sqlite3_column_int(q, 7) != 0,
    };
    vr_verdict_acc_add_counts(acc, sqlite3_column_int(q, 0) != 0, &c);
}

static bool fg_read(sqlite3_stmt *q, struct fgrow *r)
{
    r->mk = sqlite3_column_int64(q, 0);
    r->ci = sqlite3_column_int64(q, 1);
    r->m = sqlite3_column_int64(q, 2);
    r->d = sqlite3_column_int64(q, 3);
    r->li = sqlite3_column_int64(q, 4);
    const char *cls = col_text(q, 5);
    size_t cl = strnlen(cls, sizeof(r->cls) - 1);
    memcpy(r->cls, cls, cl);
    r->cls[cl] = 0;
    r->count = col_u64(q, 6);
    r->worst = sqlite3_column_double(q, 7);
    r->sev = sqlite3_column_double(q, 8);
    r->first = col_u64(q, 9);
    r->last = col_u64(q, 10);
    r->dscp = sqlite3_column_int(q, 11);
    r->dscp_seen = sqlite3_column_int(q, 12);
    r->site_id = sqlite3_column_count(q) > 13 ? sqlite3_column_int64(q, 13) : 0;
    r->next = -1;
    return r->ci >= 0 && r->ci < N_CLS && r->m >= 0 && r->m < VR_METRIC_COUNT && r->d >= 0 &&
           r->d < N_DIR && r->li >= 0 && r->li < N_LVL;
}

/* Rows come in hour order, so the shared code keeps the earlier of equally severe values. */
static void fg_apply(struct vr_verdict_acc *acc, const struct fgrow *r)
{
    struct vr_verdict_group g = {
        .metric = (enum vr_metric)r->m,
        .dir = (enum vr_dir)r->d,
        .level = r->li == 0 ? VR_LEVEL_FAIL : VR_LEVEL_WARN,
        .count = r->count,
        .worst = r->worst,
        .severity = r->sev,
        .first_start_ns = r->first,
        .last_end_ns = r->last,
        .dscp = r->dscp,
        .dscp_seen = r->dscp_seen,
    };
    memcpy(g.cls, r->cls, sizeof(g.cls)); /* both 16 bytes, NUL-terminated by fg_read */
    vr_verdict_acc_add_group(acc, r->mk != 0, &g);
}

static int verdict_of(struct vr_store *s, int64_t site_id, uint64_t now_ns, uint64_t window_ns,
                      struct vr_verdict_acc *acc, struct vr_verdict *out, struct vr_errbuf *eb)
{
    int64_t from, to;
    window_hours(now_ns, window_ns, &from, &to);
    vr_verdict_acc_reset(acc);
    sqlite3_stmt *q = st(s, ST_Q_SH);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        sh_apply(acc, q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return vr__store_fail(s, rc, eb, "reading site rollups");
    q = st(s, ST_Q_FG);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct fgrow r;
        if (fg_read(q, &r))
            fg_apply(acc, &r);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return vr__store_fail(s, rc, eb, "reading failure groups");
    vr_verdict_acc_result(acc, out);
    return 0;
}

static int site_row(struct vr_store *s, const char *site, int64_t *id, uint64_t *last_seen,
                    int64_t *agents, struct vr_errbuf *eb)
{
    if (!bounded(site, 64))
        return vr_errbuf_set(eb, VR_ENOTFOUND, "site: name longer than 63 bytes");
    sqlite3_stmt *q = st(s, ST_SITE_ROW);
    bind_text(q, 1, site, 64);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        *last_seen = col_u64(q, 1);
        *agents = sqlite3_column_int64(q, 2);
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return vr_errbuf_set(eb, VR_ENOTFOUND,
                             "site \"%s\": no records from it (see /api/v1/sites)", site);
    return vr__store_fail(s, rc, eb, "looking up a site");
}

int vr_store_site_verdict(struct vr_store *s, const char *site, uint64_t now_wall_ns,
                          uint64_t window_ns, struct vr_verdict *out, struct vr_errbuf *eb)
{
    int64_t id, agents;
    uint64_t last;
    int err = site_row(s, site, &id, &last, &agents, eb);
    if (err < 0)
        return err;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    if (acc == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    err = verdict_of(s, id, now_wall_ns, window_ns, acc, out, eb);
    vr_verdict_acc_free(acc);
    struct vr__capacity cap;
    if (err == 0 &&
        (err = vr__store_x_capacity(s, vr__store_xs(s), id, site, NULL, 0, &cap, eb)) == 0)
        vr_verdict_apply_capacity(out, cap.status, cap.reason);
    return err;
}

/* ---- queries --------------------------------------------------------------------------------- */

static const char *verdict_name(const struct vr_verdict *v)
{
    return v->intervals == 0 ? "no_data" : vr_site_verdict_name(v->verdict);
}

static int verdict_rank(const char *name)
{
    return strcmp(name, "not_ready") == 0 ? 0
           : strcmp(name, "at_risk") == 0 ? 1
           : strcmp(name, "ready") == 0   ? 2
                                          : 3;
}

struct rank {
    int rank;
    size_t pos;
};

static int rank_cmp(const void *a, const void *b)
{
    const struct rank *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static json_t *verdict_fields(json_t *o, const struct vr_verdict *v)
{
    json_object_set_new(o, "verdict", json_string(verdict_name(v)));
    json_object_set_new(o, "score_pct", v->intervals == 0 ? json_null() : jnum(v->score_pct));
    json_object_set_new(o, "intervals", json_integer((json_int_t)v->intervals));
    json_object_set_new(o, "passed", json_integer((json_int_t)v->passed));
    json_object_set_new(o, "marks_rewritten", json_boolean(v->marks_rewritten));
    return o;
}

struct srow {
    int64_t id, agents;
    uint64_t last;
    char name[64];
    struct vr_verdict_counts tot[2]; /* totals of the window, marked and besteffort */
    int32_t head, tail;              /* its failure-group rows, in hour order */
};

struct sidx {
    int64_t id;
    size_t pos;
};

static int sidx_cmp(const void *a, const void *b)
{
    const struct sidx *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static struct srow *srow_of(struct srow *rows, const struct sidx *ix, size_t n, int64_t id)
{
    struct sidx key = {id, 0};
    const struct sidx *f = bsearch(&key, ix, n, sizeof(*ix), sidx_cmp);
    return f != NULL ? &rows[f->pos] : NULL;
}

/* One pass over the window of every site (covering indexes, hour order) instead of two
 * queries per site: the list of 1,000 sites over 24 h reads about 50,000 index rows. */
static int sites_load(struct vr_store *s, int64_t from, int64_t to, struct srow **rows_out,
                      size_t *n_out, struct fgrow **fg_out, struct vr_errbuf *eb)
{
    struct srow *rows = NULL;
    struct sidx *ix = NULL;
    struct vec fg = {NULL, 0, 0, sizeof(struct fgrow)};
    size_t n = 0, cap = 0;
    int rc, err = 0;
    sqlite3_stmt *q = st(s, ST_SITE_LIST);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            void *nr = realloc(rows, cap * sizeof(*rows));
            if (nr == NULL) {
                err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
                break;
            }
            rows = nr;
        }
        struct srow *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(q, 0);
        snprintf(r->name, sizeof(r->name), "%s", col_text(q, 1));
        r->last = col_u64(q, 2);
        r->agents = sqlite3_column_int64(q, 3);
        r->head = r->tail = -1;
    }
    sqlite3_reset(q);
    if (err == 0 && rc != SQLITE_DONE)
        err = vr__store_fail(s, rc, eb, "listing sites");
    if (err == 0 && n > 0 && (ix = malloc(n * sizeof(*ix))) == NULL)
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    if (err < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        ix[i] = (struct sidx){rows[i].id, i};
    if (n > 0)
        qsort(ix, n, sizeof(*ix), sidx_cmp);

    q = st(s, ST_Q_SH_ALL);
    sqlite3_bind_int64(q, 1, from);
    sqlite3_bind_int64(q, 2, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct srow *r = srow_of(rows, ix, n, sqlite3_column_int64(q, 8));
        if (r == NULL)
            continue;
        struct vr_verdict_counts *x = &r->tot[sqlite3_column_int(q, 0) != 0 ? 0 : 1];
        x->intervals += col_u64(q, 1);
        x->passed += col_u64(q, 2);
        x->failed += col_u64(q, 3);
        x->warned += col_u64(q, 4);
        x->weight += sqlite3_column_double(q, 5);
        x->weight_passed += sqlite3_column_double(q, 6);
        x->marks_rewritten |= sqlite3_column_int(q, 7) != 0;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        err = vr__store_fail(s, rc, eb, "reading site rollups");
        goto fail;
    }
    q = st(s, ST_Q_FG_ALL);
    sqlite3_bind_int64(q, 1, from);
    sqlite3_bind_int64(q, 2, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct fgrow g;
        struct srow *r;
        if (!fg_read(q, &g) || (r = srow_of(rows, ix, n, g.site_id)) == NULL)
            continue;
        if (fg.n >= INT32_MAX)
            continue;
        struct fgrow *dst = vec_push(&fg);
        if (dst == NULL) {
            sqlite3_reset(q);
            err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
            goto fail;
        }
        *dst = g;
        int32_t k = (int32_t)(fg.n - 1);
        if (r->tail >= 0)
            ((struct fgrow *)fg.v)[r->tail].next = k;
        else
            r->head = k;
        r->tail = k;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        err = vr__store_fail(s, rc, eb, "reading failure groups");
        goto fail;
    }
    free(ix);
    *rows_out = rows;
    *n_out = n;
    *fg_out = fg.v;
    return 0;
fail:
    free(ix);
    free(rows);
    free(fg.v);
    return err;
}

int vr_store_sites(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns, json_t **out,
                   struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t from, to;
    window_hours(now_wall_ns, window_ns, &from, &to);
    struct srow *rows = NULL;
    struct fgrow *fg = NULL;
    size_t n = 0;
    struct vr__site_cap *caps = NULL;
    size_t n_caps = 0;
    int err = vr__store_x_caps(s, vr__store_xs(s), &caps, &n_caps, eb);
    if (err < 0)
        return err;
    err = sites_load(s, from, to, &rows, &n, &fg, eb);
    if (err < 0) {
        free(caps);
        return err;
    }
    json_t *list = json_array();
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    json_t **items = n > 0 ? calloc(n, sizeof(*items)) : NULL;
    struct rank *rk = n > 0 ? calloc(n, sizeof(*rk)) : NULL;
    if (list == NULL || acc == NULL || (n > 0 && (items == NULL || rk == NULL))) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct vr_verdict v;
        vr_verdict_acc_reset(acc);
        for (int k = 0; k < 2; k++) {
            vr_verdict_acc_add_counts(acc, k == 0, &rows[i].tot[k]); /* [0] marked */
        }
        for (int32_t k = rows[i].head; k >= 0; k = fg[k].next)
            fg_apply(acc, &fg[k]);
        vr_verdict_acc_result(acc, &v);
        struct vr__capacity cap;
        if ((err = vr__store_x_capacity(s, vr__store_xs(s), rows[i].id, rows[i].name, caps, n_caps,
                                        &cap, eb)) < 0)
            goto done;
        vr_verdict_apply_capacity(&v, cap.status, cap.reason);
        json_t *o = json_object();
        if (o == NULL) {
            err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
            goto done;
        }
        items[i] = o;
        rk[i] = (struct rank){verdict_rank(verdict_name(&v)), i};
        json_object_set_new(o, "site", json_string(rows[i].name));
        verdict_fields(o, &v);
        json_object_set_new(o, "worst_reason",
                            v.n_reasons > 0 ? json_string(v.reasons[0]) : json_null());
        json_object_set_new(o, "last_seen", jtime(rows[i].last));
        json_object_set_new(o, "agents", json_integer(rows[i].agents));
        vr__store_x_list_fields(o, &cap);
    }
    /* rows come by name: (verdict rank, row) is (verdict rank, name) */
    if (n > 0)
        qsort(rk, n, sizeof(*rk), rank_cmp);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, items[rk[i].pos]);
        items[rk[i].pos] = NULL;
    }
    *out = json_object();
    if (*out == NULL) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
        goto done;
    }
    json_object_set_new(*out, "generated", jtime(now_wall_ns));
    json_object_set_new(*out, "window_s", json_integer((json_int_t)(window_ns / 1000000000u)));
    json_object_set(*out, "sites", list);
done:
    for (size_t i = 0; items != NULL && i < n; i++)
        json_decref(items[i]);
    free(items);
    free(rk);
    json_decref(list);
    vr_verdict_acc_free(acc);
    free(rows);
    free(fg);
    free(caps);
    return err;
}

struct path_sum {
    int64_t id;
    int dscp;
    char cls[16], target[128], link[16];
    int64_t intervals, passed, n, mos_n;
    double loss_fwd, loss_rev, rtt, jitter_fwd, jitter_rev, mos;
    uint64_t dscp_fwd[64], dscp_rev[64];
};

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

static json_t *path_json(const struct path_sum *p)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    double n = p->n > 0 ? (double)p->n : NAN;
    double pf = vr_record_dscp_preserved_pct(p->dscp_fwd, p->dscp);
    double pr = vr_record_dscp_preserved_pct(p->dscp_rev, p->dscp);
    json_object_set_new(o, "class", json_string(p->cls));
    json_object_set_new(o, "target", json_string(p->target));
    json_object_set_new(o, "link", json_string(p->link));
    json_object_set_new(o, "intervals", json_integer(p->intervals));
    json_object_set_new(o, "passed", json_integer(p->passed));
    json_object_set_new(o, "loss_fwd_pct", jnum(p->loss_fwd / n));
    json_object_set_new(o, "loss_rev_pct", jnum(p->loss_rev / n));
    json_object_set_new(o, "rtt_ms_mean", jnum(p->rtt / n));
    json_object_set_new(o, "jitter_fwd_ms", jnum(p->jitter_fwd / n));
    json_object_set_new(o, "jitter_rev_ms", jnum(p->jitter_rev / n));
    json_object_set_new(o, "mos", jnum(p->mos_n > 0 ? p->mos / (double)p->mos_n : NAN));
    json_object_set_new(o, "dscp_fwd_preserved_pct", pf < 0 ? json_null() : jnum(pf));
    json_object_set_new(o, "dscp_rev_preserved_pct", pr < 0 ? json_null() : jnum(pr));
    json_object_set_new(o, "dscp_fwd_seen", dscp_seen_json(p->dscp_fwd));
    json_object_set_new(o, "dscp_rev_seen", dscp_seen_json(p->dscp_rev));
    return o;
}

static int site_classes(struct vr_store *s, int64_t site_id, int64_t from, int64_t to, json_t *arr,
                        struct vr_errbuf *eb)
{
    struct path_sum *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    p->id = -1;
    sqlite3_stmt *q = st(s, ST_Q_PATHS);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    int rc, err = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id != p->id) {
            if (p->id >= 0)
                json_array_append_new(arr, path_json(p));
            memset(p, 0, sizeof(*p));
            p->id = id;
            snprintf(p->cls, sizeof(p->cls), "%s", col_text(q, 1));
            snprintf(p->target, sizeof(p->target), "%s", col_text(q, 2));
            snprintf(p->link, sizeof(p->link), "%s", col_text(q, 3));
            p->dscp = sqlite3_column_int(q, 4);
        }
        p->intervals += sqlite3_column_int64(q, 5);
        p->passed += sqlite3_column_int64(q, 6);
        p->n += sqlite3_column_int64(q, 11);
        p->loss_fwd += sqlite3_column_double(q, 12);
        p->loss_rev += sqlite3_column_double(q, 13);
        p->rtt += sqlite3_column_double(q, 14);
        p->jitter_fwd += sqlite3_column_double(q, 15);
        p->jitter_rev += sqlite3_column_double(q, 16);
        p->mos += sqlite3_column_double(q, 17);
        p->mos_n += sqlite3_column_int64(q, 18);
        dscp_decode_add(col_text(q, 19), p->dscp_fwd);
        dscp_decode_add(col_text(q, 20), p->dscp_rev);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        err = vr__store_fail(s, rc, eb, "reading path rollups");
    else if (p->id >= 0)
        json_array_append_new(arr, path_json(p));
    free(p);
    return err;
}

static int site_failing(struct vr_store *s, int64_t site_id, uint64_t from_ns, uint64_t to_ns,
                        json_t *arr, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = st(s, ST_Q_FAILING);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, (int64_t)from_ns);
    sqlite3_bind_int64(q, 3, to_ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)to_ns);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *o = json_object();
        if (o == NULL)
            continue;
        json_object_set_new(o, "start", jtime(col_u64(q, 0)));
        json_object_set_new(o, "class", json_string(col_text(q, 1)));
        json_object_set_new(o, "target", json_string(col_text(q, 2)));
        json_object_set_new(o, "verdict", json_string("fail"));
        json_t *raw = json_loads(col_text(q, 3), 0, NULL);
        json_t *reasons = raw != NULL ? json_object_get(raw, "reasons") : NULL;
        json_object_set(o, "reasons", json_is_array(reasons) ? reasons : json_array());
        if (!json_is_array(reasons))
            json_decref(json_object_get(o, "reasons"));
        json_decref(raw);
        json_array_append_new(arr, o);
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : vr__store_fail(s, rc, eb, "reading failing intervals");
}

int vr_store_site(struct vr_store *s, const char *site, uint64_t now_wall_ns, uint64_t window_ns,
                  json_t **out, struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t id, agents;
    uint64_t last;
    int err = site_row(s, site, &id, &last, &agents, eb);
    if (err < 0)
        return err;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    json_t *o = json_object(), *reasons = json_array(), *classes = json_array(),
           *failing = json_array();
    if (acc == NULL || o == NULL || reasons == NULL || classes == NULL || failing == NULL) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
        goto done;
    }
    struct vr_verdict v;
    int64_t from, to;
    window_hours(now_wall_ns, window_ns, &from, &to);
    uint64_t from_ns = window_ns < now_wall_ns ? now_wall_ns - window_ns : 0;
    if ((err = verdict_of(s, id, now_wall_ns, window_ns, acc, &v, eb)) < 0 ||
        (err = site_classes(s, id, from, to, classes, eb)) < 0 ||
        (err = site_failing(s, id, from_ns, now_wall_ns, failing, eb)) < 0)
        goto done;
    struct vr__capacity cap;
    if ((err = vr__store_x_capacity(s, vr__store_xs(s), id, site, NULL, 0, &cap, eb)) < 0)
        goto done;
    vr_verdict_apply_capacity(&v, cap.status, cap.reason);
    for (size_t i = 0; i < v.n_reasons; i++)
        json_array_append_new(reasons, json_string(v.reasons[i]));
    json_object_set_new(o, "site", json_string(site));
    verdict_fields(o, &v);
    json_object_set(o, "reasons", reasons);
    json_object_set_new(o, "last_seen", jtime(last));
    json_object_set_new(o, "agents", json_integer(agents));
    json_object_set_new(o, "window_s", json_integer((json_int_t)(window_ns / 1000000000u)));
    json_object_set(o, "classes", classes);
    json_object_set(o, "failing", failing);
    vr__store_x_list_fields(o, &cap);
    if ((err = vr__store_x_site(s, vr__store_xs(s), id, &cap, o, eb)) < 0)
        goto done;
    *out = o;
    o = NULL;
done:
    json_decref(o);
    json_decref(reasons);
    json_decref(classes);
    json_decref(failing);
    vr_verdict_acc_free(acc);
    return err;
}

struct series {
    int64_t path_id;
    json_t *obj, *points; /* points newest first until the end */
    size_t n;
};

static struct series *series_of(struct series *sr, size_t *n, sqlite3_stmt *q, int link_col,
                                json_t *arr)
{
    int64_t pid = sqlite3_column_int64(q, 0);
    for (size_t i = 0; i < *n; i++)
        if (sr[i].path_id == pid)
            return &sr[i];
    if (*n >= SITE_MAX_SERIES)
        return NULL;
    struct series *x = &sr[(*n)++];
    x->path_id = pid;
    x->obj = json_object();
    x->points = json_array();
    x->n = 0;
    json_object_set_new(x->obj, "class", json_string(col_text(q, 1)));
    json_object_set_new(x->obj, "target", json_string(col_text(q, 2)));
    json_object_set_new(x->obj, "link", json_string(col_text(q, link_col)));
    json_array_append_new(arr, x->obj);
    return x;
}

int vr_store_intervals(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                       const char *cls, json_t **out, struct vr_errbuf *eb)
{
    return vr_store_intervals_link(s, site, since_wall_ns, cls, NULL, out, eb);
}

int vr_store_intervals_link(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                            const char *cls, const char *link, json_t **out, struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t id, agents;
    uint64_t last;
    int err = site_row(s, site, &id, &last, &agents, eb);
    if (err < 0)
        return err;
    if (cls != NULL && !bounded(cls, 16))
        return vr_errbuf_set(eb, VR_EINVAL, "class: expected audio, video, sharing or besteffort");
    if (link != NULL && !bounded(link, 16))
        return vr_errbuf_set(eb, VR_EINVAL, "link: expected wired, wifi or other");
    struct series *sr = calloc(SITE_MAX_SERIES, sizeof(*sr));
    json_t *o = json_object(), *arr = json_array();
    size_t ns = 0;
    int rc;
    if (sr == NULL || o == NULL || arr == NULL) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
        goto done;
    }
    int64_t since = since_wall_ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)since_wall_ns;
    sqlite3_stmt *q = st(s, ST_Q_SERIES);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, since);
    if (cls != NULL)
        bind_text(q, 3, cls, 16);
    if (link != NULL)
        bind_text(q, 4, link, 16);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct series *x = series_of(sr, &ns, q, 12, arr);
        if (x == NULL || x->n >= SERIES_MAX_POINTS)
            continue;
        json_t *p = json_object();
        json_object_set_new(p, "t", jtime(col_u64(q, 3)));
        const char *keys[] = {
            "rtt_ms",       "rtt_p95_ms", "jitter_fwd_ms", "jitter_rev_ms", "loss_fwd_pct",
            "loss_rev_pct", "mos"};
        for (int k = 0; k < 7; k++)
            json_object_set_new(p, keys[k],
                                sqlite3_column_type(q, 4 + k) == SQLITE_NULL
                                    ? json_null()
                                    : jnum(sqlite3_column_double(q, 4 + k)));
        int lv = sqlite3_column_int(q, 11);
        json_object_set_new(p, "verdict",
                            json_string(vr_level_name(lv == 2   ? VR_LEVEL_FAIL
                                                      : lv == 1 ? VR_LEVEL_WARN
                                                                : VR_LEVEL_PASS)));
        json_array_append_new(x->points, p);
        x->n++;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        err = vr__store_fail(s, rc, eb, "reading intervals");
        goto done;
    }
    /* before the oldest raw record (pruned by retention): hourly rollup points */
    q = st(s, ST_Q_OLDEST);
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    int64_t oldest = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL
                         ? sqlite3_column_int64(q, 0)
                         : INT64_MAX;
    sqlite3_reset(q);
    int64_t h_from = (since + (int64_t)HOUR_NS - 1) / (int64_t)HOUR_NS;
    int64_t h_to = oldest / (int64_t)HOUR_NS;
    if (h_from < h_to) {
        q = st(s, ST_Q_SERIES_ROLL);
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, h_from);
        sqlite3_bind_int64(q, 3, h_to);
        if (cls != NULL)
            bind_text(q, 4, cls, 16);
        if (link != NULL)
            bind_text(q, 5, link, 16);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            struct series *x = series_of(sr, &ns, q, 14, arr);
            if (x == NULL || x->n >= SERIES_MAX_POINTS)
                continue;
            double n = (double)sqlite3_column_int64(q, 4);
            double mos_n = (double)sqlite3_column_int64(q, 11);
            json_t *p = json_object();
            json_object_set_new(p, "t", jtime(col_u64(q, 3) * HOUR_NS));
            json_object_set_new(p, "rtt_ms", jnum(sqlite3_column_double(q, 5) / n));
            json_object_set_new(p, "rtt_p95_ms", json_null());
            json_object_set_new(p, "jitter_fwd_ms", jnum(sqlite3_column_double(q, 6) / n));
            json_object_set_new(p, "jitter_rev_ms", jnum(sqlite3_column_double(q, 7) / n));
            json_object_set_new(p, "loss_fwd_pct", jnum(sqlite3_column_double(q, 8) / n));
            json_object_set_new(p, "loss_rev_pct", jnum(sqlite3_column_double(q, 9) / n));
            json_object_set_new(p, "mos", jnum(sqlite3_column_double(q, 10) / mos_n));
            json_object_set_new(p, "verdict",
                                json_string(sqlite3_column_int64(q, 12) > 0   ? "fail"
                                            : sqlite3_column_int64(q, 13) > 0 ? "warn"
                                                                              : "pass"));
            json_object_set_new(p, "hourly", json_true());
            json_array_append_new(x->points, p);
            x->n++;
        }
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) {
            err = vr__store_fail(s, rc, eb, "reading hourly intervals");
            goto done;
        }
    }
    for (size_t i = 0; i < ns; i++) { /* oldest first */
        json_t *asc = json_array();
        size_t np = json_array_size(sr[i].points);
        for (size_t k = np; k-- > 0;)
            json_array_append(asc, json_array_get(sr[i].points, k));
        json_object_set_new(sr[i].obj, "points", asc);
    }
    json_object_set_new(o, "site", json_string(site));
    json_object_set(o, "series", arr);
    *out = o;
    o = NULL;
done:
    for (size_t i = 0; sr != NULL && i < ns; i++)
        json_decref(sr[i].points);
    free(sr);
    json_decref(arr);
    json_decref(o);
    return err;
}

int vr__store_site_row(struct vr_store *s, const char *site, int64_t *id, uint64_t *last_seen,
                       int64_t *agents, struct vr_errbuf *eb)
{
    return site_row(s, site, id, last_seen, agents, eb);
}
