/* store_sqlite_cap: capacity and capture records on the read side of the SQLite store
 * (store_int.h):
 * - per site and target the latest capacity record (by start time, table `site_capacity`) is the
 *   site's measured capacity; the capacity rule (common/plan.h) judges it against the site's
 *   plan and is applied to the site verdict;
 * - the site page's capacity rows (the latest run per target) and capture rows (real RTP streams
 *   seen by `voiceready-agent capture`, shown, never part of the verdict).
 * Calls nothing in the other store files. */
#include "store.h"

#include <jansson.h>

#include "jfield.h"
#include "rec_capture.h"
#include "store_int.h"

/* ---- the capacity rule ----------------------------------------------------------------------- */

int vr__store_caps(struct vr_store *s, struct vr__site_cap **out, size_t *n, struct vr_errbuf *eb)
{
    size_t cap = 16, k = 0; /* never NULL, even when empty: it marks the site list's lookups */
    struct vr__site_cap *v = malloc(cap * sizeof(*v));
    if (v == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    int rc;
    sqlite3_stmt *q = st(s, ST_Q_CAPS);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap * 2;
            struct vr__site_cap *nv = realloc(v, nc * sizeof(*nv));
            if (nv == NULL) {
                sqlite3_reset(q);
                free(v);
                return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
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
        return db_fail(s, rc, eb, "reading site capacities");
    }
    *out = v;
    *n = k;
    return 0;
}

int vr__store_capacity(struct vr_store *s, int64_t site_id, const char *site,
                       const struct vr__site_cap *caps, size_t n_caps,
                       struct vr_store_capacity *out, struct vr_errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    const struct vr_store_options *opt = &s->opt;
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
        sqlite3_stmt *q = st(s, ST_Q_CAP_ONE);
        sqlite3_bind_int64(q, 1, site_id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW && sqlite3_column_int64(q, 1) > 0) {
            int64_t calls = sqlite3_column_int64(q, 0);
            out->measured = true;
            out->calls = calls < 0 ? 0 : calls > UINT32_MAX ? UINT32_MAX : (uint32_t)calls;
        }
        sqlite3_reset(q);
        if (rc != SQLITE_ROW)
            return db_fail(s, rc, eb, "reading a site's capacity");
    }
    if (opt->site_plan != NULL && opt->site_plan(opt->site_plan_arg, site, &out->in) &&
        vr_plan_compute(&out->in, &out->plan, NULL) == 0)
        out->planned = true;
    out->status = vr_plan_judge(out->planned ? &out->plan : NULL, out->in.growth_cpct,
                                out->measured, out->calls, out->reason, sizeof(out->reason));
    return 0;
}

/* ---- the site page -------------------------------------------------------------------------- */

/* Copies n reasons of len bytes each (NUL-terminated inside) into out. */
static int copy_reasons(const char *reasons, size_t n, size_t len, struct vr_store_reasons *out)
{
    out->present = true;
    out->v = n > 0 ? calloc(n, sizeof(*out->v)) : NULL;
    if (n > 0 && out->v == NULL)
        return VR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((out->v[out->n] = strndup(reasons + i * len, len)) == NULL)
            return VR_ENOMEM;
        out->n++;
    }
    return 0;
}

int vr__store_reasons(const char *record, struct vr_store_reasons *out)
{
    static const char *const types[] = {"interval", "summary", "capture", NULL};
    memset(out, 0, sizeof(*out));
    json_t *raw = json_loads(record, 0, NULL);
    int type = -1, err = 0;
    struct vr_jerr je = {{""}, ""};
    if (raw == NULL || vr_jfield_enum(raw, "", "type", types, VR_JFIELD_REQUIRED, &type, &je) < 0)
        type = -1;
    if (type == 0 || type == 1) {
        struct vr_record *r = malloc(sizeof(*r));
        if (r == NULL)
            err = VR_ENOMEM;
        else if (vr_record_from_json(raw, r, &je) == 0)
            err = copy_reasons(r->reasons[0], r->n_reasons, sizeof(r->reasons[0]), out);
        free(r);
    } else if (type == 2) {
        struct vr_rec_capture *r = malloc(sizeof(*r));
        if (r == NULL)
            err = VR_ENOMEM;
        else if (vr_rec_capture_from_json(raw, r, &je) == 0)
            err = copy_reasons(r->reasons[0], r->n_reasons, sizeof(r->reasons[0]), out);
        free(r);
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

static int capacity_rows(struct vr_store *s, int64_t site_id, struct vr_store_site_detail *d,
                         struct vr_errbuf *eb)
{
    struct vec rows = {NULL, 0, 0, sizeof(struct vr_store_capacity_row)};
    sqlite3_stmt *q = st(s, ST_Q_CAP_SITE);
    sqlite3_bind_int64(q, 1, site_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct vr_store_capacity_row *e = vec_push(&rows);
        if (e == NULL)
            break;
        copy_text(e->target, sizeof(e->target), col_text(q, 0));
        copy_text(e->link, sizeof(e->link), col_text(q, 1));
        e->calls = sqlite3_column_int64(q, 2);
        e->bps_fwd = col_num(q, 3);
        e->bps_rev = col_num(q, 4);
        e->max_rate_bps = sqlite3_column_int64(q, 5);
        copy_text(e->limit, sizeof(e->limit), col_text(q, 6));
        copy_text(e->cause, sizeof(e->cause), col_text(q, 7));
        e->verdict = level_of(sqlite3_column_int(q, 8));
        e->start_wall_ns = (uint64_t)sqlite3_column_int64(q, 9);
        copy_text(e->agent, sizeof(e->agent), col_text(q, 11));
        if ((e->record = strdup(col_text(q, 10))) == NULL)
            break;
    }
    sqlite3_reset(q);
    d->capacity = rows.v;
    d->n_capacity = rows.n;
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "reading capacity records");
}

static int capture_rows(struct vr_store *s, int64_t site_id, struct vr_store_site_detail *d,
                        struct vr_errbuf *eb)
{
    struct vec rows = {NULL, 0, 0, sizeof(struct vr_store_capture_row)};
    sqlite3_stmt *q = st(s, ST_Q_CAPTURES);
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
        e->loss_pct = col_num(q, 7);
        e->jitter_ms = col_num(q, 8);
        e->mos = col_num(q, 9);
        e->verdict = level_of(sqlite3_column_int(q, 10));
        if (vr__store_reasons(col_text(q, 11), &e->reasons) < 0)
            break;
    }
    sqlite3_reset(q);
    d->captures = rows.v;
    d->n_captures = rows.n;
    if (rc == SQLITE_ROW)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, eb, "reading capture records");
}

int vr__store_cap_site(struct vr_store *s, int64_t site_id, struct vr_store_site_detail *d,
                       struct vr_errbuf *eb)
{
    int err = capacity_rows(s, site_id, d, eb);
    if (err == 0)
        err = capture_rows(s, site_id, d, eb);
    return err;
}
