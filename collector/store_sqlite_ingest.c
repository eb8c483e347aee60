/* store_sqlite_ingest: ingest into the SQLite store (store.h, store_int.h).
 * De-duplication does not use a UNIQUE index on random text ids (it costs most of the ingest
 * rate): record ids are "<agent run>-<class>-<epoch>", so each (agent, run, class) keeps a
 * high-water epoch (table `runs`, cached in memory). An epoch above it is new for certain; any
 * other id (at or below it, a summary, an id of another shape) is looked up exactly by
 * (site, start, agent, id) through the (site_id, start_ns) index, which is the safety net.
 * Hourly rollups are accumulated per ingest call in memory and merged into their rows once per
 * call. Caches map names to row ids; they mirror committed rows only and are dropped on rollback.
 * Capacity and capture records go in the same transaction; each site keeps its latest capacity
 * record per target (by start time) in `site_capacity`. */
#include "store.h"

#include "clock.h"
#include "hash.h"
#include "store_int.h"

/* ---- a bounded string -> int64 cache (open addressing, FNV-1a) --------------------------- */

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

void vr__store_cache_clear(struct cache *c)
{
    cache_clear(c);
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
static int agent_id_lookup(struct vr_store *s, const char *agent, int64_t site_id, int64_t *id,
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

/* The agent's row id, noted as one of the batch's agents: their last upload is set at commit,
 * for duplicates too (an agent that only resends is not silent). A batch is one agent's. */
static int agent_id_of(struct vr_store *s, const char *agent, int64_t site_id, int64_t *id,
                       struct vr_errbuf *eb)
{
    int err = agent_id_lookup(s, agent, site_id, id, eb);
    if (err < 0)
        return err;
    for (size_t k = s->agents_seen.n; k-- > 0;)
        if (((int64_t *)s->agents_seen.v)[k] == *id)
            return 0;
    int64_t *e = vec_push(&s->agents_seen);
    if (e == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", s->path);
    *e = *id;
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

/* The rollup side of vr_verdict_acc_add (common/score.c), kept per hour. */
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
            row.episodes = col_u64(q, 8);
            row.first_end_ns = col_u64(q, 9);
            row.last_start_ns = col_u64(q, 10);
            row.worst_start_ns = col_u64(q, 11);
            row.worst_end_ns = col_u64(q, 12);
            row.step_ns = col_u64(q, 13);
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
        uint64_t ep[] = {m->episodes,       m->first_end_ns, m->last_start_ns,
                         m->worst_start_ns, m->worst_end_ns, m->step_ns};
        for (int k = 0; k < 6; k++)
            sqlite3_bind_int64(x, k + 16, (int64_t)ep[k]);
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
    /* receipt time, the agent's last upload (its status line, when it sent one, says the same
     * through vr_store_note_agent) */
    int64_t now = (int64_t)vr_clock_wall_ns();
    for (size_t i = 0; i < s->agents_seen.n; i++) {
        sqlite3_stmt *x = st(s, ST_AGENT_SEEN);
        sqlite3_bind_int64(x, 1, ((int64_t *)s->agents_seen.v)[i]);
        sqlite3_bind_int64(x, 2, now);
        if ((err = step_done(s, x, eb, "noting an agent's upload")) < 0)
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

/* Row ids of site and agent (created as needed, inside the caller's transaction). */
static int ids_of(struct vr_store *s, const char *site, const char *agent, uint64_t seen_ns,
                  int64_t *site_id, int64_t *agent_id, struct vr_errbuf *eb)
{
    int err = site_id_of(s, site, seen_ns, site_id, eb);
    if (err == 0)
        err = agent_id_of(s, agent, *site_id, agent_id, eb);
    if (err == 0)
        err = site_seen(s, *site_id, seen_ns, eb);
    return err;
}

/* ---- ingest: capacity and capture records ---------------------------------------------- */

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

static int add_capacity(struct vr_store *s, const struct vr_xrecord *r, int64_t site_id,
                        int64_t agent_id, bool *stored, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = st(s, ST_CAP_ADD);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, agent_id);
    bind_text(q, 3, r->id, sizeof(r->id));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    bind_text(q, 5, r->target, sizeof(r->target));
    bind_text(q, 6, r->link, sizeof(r->link));
    sqlite3_bind_int64(q, 7, r->capacity_calls);
    bind_real(q, 8, r->bps_fwd);
    bind_real(q, 9, r->bps_rev);
    sqlite3_bind_int64(q, 10, (int64_t)r->max_rate_bps);
    bind_text(q, 11, r->limit, sizeof(r->limit));
    bind_text(q, 12, r->cause, sizeof(r->cause));
    sqlite3_bind_int(q, 13, (int)r->verdict);
    sqlite3_bind_text(q, 14, r->raw, -1, SQLITE_STATIC);
    int err = step_done(s, q, eb, "storing a capacity record");
    if (err < 0)
        return err;
    *stored = sqlite3_changes(s->db) > 0;
    if (!*stored)
        return 0;
    q = st(s, ST_CAP_STATE);
    sqlite3_bind_int64(q, 1, site_id);
    bind_text(q, 2, r->target, sizeof(r->target));
    sqlite3_bind_int64(q, 3, sqlite3_last_insert_rowid(s->db));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    sqlite3_bind_int64(q, 5, r->capacity_calls);
    return step_done(s, q, eb, "updating a site's capacity");
}

static int add_capture(struct vr_store *s, const struct vr_xrecord *r, int64_t site_id,
                       int64_t agent_id, bool *stored, struct vr_errbuf *eb)
{
    sqlite3_stmt *q = st(s, ST_CAPT_ADD);
    sqlite3_bind_int64(q, 1, site_id);
    sqlite3_bind_int64(q, 2, agent_id);
    bind_text(q, 3, r->id, sizeof(r->id));
    sqlite3_bind_int64(q, 4, (int64_t)r->start_wall_ns);
    bind_text(q, 5, r->link, sizeof(r->link));
    bind_text(q, 6, r->cls, sizeof(r->cls));
    bind_text(q, 7, r->src, sizeof(r->src));
    bind_text(q, 8, r->dst, sizeof(r->dst));
    sqlite3_bind_int64(q, 9, r->packets > INT64_MAX ? INT64_MAX : (int64_t)r->packets);
    sqlite3_bind_int64(q, 10, r->lost > INT64_MAX ? INT64_MAX : (int64_t)r->lost);
    bind_real(q, 11, r->loss_pct);
    bind_real(q, 12, r->jitter_ms);
    bind_real(q, 13, r->mos);
    sqlite3_bind_int(q, 14, (int)r->verdict);
    sqlite3_bind_text(q, 15, r->raw, -1, SQLITE_STATIC);
    int err = step_done(s, q, eb, "storing a capture record");
    if (err == 0)
        *stored = sqlite3_changes(s->db) > 0;
    return err;
}

static int vr__store_x_ingest(struct vr_store *s, const struct vr_xrecord *xr, size_t nx,
                              bool *xstored, struct vr_errbuf *eb)
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
        if ((err = ids_of(s, r->site, r->agent, end, &site_id, &agent_id, eb)) < 0)
            return err;
        err = r->type == VR_XRECORD_CAPACITY
                  ? add_capacity(s, r, site_id, agent_id, &xstored[i], eb)
                  : add_capture(s, r, site_id, agent_id, &xstored[i], eb);
        if (err < 0)
            return err;
    }
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
    s->ph.n = s->sh.n = s->fg.n = s->runs.n = s->seen.n = s->agents_seen.n = 0;
    sqlite3_stmt *b = st(s, ST_BEGIN);
    if ((err = step_done(s, b, eb, "starting an ingest transaction")) < 0)
        return err;
    for (size_t i = 0; i < n; i++) {
        if ((err = ingest_one(s, &recs[i], raw != NULL ? raw[i] : NULL,
                              weight != NULL ? weight[i] : 1.0, &stored[i], eb)) < 0)
            goto fail;
    }
    if (nx > 0 && (err = vr__store_x_ingest(s, xr, nx, xstored, eb)) < 0)
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

/* ---- the agent's own status ----------------------------------------------------------------- */

int vr_store_note_agent(struct vr_store *s, const struct vr_agent_status *st_, uint64_t now_wall_ns,
                        struct vr_errbuf *eb)
{
    if (!bounded(st_->agent, sizeof(st_->agent)) || st_->agent[0] == 0 ||
        !bounded(st_->site, sizeof(st_->site)) || st_->site[0] == 0 ||
        !bounded(st_->version, sizeof(st_->version)) || now_wall_ns > (uint64_t)INT64_MAX)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "agent status: agent, site or version missing or "
                             "too long");
    int64_t links = 0;
    for (size_t i = 0; i < st_->n_links && i < VR_REC_AGENT_MAX_LINKS; i++)
        if (st_->links[i] >= 0 && st_->links[i] < VR_REC_AGENT_MAX_LINKS)
            links |= (int64_t)1 << st_->links[i];
    int64_t site_id, agent_id;
    int err = step_done(s, st(s, ST_BEGIN), eb, "starting to note an agent");
    if (err < 0)
        return err;
    s->agents_seen.n = 0;
    if ((err = site_id_of(s, st_->site, now_wall_ns, &site_id, eb)) < 0 ||
        (err = agent_id_lookup(s, st_->agent, site_id, &agent_id, eb)) < 0)
        goto fail;
    sqlite3_stmt *x = st(s, ST_AGENT_NOTE);
    sqlite3_bind_int64(x, 1, agent_id);
    sqlite3_bind_int64(x, 2, (int64_t)now_wall_ns);
    bind_text(x, 3, st_->version, sizeof(st_->version));
    sqlite3_bind_int64(x, 4,
                       st_->spool_records > INT64_MAX ? INT64_MAX : (int64_t)st_->spool_records);
    sqlite3_bind_int64(x, 5, st_->quarantined > INT64_MAX ? INT64_MAX : (int64_t)st_->quarantined);
    sqlite3_bind_int(x, 6, (int)st_->clock_sync);
    sqlite3_bind_int64(x, 7, links);
    if ((err = step_done(s, x, eb, "noting an agent")) < 0 ||
        (err = step_done(s, st(s, ST_COMMIT), eb, "committing an agent's status")) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_step(st(s, ST_ROLLBACK));
    sqlite3_reset(s->st[ST_ROLLBACK]);
    cache_clear(&s->ids); /* a rolled back site or agent id must not survive in the cache */
    s->thr_sites.n = 0;
    return err;
}
