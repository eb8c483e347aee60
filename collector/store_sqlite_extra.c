/* store_sqlite_extra: the part of the SQLite store that is not interval records (store_int.h):
 * - capacity records (one per `voiceready-agent capacity` run) in `capacity`, and per site and
 *   target the latest of them (by start time) in `site_capacity`, the site's measured capacity;
 * - capture records (one per real RTP stream seen by `voiceready-agent capture`) in `captures`,
 *   kept as long as raw interval records; shown on the site page, never part of the verdict;
 * - the capacity rule (common/plan.h) applied to the site verdict, and the site page's planning,
 *   capacity, capture and per-link blocks.
 * Both record kinds are rare next to intervals (one per run or per stream), so they are
 * de-duplicated by a UNIQUE (agent_id, rid) index and INSERT OR IGNORE, not by high-water marks.
 * Runs inside the callers' transactions; same thread rules as store.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store_int.h"

const char vr__store_migration_2[] =
    /* paths keyed by link kind too: the same target over wired and Wi-Fi are two paths, so that
     * Wi-Fi jitter is never averaged into (or blamed on) the wired path */
    "CREATE TABLE paths_new(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " cls TEXT NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL, dscp INTEGER NOT NULL,"
    " UNIQUE(site_id, cls, target, link));"
    "INSERT INTO paths_new(id, site_id, cls, target, link, dscp)"
    " SELECT id, site_id, cls, target, link, dscp FROM paths;"
    "DROP TABLE paths;"
    "ALTER TABLE paths_new RENAME TO paths;"
    "CREATE TABLE capacity(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " agent_id INTEGER NOT NULL REFERENCES agents(id), rid TEXT NOT NULL,"
    " start_ns INTEGER NOT NULL, target TEXT NOT NULL, link TEXT NOT NULL,"
    " calls INTEGER NOT NULL, bps_fwd REAL, bps_rev REAL, max_rate_bps INTEGER,"
    " stop_limit TEXT NOT NULL, cause TEXT NOT NULL, verdict INTEGER NOT NULL, raw TEXT NOT NULL,"
    " UNIQUE(agent_id, rid));"
    "CREATE INDEX capacity_site_time ON capacity(site_id, start_ns);"
    "CREATE TABLE site_capacity(site_id INTEGER NOT NULL REFERENCES sites(id),"
    " target TEXT NOT NULL, cap_id INTEGER NOT NULL REFERENCES capacity(id),"
    " start_ns INTEGER NOT NULL, calls INTEGER NOT NULL, PRIMARY KEY(site_id, target))"
    " WITHOUT ROWID;"
    "CREATE TABLE captures(id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),"
    " agent_id INTEGER NOT NULL REFERENCES agents(id), rid TEXT NOT NULL,"
    " start_ns INTEGER NOT NULL, link TEXT NOT NULL, cls TEXT NOT NULL, src TEXT NOT NULL,"
    " dst TEXT NOT NULL, packets INTEGER NOT NULL, lost INTEGER NOT NULL, loss_pct REAL,"
    " jitter_ms REAL, mos REAL, verdict INTEGER NOT NULL, raw TEXT NOT NULL,"
    " UNIQUE(agent_id, rid));"
    "CREATE INDEX captures_site_time ON captures(site_id, start_ns);";

enum xst {
    X_CAP_ADD,
    X_CAP_STATE,
    X_CAPT_ADD,
    X_Q_CAPS,
    X_Q_CAP_ONE,
    X_Q_CAP_SITE,
    X_Q_CAPTURES,
    X_Q_LINKS,
    X_PRUNE_CAPT,
    X_COUNT
};

static const char *const xsql[X_COUNT] = {
    [X_CAP_ADD] = "INSERT OR IGNORE INTO capacity(site_id, agent_id, rid, start_ns, target, link, "
                  "calls, bps_fwd, bps_rev, max_rate_bps, stop_limit, cause, verdict, raw) VALUES "
                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
    [X_CAP_STATE] = "INSERT INTO site_capacity(site_id, target, cap_id, start_ns, calls) VALUES "
                    "(?1,?2,?3,?4,?5) ON CONFLICT(site_id, target) DO UPDATE SET cap_id = "
                    "excluded.cap_id, start_ns = excluded.start_ns, calls = excluded.calls WHERE "
                    "excluded.start_ns >= site_capacity.start_ns",
    [X_CAPT_ADD] = "INSERT OR IGNORE INTO captures(site_id, agent_id, rid, start_ns, link, cls, "
                   "src, dst, packets, lost, loss_pct, jitter_ms, mos, verdict, raw) VALUES "
                   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
    [X_Q_CAPS] = "SELECT site_id, min(calls) FROM site_capacity GROUP BY site_id ORDER BY site_id",
    [X_Q_CAP_ONE] = "SELECT min(calls), count(*) FROM site_capacity WHERE site_id = ?1",
    [X_Q_CAP_SITE] = "SELECT c.target, c.link, c.calls, c.bps_fwd, c.bps_rev, c.max_rate_bps, "
                     "c.stop_limit, c.cause, c.verdict, c.start_ns, c.raw, a.name FROM "
                     "site_capacity sc JOIN capacity c ON c.id = sc.cap_id JOIN agents a ON a.id "
                     "= c.agent_id WHERE sc.site_id = ?1 ORDER BY c.calls, c.target",
    [X_Q_CAPTURES] = "SELECT start_ns, link, cls, src, dst, packets, lost, loss_pct, jitter_ms, "
                     "mos, verdict, raw FROM captures WHERE site_id = ?1 ORDER BY start_ns DESC "
                     "LIMIT 50",
    [X_Q_LINKS] = "SELECT s.name, p.link, sum(h.intervals), sum(h.passed), sum(h.n), "
                  "sum(h.loss_fwd_sum), sum(h.loss_rev_sum), sum(h.jitter_fwd_sum), "
                  "sum(h.jitter_rev_sum), sum(h.rtt_sum) FROM path_hour h JOIN paths p ON p.id "
                  "= h.path_id JOIN sites s ON s.id = p.site_id WHERE h.hour >= ?1 AND h.hour < "
                  "?2 GROUP BY p.site_id, p.link ORDER BY s.name, p.link",
    [X_PRUNE_CAPT] = "DELETE FROM captures WHERE start_ns < ?1",
};

struct vr__store_x {
    sqlite3_stmt *st[X_COUNT];
};

static sqlite3_stmt *xst(struct vr__store_x *x, enum xst k)
{
    sqlite3_stmt *q = x->st[k];
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return q;
}

static void bind_str(sqlite3_stmt *q, int i, const char *t, size_t max)
{
    sqlite3_bind_text(q, i, t, (int)strnlen(t, max), SQLITE_STATIC);
}

static double xcol_num(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

static enum vr_level xlevel(int lv)
{
    return lv == 2 ? VR_LEVEL_FAIL : lv == 1 ? VR_LEVEL_WARN : VR_LEVEL_PASS;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

int vr__store_x_open(struct vr_store *s, struct vr__store_x **out, struct vr_errbuf *eb)
{
    *out = NULL;
    struct vr__store_x *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    for (size_t i = 0; i < X_COUNT; i++) {
        int rc = sqlite3_prepare_v3(vr__store_db(s), xsql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &x->st[i], NULL);
        if (rc != SQLITE_OK) {
            int err = vr__store_fail(s, rc, eb, "preparing a statement");
            vr__store_x_close(x);
            return err;
        }
    }
    *out = x;
    return 0;
}

void vr__store_x_close(struct vr__store_x *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < X_COUNT; i++)
        sqlite3_finalize(x->st[i]);
    free(x);
}

/* ---- ingest ---------------------------------------------------------------------------------- */

static int check(const struct vr_xrecord *r, size_t i, struct vr_errbuf *eb)
{
    const char *bad = NULL;
    if (memchr(r->id, 0, sizeof(r->id)) == NULL || r->id[0] == 0)
        bad = "id";
    else if (memchr(r->agent, 0, sizeof(r->agent)) == NULL || r->agent[0] == 0)
        bad = "agent";
    else if (memchr(r->site, 0, sizeof(r->site)) == NULL || r->site[0] == 0)
        bad = "site";
    else if (r->raw == NULL)
        bad = "raw";
    else if (r->start_wall_ns > (uint64_t)INT64_MAX)
        bad = "start";
    if (bad != NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "%s record %zu: field \"%s\" missing or too long",
                             r->type == VR_XRECORD_CAPACITY ? "capacity" : "capture", i + 1, bad);
    return 0;
}

static int add_capacity(struct vr_store *s, struct vr__store_x *x, const struct vr_xrecord *r,
                        int64_t site_id, int64_t agent_id, bool *stored, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = xst(x, X_CAP_ADD);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, agent_id);
    bind_str(q, 3, r->id, sizeof(r->id));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    bind_str(q, 5, r->target, sizeof(r->target));
    bind_str(q, 6, r->link, sizeof(r->link));
    sqlite3_bind_int64(q, 7, r->capacity_calls);
    bind_real(q, 8, r->bps_fwd);
    bind_real(q, 9, r->bps_rev);
    sqlite3_bind_int64(q, 10, (int64_t)r->max_rate_bps);
    bind_str(q, 11, r->limit, sizeof(r->limit));
    bind_str(q, 12, r->cause, sizeof(r->cause));
    sqlite3_bind_int(q, 13, (int)r->verdict);
    sqlite3_bind_text(q, 14, r->raw, -1, SQLITE_STATIC);
    int err = step_done(s, q, eb, "storing a capacity record");
    if (err < 0)
        return err;
    *stored = sqlite3_changes(vr__store_db(s)) > 0;
    if (!*stored)
        return 0;
    q = xst(x, X_CAP_STATE);
    sqlite3_bind_int64(q, 1, site_id);
    bind_str(q, 2, r->target, sizeof(r->target));
    sqlite3_bind_int64(q, 3, sqlite3_last_insert_rowid(vr__store_db(s)));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    sqlite3_bind_int64(q, 5, r->capacity_calls);
    return step_done(s, q, eb, "updating a site's capacity");
}

static int add_capture(struct vr_store *s, struct vr__store_x *x, const struct vr_xrecord *r,
                       int64_t site_id, int64_t agent_id, bool *stored, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = xst(x, X_CAPT_ADD);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, agent_id);
    bind_str(q, 3, r->id, sizeof(r->id));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    bind_str(q, 5, r->link, sizeof(r->link));
    bind_str(q, 6, r->cls, sizeof(r->cls));
    bind_str(q, 7, r->src, sizeof(r->src));
    bind_str(q, 8, r->dst, sizeof(r->dst));
    sqlite3_bind_int64(q, 9, r->packets > INT64_MAX ? INT64_MAX : (int64_t)r->packets);
    sqlite3_bind_int64(q, 10, r->lost > INT64_MAX ? INT64_MAX : (int64_t)r->lost);
    bind_real(q, 11, r->loss_pct);
    bind_real(q, 12, r->jitter_ms);
    bind_real(q, 13, r->mos);
    sqlite3_bind_int(q, 14, (int)r->verdict);
    sqlite3_bind_text(q, 15, r->raw, -1, SQLITE_STATIC);
    int err = step_done(s, q, eb, "storing a capture record");
    if (err == 0)
        *stored = sqlite3_changes(vr__store_db(s)) > 0;
    return err;
}

int vr__store_x_ingest(struct vr_store *s, struct vr__store_x *x, const struct vr_xrecord *xr,
                       size_t nx, bool *xstored, struct vr_errbuf *eb)
{
    int err;
    for (size_t i = 0; i < nx; i++)
        if ((err = check(&xr[i], i, eb)) < 0)
            return err;
    for (size_t i = 0; i < nx; i++) {
        const struct vr_xrecord *r = &xr[i];
        int64_t site_id, agent_id;
        uint64_t end = r->start_wall_ns;
        if (isfinite(r->duration_s) && r->duration_s > 0 && r->duration_s < 1e7)
            end += (uint64_t)(r->duration_s * 1e9);
        if ((err = vr__store_ids(s, r->site, r->agent, end, &site_id, &agent_id, eb)) < 0)
            return err;
        err = r->type == VR_XRECORD_CAPACITY
                  ? add_capacity(s, x, r, site_id, agent_id, &xstored[i], eb)
                  : add_capture(s, x, r, site_id, agent_id, &xstored[i], eb);
        if (err < 0)
            return err;
    }
    return 0;
}

int vr__store_x_prune(struct vr_store *s, struct vr__store_x *x, int64_t raw_cut_ns,
                      struct vr_errbuf *eb)
{
    sqlite3_stmt *q = xst(x, X_PRUNE_CAPT);
    sqlite3_bind_int64(q, 1, raw_cut_ns);
    return step_done(s, q, eb, "pruning capture records");
}

/* ---- the capacity rule ----------------------------------------------------------------------- */

int vr__store_x_caps(struct vr_store *s, struct vr__store_x *x, struct vr__site_cap **out,
                     size_t *n, struct vr_errbuf *eb)
{
    size_t cap = 16, k = 0; /* never NULL, even when empty: it marks the site list's lookups */
    struct vr__site_cap *v = malloc(cap * sizeof(*v));
    if (v == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    int rc;
    sqlite3_stmt *q = xst(x, X_Q_CAPS);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap * 2;
            struct vr__site_cap *nv = realloc(v, nc * sizeof(*nv));
            if (nv == NULL) {
                sqlite3_reset(q);
                free(v);
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
            }
            v = nv;
            cap = nc;
        }
        int64_t calls = sqlite3_column_int64(q, 1);
        v[k].site_id = sqlite3_column_int64(q, 0);
        v[k].calls = calls < 0 ? 0 : calls > UINT32_MAX ? UINT32_MAX : (uint32_t)calls;
        k++;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        free(v);
        return vr__store_fail(s, rc, eb, "reading site capacities");
    }
    *out = v;
    *n = k;
    return 0;
}

int vr__store_x_capacity(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                         const char *site, const struct vr__site_cap *caps, size_t n_caps,
                         struct vr_store_capacity *out, struct vr_errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    const struct vr_store_options *opt = vr__store_opt(s);
    if (caps != NULL) {
        size_t lo = 0, hi = n_caps; /* binary search: caps is sorted by site_id */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (caps[mid].site_id < site_id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n_caps && caps[lo].site_id == site_id) {
            out->measured = true;
            out->calls = caps[lo].calls;
        }
    } else {
        sqlite3_stmt *q = xst(x, X_Q_CAP_ONE);
        sqlite3_bind_int64(q, 1, site_id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW && sqlite3_column_int64(q, 1) > 0) {
            int64_t calls = sqlite3_column_int64(q, 0);
            out->measured = true;
            out->calls = calls < 0 ? 0 : calls > UINT32_MAX ? UINT32_MAX : (uint32_t)calls;
        }
        sqlite3_reset(q);
        if (rc != SQLITE_ROW)
            return vr__store_fail(s, rc, eb, "reading a site's capacity");
    }
    if (opt->site_plan != NULL && opt->site_plan(opt->site_plan_arg, site, &out->in) &&
        vr_plan_compute(&out->in, &out->plan, NULL) == 0)
        out->planned = true;
    out->status = vr_plan_judge(out->planned ? &out->plan : NULL, out->in.growth_cpct,
                                out->measured, out->calls, out->reason, sizeof(out->reason));
    return 0;
}

void vr__store_x_apply(const struct vr_store_capacity *c, struct vr_verdict *v)
{
    int level = vr_capacity_status_level(c->status);
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
    snprintf(v->reasons[at], sizeof(v->reasons[at]), "%s", c->reason);
    v->n_reasons = n + 1;
}

/* ---- the site page -------------------------------------------------------------------------- */

int vr__store_reasons(const char *record, struct vr_store_reasons *out)
{
    memset(out, 0, sizeof(*out));
    json_t *raw = json_loads(record, 0, NULL);
    json_t *r = raw != NULL ? json_object_get(raw, "reasons") : NULL;
    int err = 0;
    if (json_is_array(r)) {
        out->present = true;
        size_t n = json_array_size(r);
        out->v = n > 0 ? calloc(n, sizeof(*out->v)) : NULL;
        if (n > 0 && out->v == NULL)
            err = VR_ENOMEM;
        for (size_t i = 0; err == 0 && i < n; i++) {
            const char *t = json_string_value(json_array_get(r, i));
            if (t == NULL) /* agents write strings only: anything else is skipped */
                continue;
            if ((out->v[out->n] = strdup(t)) == NULL)
                err = VR_ENOMEM;
            else
                out->n++;
        }
    }
    json_decref(raw);
    return err;
}

void vr__store_reasons_free(struct vr_store_reasons *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static int capacity_rows(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                         struct vr_store_site_detail *d, struct vr_errbuf *eb)
{
    struct vec rows = {NULL, 0, 0, sizeof(struct vr_store_capacity_row)};
    sqlite3_stmt *q = xst(x, X_Q_CAP_SITE);
    sqlite3_bind_int64(q, 1, site_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_capacity_row *e = vec_push(&rows);
        if (e == NULL)
            break;
        copy_text(e->target, sizeof(e->target), col_text(q, 0));
        copy_text(e->link, sizeof(e->link), col_text(q, 1));
        e->calls = sqlite3_column_int64(q, 2);
        e->bps_fwd = xcol_num(q, 3);
        e->bps_rev = xcol_num(q, 4);
        e->max_rate_bps = sqlite3_column_int64(q, 5);
        copy_text(e->limit, sizeof(e->limit), col_text(q, 6));
        copy_text(e->cause, sizeof(e->cause), col_text(q, 7));
        e->verdict = xlevel(sqlite3_column_int(q, 8));
        e->start_wall_ns = (uint64_t)sqlite3_column_int64(q, 9);
        copy_text(e->agent, sizeof(e->agent), col_text(q, 11));
        if ((e->record = strdup(col_text(q, 10))) == NULL)
            break;
    }
    sqlite3_reset(q);
    d->capacity = rows.v;
    d->n_capacity = rows.n;
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    return rc == SQLITE_DONE ? 0 : vr__store_fail(s, rc, eb, "reading capacity records");
}

static int capture_rows(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                        struct vr_store_site_detail *d, struct vr_errbuf *eb)
{
    struct vec rows = {NULL, 0, 0, sizeof(struct vr_store_capture_row)};
    sqlite3_stmt *q = xst(x, X_Q_CAPTURES);
    sqlite3_bind_int64(q, 1, site_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_capture_row *e = vec_push(&rows);
        if (e == NULL)
            break;
        e->start_wall_ns = (uint64_t)sqlite3_column_int64(q, 0);
        copy_text(e->link, sizeof(e->link), col_text(q, 1));
        copy_text(e->cls, sizeof(e->cls), col_text(q, 2));
        copy_text(e->src, sizeof(e->src), col_text(q, 3));
        copy_text(e->dst, sizeof(e->dst), col_text(q, 4));
        e->packets = sqlite3_column_int64(q, 5);
        e->lost = sqlite3_column_int64(q, 6);
        e->loss_pct = xcol_num(q, 7);
        e->jitter_ms = xcol_num(q, 8);
        e->mos = xcol_num(q, 9);
        e->verdict = xlevel(sqlite3_column_int(q, 10));
        if (vr__store_reasons(col_text(q, 11), &e->reasons) < 0)
            break;
    }
    sqlite3_reset(q);
    d->captures = rows.v;
    d->n_captures = rows.n;
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
    return rc == SQLITE_DONE ? 0 : vr__store_fail(s, rc, eb, "reading capture records");
}

int vr__store_x_site(struct vr_store *s, struct vr__store_x *x, int64_t site_id,
                     struct vr_store_site_detail *d, struct vr_errbuf *eb)
{
    int err = capacity_rows(s, x, site_id, d, eb);
    if (err == 0)
        err = capture_rows(s, x, site_id, d, eb);
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
    const uint64_t hour_ns = 3600000000000ull;
    uint64_t start = window_ns < now_wall_ns ? now_wall_ns - window_ns : 0;
    int64_t from = (int64_t)((start + hour_ns - 1) / hour_ns);
    int64_t to = (int64_t)((now_wall_ns + hour_ns - 1) / hour_ns);
    struct vec v = {NULL, 0, 0, sizeof(struct vr_store_link_row)};
    sqlite3_stmt *q = xst(vr__store_xs(s), X_Q_LINKS);
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
            return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", vr__store_path(s));
        return vr__store_fail(s, rc, eb, "reading the link summary");
    }
    *rows = v.v;
    *n_rows = v.n;
    return 0;
}
