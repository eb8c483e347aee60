/* store_sqlite_query: the read side of the SQLite store (store.h, store_int.h): the site
 * verdict rebuilt from the hourly rollups through the shared accumulator of common/score.h,
 * with the capacity rule of store_sqlite_cap.c on top; the site list in one pass over the
 * window; one site's detail; the time series; the per-link rows for `report`. Same thread rules
 * as store.h. */
#include "store.h"

#include "store_int.h"

/* ---- the verdict from rollups: fed into the shared accumulator (common/score.h) ---------- */

/* One failure-group row of fail_hour, as ST_Q_FG and ST_Q_FG_ALL return it. */
struct fgrow {
    int64_t mk, ci, m, d, li;
    char cls[16];
    uint64_t count, first, last;
    uint64_t episodes, first_end, last_start, worst_start, worst_end, step;
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
    r->episodes = col_u64(q, 13);
    r->first_end = col_u64(q, 14);
    r->last_start = col_u64(q, 15);
    r->worst_start = col_u64(q, 16);
    r->worst_end = col_u64(q, 17);
    r->step = col_u64(q, 18);
    r->site_id = sqlite3_column_count(q) > 19 ? sqlite3_column_int64(q, 19) : 0;
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
        .episodes = r->episodes,
        .first_end_ns = r->first_end,
        .last_start_ns = r->last_start,
        .worst_start_ns = r->worst_start,
        .worst_end_ns = r->worst_end,
        .step_ns = r->step,
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
        return db_fail(s, rc, eb, "reading site rollups");
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
        return db_fail(s, rc, eb, "reading failure groups");
    q = st(s, ST_Q_CLS);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        vr_verdict_acc_add_class(acc, sqlite3_column_int(q, 0) != 0, col_text(q, 1), col_u64(q, 2));
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, eb, "reading class rollups");
    vr_verdict_acc_result(acc, out);
    return 0;
}

/* ---- liveness: the rule of common/score.c with each site's silent_after ------------------- */

static uint64_t silent_after_of(const struct vr_store *s, const char *site)
{
    const struct vr_store_options *o = &s->opt;
    return o->site_silent_after != NULL ? o->site_silent_after(o->sites_arg, site) : 0;
}

static bool configured(const struct vr_store *s, const char *site)
{
    const struct vr_store_options *o = &s->opt;
    const char *name;
    for (size_t i = 0; o->configured_site != NULL && (name = o->configured_site(o->sites_arg, i));
         i++)
        if (strcmp(name, site) == 0)
            return true;
    return false;
}

/* After the capacity rule: Silent never reads Ready. */
static void apply_liveness(const struct vr_store *s, struct vr_store_site_summary *o,
                           uint64_t now_ns)
{
    o->liveness = vr_verdict_apply_liveness(&o->verdict, o->last_upload_wall_ns, now_ns,
                                            silent_after_of(s, o->site));
}

/* A configured site without any upload: no data, "never reported", its plan if it has one. */
static int never_reported(struct vr_store *s, const char *site, uint64_t now_ns,
                          struct vr_store_site_summary *o, struct vr_errbuf *eb)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->site, sizeof(o->site), "%s", site);
    o->verdict.score_pct = 100.0; /* as the verdict of no intervals */
    o->liveness = vr_verdict_apply_liveness(&o->verdict, 0, now_ns, 0);
    static const struct vr__site_cap none = {-1, 0};
    return vr__store_capacity(s, -1, site, &none, 0, &o->capacity, eb);
}

static int site_row(struct vr_store *s, const char *site, int64_t *id, uint64_t *last_seen,
                    int64_t *agents, uint64_t *last_upload, struct vr_errbuf *eb)
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
        *last_upload = col_u64(q, 3);
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return vr_errbuf_set(eb, VR_ENOTFOUND,
                             "site \"%s\": no records from it (see /api/v1/sites)", site);
    return db_fail(s, rc, eb, "looking up a site");
}

int vr_store_site_verdict(struct vr_store *s, const char *site, uint64_t now_wall_ns,
                          uint64_t window_ns, struct vr_verdict *out, struct vr_errbuf *eb)
{
    int64_t id, agents;
    uint64_t last, upload = 0;
    int err = site_row(s, site, &id, &last, &agents, &upload, eb);
    if (err == VR_ENOTFOUND && configured(s, site)) {
        memset(out, 0, sizeof(*out));
        out->score_pct = 100.0;
        vr_verdict_apply_liveness(out, 0, now_wall_ns, 0);
        return 0;
    }
    if (err < 0)
        return err;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    if (acc == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    err = verdict_of(s, id, now_wall_ns, window_ns, acc, out, eb);
    vr_verdict_acc_free(acc);
    struct vr_store_capacity cap;
    if (err == 0 && (err = vr__store_capacity(s, id, site, NULL, 0, &cap, eb)) == 0) {
        vr_verdict_apply_capacity(out, cap.status, cap.reason);
        vr_verdict_apply_liveness(out, upload, now_wall_ns, silent_after_of(s, site));
    }
    return err;
}

/* ---- queries --------------------------------------------------------------------------------- */

static const char *verdict_name(const struct vr_verdict *v)
{
    return v->verdict == VR_VERDICT_SILENT ? "silent"
           : v->intervals == 0             ? "no_data"
                                           : vr_site_verdict_name(v->verdict);
}

static int verdict_rank(const char *name)
{
    return strcmp(name, "not_ready") == 0 ? 0
           : strcmp(name, "silent") == 0  ? 1
           : strcmp(name, "at_risk") == 0 ? 2
           : strcmp(name, "ready") == 0   ? 3
                                          : 4;
}

struct srow {
    int64_t id, agents;
    uint64_t last, upload;
    char name[64];
    struct vr_verdict_counts tot[2]; /* totals of the window, marked and besteffort */
    uint64_t cls_n[2][N_CLS];        /* counted intervals per class slot, marked and not */
    char other[16];                  /* the first class name of the last slot (not a known one) */
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
                err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
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
        r->upload = col_u64(q, 4);
        r->head = r->tail = -1;
    }
    sqlite3_reset(q);
    if (err == 0 && rc != SQLITE_DONE)
        err = db_fail(s, rc, eb, "listing sites");
    if (err == 0 && n > 0 && (ix = malloc(n * sizeof(*ix))) == NULL)
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
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
        err = db_fail(s, rc, eb, "reading site rollups");
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
            err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
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
        err = db_fail(s, rc, eb, "reading failure groups");
        goto fail;
    }
    q = st(s, ST_Q_CLS_ALL);
    sqlite3_bind_int64(q, 1, from);
    sqlite3_bind_int64(q, 2, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct srow *r = srow_of(rows, ix, n, sqlite3_column_int64(q, 3));
        if (r == NULL)
            continue;
        const char *cls = col_text(q, 1);
        enum vr_class c;
        size_t ci = vr_class_by_name(cls, &c) == 0 ? (size_t)c : VR_CLASS_COUNT;
        if (ci == VR_CLASS_COUNT && r->other[0] == 0)
            snprintf(r->other, sizeof(r->other), "%.15s", cls);
        r->cls_n[sqlite3_column_int(q, 0) != 0 ? 0 : 1][ci] += col_u64(q, 2);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        err = db_fail(s, rc, eb, "reading class rollups");
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

static int summary_cmp(const void *a, const void *b)
{
    const struct vr_store_site_summary *x = a, *y = b;
    int rx = verdict_rank(verdict_name(&x->verdict)), ry = verdict_rank(verdict_name(&y->verdict));
    if (rx != ry)
        return rx - ry;
    return strcmp(x->site, y->site);
}

void vr_store_site_list_free(struct vr_store_site_list *l)
{
    if (l == NULL)
        return;
    free(l->sites);
    free(l);
}

static int srow_name_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct srow *)elem)->name);
}

/* The configured sites that are not in the database yet (rows: l->n of them, by name) join the
 * list as never reported. */
static int add_never_reported(struct vr_store *s, struct vr_store_site_list *l,
                              const struct srow *rows, uint64_t now_ns, struct vr_errbuf *eb)
{
    const struct vr_store_options *o = &s->opt;
    const char *name;
    size_t n_db = l->n, cap = l->n;
    for (size_t i = 0; o->configured_site != NULL && (name = o->configured_site(o->sites_arg, i));
         i++) {
        if (!bounded(name, 64) ||
            (n_db > 0 && bsearch(name, rows, n_db, sizeof(*rows), srow_name_cmp) != NULL))
            continue;
        if (l->n == cap) {
            cap = cap < 16 ? 16 : cap * 2;
            void *ns = realloc(l->sites, cap * sizeof(*l->sites));
            if (ns == NULL)
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            l->sites = ns;
        }
        int err = never_reported(s, name, now_ns, &l->sites[l->n], eb);
        if (err < 0)
            return err;
        l->n++;
    }
    return 0;
}

int vr_store_sites(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns,
                   struct vr_store_site_list **out, struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t from, to;
    window_hours(now_wall_ns, window_ns, &from, &to);
    struct srow *rows = NULL;
    struct fgrow *fg = NULL;
    size_t n = 0;
    struct vr__site_cap *caps = NULL;
    size_t n_caps = 0;
    int err = vr__store_caps(s, &caps, &n_caps, eb);
    if (err < 0)
        return err;
    err = sites_load(s, from, to, &rows, &n, &fg, eb);
    if (err < 0) {
        free(caps);
        return err;
    }
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_store_site_list *l = calloc(1, sizeof(*l));
    if (l != NULL && n > 0)
        l->sites = calloc(n, sizeof(*l->sites));
    if (acc == NULL || l == NULL || (n > 0 && l->sites == NULL)) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        goto done;
    }
    l->generated_wall_ns = now_wall_ns;
    l->window_ns = window_ns;
    for (size_t i = 0; i < n; i++) {
        struct vr_store_site_summary *o = &l->sites[i];
        struct vr_verdict *v = &o->verdict;
        vr_verdict_acc_reset(acc);
        for (int k = 0; k < 2; k++) {
            vr_verdict_acc_add_counts(acc, k == 0, &rows[i].tot[k]); /* [0] marked */
            for (size_t c = 0; c < N_CLS; c++) {
                const char *name =
                    c < VR_CLASS_COUNT ? vr_class_get((enum vr_class)c)->name : rows[i].other;
                if (rows[i].cls_n[k][c] > 0)
                    vr_verdict_acc_add_class(acc, k == 0, name, rows[i].cls_n[k][c]);
            }
        }
        for (int32_t k = rows[i].head; k >= 0; k = fg[k].next)
            fg_apply(acc, &fg[k]);
        vr_verdict_acc_result(acc, v);
        struct vr_store_capacity *cap = &o->capacity;
        if ((err = vr__store_capacity(s, rows[i].id, rows[i].name, caps, n_caps, cap, eb)) < 0)
            goto done;
        vr_verdict_apply_capacity(v, cap->status, cap->reason);
        memcpy(o->site, rows[i].name, sizeof(o->site));
        o->last_seen_wall_ns = rows[i].last;
        o->last_upload_wall_ns = rows[i].upload;
        o->agents = rows[i].agents;
        apply_liveness(s, o, now_wall_ns);
    }
    l->n = n;
    if ((err = add_never_reported(s, l, rows, now_wall_ns, eb)) < 0)
        goto done;
    /* rows come by name: sort by (verdict rank, name) */
    if (l->n > 0)
        qsort(l->sites, l->n, sizeof(*l->sites), summary_cmp);
    *out = l;
    l = NULL;
done:
    vr_store_site_list_free(l);
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

static double preserved_or_nan(double pct)
{
    return pct < 0 ? NAN : pct;
}

static int path_push(struct vec *out, const struct path_sum *p)
{
    struct vr_store_path *o = vec_push(out);
    if (o == NULL)
        return VR_ENOMEM;
    double n = p->n > 0 ? (double)p->n : NAN;
    memcpy(o->cls, p->cls, sizeof(o->cls));
    memcpy(o->target, p->target, sizeof(o->target));
    memcpy(o->link, p->link, sizeof(o->link));
    o->dscp = p->dscp;
    o->intervals = p->intervals;
    o->passed = p->passed;
    o->loss_fwd_pct = p->loss_fwd / n;
    o->loss_rev_pct = p->loss_rev / n;
    o->rtt_ms_mean = p->rtt / n;
    o->jitter_fwd_ms = p->jitter_fwd / n;
    o->jitter_rev_ms = p->jitter_rev / n;
    o->mos = p->mos_n > 0 ? p->mos / (double)p->mos_n : NAN;
    o->dscp_fwd_preserved_pct =
        preserved_or_nan(vr_record_dscp_preserved_pct(p->dscp_fwd, p->dscp));
    o->dscp_rev_preserved_pct =
        preserved_or_nan(vr_record_dscp_preserved_pct(p->dscp_rev, p->dscp));
    memcpy(o->dscp_fwd_seen, p->dscp_fwd, sizeof(o->dscp_fwd_seen));
    memcpy(o->dscp_rev_seen, p->dscp_rev, sizeof(o->dscp_rev_seen));
    return 0;
}

static int site_classes(struct vr_store *s, int64_t site_id, int64_t from, int64_t to,
                        struct vec *out, struct vr_errbuf *eb)
{
    struct path_sum *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    p->id = -1;
    sqlite3_stmt *q = st(s, ST_Q_PATHS);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    int rc, err = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id != p->id) {
            if (p->id >= 0 && path_push(out, p) < 0)
                break;
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
    if (rc == SQLITE_ROW)
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    else if (rc != SQLITE_DONE)
        err = db_fail(s, rc, eb, "reading path rollups");
    else if (p->id >= 0 && path_push(out, p) < 0)
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    free(p);
    return err;
}

static int site_failing(struct vr_store *s, int64_t site_id, uint64_t from_ns, uint64_t to_ns,
                        struct vec *out, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = st(s, ST_Q_FAILING);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, (int64_t)from_ns);
    sqlite3_bind_int64(q, 3, to_ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)to_ns);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_failing *o = vec_push(out);
        if (o == NULL)
            break;
        o->start_wall_ns = col_u64(q, 0);
        snprintf(o->cls, sizeof(o->cls), "%s", col_text(q, 1));
        snprintf(o->target, sizeof(o->target), "%s", col_text(q, 2));
        if (vr__store_reasons(col_text(q, 3), &o->reasons) < 0)
            break;
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "reading failing intervals");
}

/* The agents of site_id (-1: all), by site then name, with their liveness at now_ns. */
static int agents_load(struct vr_store *s, int64_t site_id, uint64_t now_ns, struct vec *out,
                       struct vr_errbuf *eb)
{
    sqlite3_stmt *q = st(s, ST_Q_AGENTS);
    if (site_id >= 0)
        sqlite3_bind_int64(q, 1, site_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_agent *a = vec_push(out);
        if (a == NULL)
            break;
        copy_text(a->site, sizeof(a->site), col_text(q, 0));
        copy_text(a->agent, sizeof(a->agent), col_text(q, 1));
        copy_text(a->version, sizeof(a->version), col_text(q, 2));
        a->last_upload_wall_ns = col_u64(q, 3);
        a->spool_records = col_u64(q, 4);
        a->quarantined = col_u64(q, 5);
        int cs = sqlite3_column_int(q, 6);
        a->clock_sync = cs == VR_CLOCK_SYNCED     ? VR_CLOCK_SYNCED
                        : cs == VR_CLOCK_UNSYNCED ? VR_CLOCK_UNSYNCED
                                                  : VR_CLOCK_UNKNOWN;
        uint64_t links = col_u64(q, 7);
        for (int k = 0; k < VR_REC_AGENT_MAX_LINKS; k++) /* one bit per kind */
            if (links & (1ull << k))
                a->links[a->n_links++] = k;
        /* an agent never noted (0) has not reported: silent, not "never reported" */
        enum vr_liveness l =
            vr_liveness_of(a->last_upload_wall_ns, now_ns, silent_after_of(s, a->site));
        a->liveness = l == VR_LIVENESS_LIVE ? VR_LIVENESS_LIVE : VR_LIVENESS_SILENT;
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "listing agents");
}

int vr_store_agents(struct vr_store *s, uint64_t now_wall_ns, struct vr_store_agent **rows,
                    size_t *n, struct vr_errbuf *eb)
{
    struct vec v = {NULL, 0, 0, sizeof(struct vr_store_agent)};
    int err = agents_load(s, -1, now_wall_ns, &v, eb);
    if (err < 0) {
        free(v.v);
        v.v = NULL;
        v.n = 0;
    }
    *rows = v.v;
    *n = v.n;
    return err;
}

void vr_store_agents_free(struct vr_store_agent *rows)
{
    free(rows);
}

void vr_store_site_detail_free(struct vr_store_site_detail *d)
{
    if (d == NULL)
        return;
    free(d->agent_list);
    for (size_t i = 0; i < d->n_failing; i++)
        vr__store_reasons_free(&d->failing[i].reasons);
    for (size_t i = 0; i < d->n_capacity; i++)
        free(d->capacity[i].record);
    for (size_t i = 0; i < d->n_captures; i++)
        vr__store_reasons_free(&d->captures[i].reasons);
    free(d->paths);
    free(d->failing);
    free(d->capacity);
    free(d->captures);
    free(d);
}

int vr_store_site(struct vr_store *s, const char *site, uint64_t now_wall_ns, uint64_t window_ns,
                  struct vr_store_site_detail **out, struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t id, agents;
    uint64_t last, upload = 0;
    int err = site_row(s, site, &id, &last, &agents, &upload, eb);
    if (err == VR_ENOTFOUND && configured(s, site)) {
        struct vr_store_site_detail *e = calloc(1, sizeof(*e));
        if (e == NULL)
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        e->window_ns = window_ns;
        if ((err = never_reported(s, site, now_wall_ns, &e->summary, eb)) < 0) {
            free(e);
            return err;
        }
        *out = e;
        return 0;
    }
    if (err < 0)
        return err;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_store_site_detail *d = calloc(1, sizeof(*d));
    struct vec paths = {NULL, 0, 0, sizeof(struct vr_store_path)};
    struct vec failing = {NULL, 0, 0, sizeof(struct vr_store_failing)};
    struct vec agent_list = {NULL, 0, 0, sizeof(struct vr_store_agent)};
    if (acc == NULL || d == NULL) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        goto done;
    }
    struct vr_store_site_summary *sum = &d->summary;
    snprintf(sum->site, sizeof(sum->site), "%s", site);
    sum->last_seen_wall_ns = last;
    sum->last_upload_wall_ns = upload;
    sum->agents = agents;
    err = agents_load(s, id, now_wall_ns, &agent_list, eb);
    d->agent_list = agent_list.v;
    d->n_agents = agent_list.n;
    if (err < 0)
        goto done;
    d->window_ns = window_ns;
    int64_t from, to;
    window_hours(now_wall_ns, window_ns, &from, &to);
    uint64_t from_ns = window_ns < now_wall_ns ? now_wall_ns - window_ns : 0;
    err = verdict_of(s, id, now_wall_ns, window_ns, acc, &sum->verdict, eb);
    if (err == 0)
        err = site_classes(s, id, from, to, &paths, eb);
    d->paths = paths.v;
    d->n_paths = paths.n;
    if (err == 0)
        err = site_failing(s, id, from_ns, now_wall_ns, &failing, eb);
    d->failing = failing.v;
    d->n_failing = failing.n;
    if (err < 0)
        goto done;
    if ((err = vr__store_capacity(s, id, site, NULL, 0, &sum->capacity, eb)) < 0)
        goto done;
    vr_verdict_apply_capacity(&sum->verdict, sum->capacity.status, sum->capacity.reason);
    apply_liveness(s, sum, now_wall_ns);
    if ((err = vr__store_cap_site(s, id, d, eb)) < 0)
        goto done;
    *out = d;
    d = NULL;
done:
    vr_store_site_detail_free(d);
    vr_verdict_acc_free(acc);
    return err;
}

struct series {
    int64_t path_id;
    struct vec points; /* vr_store_point, newest first until the end */
};

static struct series *series_of(struct series *sr, struct vr_store_series *out, size_t *n,
                                sqlite3_stmt *q, int link_col)
{
    int64_t pid = sqlite3_column_int64(q, 0);
    for (size_t i = 0; i < *n; i++)
        if (sr[i].path_id == pid)
            return &sr[i];
    if (*n >= SITE_MAX_SERIES)
        return NULL;
    struct series *x = &sr[*n];
    struct vr_store_series *o = &out[(*n)++];
    x->path_id = pid;
    x->points = (struct vec){NULL, 0, 0, sizeof(struct vr_store_point)};
    snprintf(o->cls, sizeof(o->cls), "%s", col_text(q, 1));
    snprintf(o->target, sizeof(o->target), "%s", col_text(q, 2));
    snprintf(o->link, sizeof(o->link), "%s", col_text(q, link_col));
    return x;
}

void vr_store_series_set_free(struct vr_store_series_set *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->n; i++)
        free(x->series[i].points);
    free(x->series);
    free(x);
}

int vr_store_intervals(struct vr_store *s, const char *site, uint64_t since_wall_ns,
                       const char *cls, const char *link, struct vr_store_series_set **out,
                       struct vr_errbuf *eb)
{
    *out = NULL;
    int64_t id, agents;
    uint64_t last, upload;
    int err = site_row(s, site, &id, &last, &agents, &upload, eb);
    if (err == VR_ENOTFOUND && configured(s, site)) { /* never reported: no series */
        if ((*out = calloc(1, sizeof(**out))) == NULL)
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        copy_text((*out)->site, sizeof((*out)->site), site);
        return 0;
    }
    if (err < 0)
        return err;
    if (cls != NULL && !bounded(cls, 16))
        return vr_errbuf_set(eb, VR_EINVAL, "class: expected audio, video, sharing or besteffort");
    if (link != NULL && !bounded(link, 16))
        return vr_errbuf_set(eb, VR_EINVAL, "link: expected wired, wifi or other");
    struct series *sr = calloc(SITE_MAX_SERIES, sizeof(*sr));
    struct vr_store_series_set *o = calloc(1, sizeof(*o));
    struct vr_store_series *arr = calloc(SITE_MAX_SERIES, sizeof(*arr));
    size_t ns = 0;
    int rc;
    if (sr == NULL || o == NULL || arr == NULL) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
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
        struct series *x = series_of(sr, arr, &ns, q, 12);
        if (x == NULL || x->points.n >= SERIES_MAX_POINTS)
            continue;
        struct vr_store_point *p = vec_push(&x->points);
        if (p == NULL)
            break;
        p->t_wall_ns = col_u64(q, 3);
        double *v[] = {&p->rtt_ms,
                       &p->rtt_p95_ms,
                       &p->jitter_fwd_ms,
                       &p->jitter_rev_ms,
                       &p->loss_fwd_pct,
                       &p->loss_rev_pct,
                       &p->mos};
        for (int k = 0; k < 7; k++)
            *v[k] = col_num(q, 4 + k);
        p->verdict = level_of(sqlite3_column_int(q, 11));
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW) {
        err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        goto done;
    }
    if (rc != SQLITE_DONE) {
        err = db_fail(s, rc, eb, "reading intervals");
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
            struct series *x = series_of(sr, arr, &ns, q, 14);
            if (x == NULL || x->points.n >= SERIES_MAX_POINTS)
                continue;
            struct vr_store_point *p = vec_push(&x->points);
            if (p == NULL)
                break;
            double n = (double)sqlite3_column_int64(q, 4);
            double mos_n = (double)sqlite3_column_int64(q, 11);
            p->t_wall_ns = col_u64(q, 3) * HOUR_NS;
            p->rtt_ms = sqlite3_column_double(q, 5) / n;
            p->rtt_p95_ms = NAN;
            p->jitter_fwd_ms = sqlite3_column_double(q, 6) / n;
            p->jitter_rev_ms = sqlite3_column_double(q, 7) / n;
            p->loss_fwd_pct = sqlite3_column_double(q, 8) / n;
            p->loss_rev_pct = sqlite3_column_double(q, 9) / n;
            p->mos = sqlite3_column_double(q, 10) / mos_n;
            p->verdict = sqlite3_column_int64(q, 12) > 0   ? VR_LEVEL_FAIL
                         : sqlite3_column_int64(q, 13) > 0 ? VR_LEVEL_WARN
                                                           : VR_LEVEL_PASS;
            p->hourly = true;
        }
        sqlite3_reset(q);
        if (rc == SQLITE_ROW) {
            err = vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
            goto done;
        }
        if (rc != SQLITE_DONE) {
            err = db_fail(s, rc, eb, "reading hourly intervals");
            goto done;
        }
    }
    for (size_t i = 0; i < ns; i++) { /* oldest first */
        struct vr_store_point *pt = sr[i].points.v;
        size_t np = sr[i].points.n;
        for (size_t k = 0; k < np / 2; k++) {
            struct vr_store_point t = pt[k];
            pt[k] = pt[np - 1 - k];
            pt[np - 1 - k] = t;
        }
        arr[i].points = pt;
        arr[i].n = np;
        sr[i].points.v = NULL;
    }
    snprintf(o->site, sizeof(o->site), "%s", site);
    o->series = arr;
    o->n = ns;
    arr = NULL;
    *out = o;
    o = NULL;
done:
    for (size_t i = 0; sr != NULL && i < ns; i++)
        free(sr[i].points.v);
    free(sr);
    free(arr);
    vr_store_series_set_free(o);
    return err;
}

/* ---- per link kind, for report --------------------------------------------------------------- */

void vr_store_link_rows_free(struct vr_store_link_row *rows)
{
    free(rows);
}

int vr_store_site_links(struct vr_store *s, uint64_t now_wall_ns, uint64_t window_ns,
                        struct vr_store_link_row **rows, size_t *n_rows, struct vr_errbuf *eb)
{
    *rows = NULL;
    *n_rows = 0;
    int64_t from, to;
    window_hours(now_wall_ns, window_ns, &from, &to);
    struct vec v = {NULL, 0, 0, sizeof(struct vr_store_link_row)};
    sqlite3_stmt *q = st(s, ST_Q_LINKS);
    int rc;
    sqlite3_bind_int64(q, 1, from);
    sqlite3_bind_int64(q, 2, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_link_row *e = vec_push(&v);
        if (e == NULL)
            break;
        copy_text(e->site, sizeof(e->site), col_text(q, 0));
        copy_text(e->link, sizeof(e->link), col_text(q, 1));
        double n = (double)sqlite3_column_int64(q, 4);
        e->intervals = sqlite3_column_int64(q, 2);
        e->passed = sqlite3_column_int64(q, 3);
        double *means[] = {&e->loss_fwd_pct, &e->loss_rev_pct, &e->jitter_fwd_ms, &e->jitter_rev_ms,
                           &e->rtt_ms_mean};
        for (int k = 0; k < 5; k++)
            *means[k] = n > 0 ? sqlite3_column_double(q, 5 + k) / n : NAN;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        free(v.v);
        if (rc == SQLITE_ROW)
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
        return db_fail(s, rc, eb, "reading the link summary");
    }
    *rows = v.v;
    *n_rows = v.n;
    return 0;
}
