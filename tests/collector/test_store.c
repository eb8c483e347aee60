/* Tests of collector/store.h on the SQLite backend: temp DB files under /tmp, removed after. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "clock.h"
#include "metrics.h"
#include "profile.h"
#include "record.h"
#include "render.h"
#include "report.h"
#include "score.h"
#include "store.h"

/* What the library allocated with libc (open_memstream, the metrics text): cmocka.h below turns
 * free() into its own checked one. */
static void libc_free(void *p)
{
    free(p);
}

#include <cmocka.h>

#define MIN_NS  60000000000ull
#define HOUR_NS 3600000000000ull
#define ENDASH  "\xe2\x80\x93"

struct fx {
    char path[64];
    struct vr_store *s;
    uint64_t t0; /* 2026-11-27T14:00:00Z */
};

static void rm_db(const char *path)
{
    char p[96];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "/tmp/vr-test-store-%d.db", (int)getpid());
    rm_db(f->path);
    struct vr_errbuf eb = {{0}};
    if (vr_store_open(f->path, NULL, &f->s, &eb) != 0) {
        fprintf(stderr, "%s\n", eb.msg);
        free(f);
        return -1;
    }
    if (vr_parse_rfc3339("2026-11-27T14:00:00Z", &f->t0) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vr_store_close(f->s);
    rm_db(f->path);
    free(f);
    return 0;
}

static int64_t count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int64_t n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == 0 &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* A passing interval of cls from agent at start; the caller spoils what it needs. */
static void mk(struct vr_record *r, const char *site, const char *agent, const char *cls,
               unsigned epoch, uint64_t start_ns)
{
    memset(r, 0, sizeof(*r));
    enum vr_class c = VR_CLASS_AUDIO;
    assert_int_equal(vr_class_by_name(cls, &c), 0);
    r->type = VR_RECORD_INTERVAL;
    snprintf(r->agent, sizeof(r->agent), "%s", agent);
    snprintf(r->site, sizeof(r->site), "%s", site);
    snprintf(r->id, sizeof(r->id), "%s-1764252000000-%s-%u", agent, cls, epoch);
    snprintf(r->target, sizeof(r->target), "hq.example:5004");
    snprintf(r->link, sizeof(r->link), "wired");
    snprintf(r->cls, sizeof(r->cls), "%s", cls);
    r->dscp = vr_class_get(c)->dscp;
    r->start_wall_ns = start_ns;
    r->duration_s = 15.0;
    r->calls = 1;
    r->sent = r->received = r->fwd_received = 750;
    r->rtt_ms = (struct vr_quantiles){10, 20, 20, 25, 28, 30};
    r->jitter_fwd_ms = r->jitter_rev_ms = 2.0;
    r->dscp_fwd[r->dscp] = 750;
    r->dscp_rev[r->dscp] = 750;
    r->mos = 4.3;
}

static void score(struct vr_record *r)
{
    struct vr_thresholds t;
    assert_int_equal(vr_thresholds_by_name("client", &t, NULL), 0);
    vr_score_interval(r, &t, NULL, 0);
}

static void ingest(struct fx *f, struct vr_record *r, size_t n, bool *stored)
{
    struct vr_errbuf eb = {{0}};
    bool tmp[512];
    assert_true(n <= 512);
    for (size_t i = 0; i < n; i++)
        score(&r[i]);
    int err = vr_store_ingest(f->s, r, NULL, NULL, n, stored != NULL ? stored : tmp, &eb);
    if (err != 0)
        fail_msg("ingest: %s", eb.msg);
}

static void test_store_open_migrates_and_reopens(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    assert_int_equal(count_rows(f->path, "SELECT max(version) FROM schema_version"), 4);
    vr_store_close(f->s);
    f->s = NULL;
    assert_int_equal(vr_store_open(f->path, NULL, &f->s, &eb), 0);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM schema_version"), 4);
    assert_int_equal(count_rows(f->path, "PRAGMA journal_mode"), 0); /* "wal" is text: 0 */

    struct vr_store *bad = NULL;
    assert_int_not_equal(vr_store_open("/nonexistent-dir/x.db", NULL, &bad, &eb), 0);
    assert_null(bad);
    assert_non_null(strstr(eb.msg, "/nonexistent-dir/x.db"));
}

static void token_cb(void *arg, const struct vr_token *t)
{
    int *n = arg;
    (*n)++;
    if (*n == 1)
        assert_true(t->revoked);
    else
        assert_false(t->revoked);
}

static void test_store_tokens_add_find_revoke_list(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    uint8_t h1[32], h2[32], h3[32];
    memset(h1, 1, 32);
    memset(h2, 2, 32);
    memset(h3, 3, 32);
    int64_t id1, id2;
    assert_int_equal(vr_store_token_add(f->s, "hq", h1, &id1, &eb), 0);
    assert_int_equal(vr_store_token_add(f->s, "branch-7", h2, &id2, &eb), 0);
    assert_true(id2 > id1);
    struct vr_token t;
    assert_int_equal(vr_store_token_find(f->s, h2, &t), 0);
    assert_string_equal(t.site, "branch-7");
    assert_int_equal(t.id, id2);
    assert_int_equal(vr_store_token_find(f->s, h3, &t), VR_ENOTFOUND);
    assert_int_equal(vr_store_token_revoke(f->s, id1, &eb), 0);
    assert_int_equal(vr_store_token_find(f->s, h1, &t), VR_ENOTFOUND);
    assert_int_equal(vr_store_token_revoke(f->s, 9999, &eb), VR_ENOTFOUND);
    int n = 0;
    assert_int_equal(vr_store_token_list(f->s, token_cb, &n, &eb), 0);
    assert_int_equal(n, 2);
    char longsite[80];
    memset(longsite, 'x', sizeof(longsite) - 1);
    longsite[79] = 0;
    assert_int_equal(vr_store_token_add(f->s, longsite, h3, &id1, &eb), VR_EINVAL);
}

static void test_store_ingest_duplicates_acknowledged_not_stored(void **state)
{
    struct fx *f = *state;
    struct vr_record r[6];
    bool st[6];
    for (unsigned i = 0; i < 3; i++)
        mk(&r[i], "hq", "a1", "audio", i, f->t0 + i * 15000000000ull);
    ingest(f, r, 3, st);
    assert_true(st[0] && st[1] && st[2]);
    /* the same three again, one new, a summary twice, and a duplicate inside the batch */
    mk(&r[3], "hq", "a1", "audio", 3, f->t0 + 3 * 15000000000ull);
    mk(&r[4], "hq", "a1", "audio", 0, f->t0);
    r[4].type = VR_RECORD_SUMMARY;
    snprintf(r[4].id, sizeof(r[4].id), "a1-1764252000000-audio-summary");
    r[5] = r[3];
    ingest(f, r, 6, st);
    assert_false(st[0] || st[1] || st[2]);
    assert_true(st[3]);
    assert_true(st[4]);
    assert_false(st[5]);
    ingest(f, &r[4], 1, st);
    assert_false(st[0]);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 5);

    /* the high-water mark survives a reopen: an old epoch is still a duplicate */
    struct vr_errbuf eb = {{0}};
    vr_store_close(f->s);
    assert_int_equal(vr_store_open(f->path, NULL, &f->s, &eb), 0);
    ingest(f, &r[1], 1, st);
    assert_false(st[0]);
    /* an id of another shape is checked exactly */
    mk(&r[0], "hq", "a1", "audio", 9, f->t0 + 9 * 15000000000ull);
    snprintf(r[0].id, sizeof(r[0].id), "free-form id");
    ingest(f, r, 1, st);
    assert_true(st[0]);
    ingest(f, r, 1, st);
    assert_false(st[0]);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 6);
    /* summaries do not count in the rollups */
    assert_int_equal(count_rows(f->path, "SELECT sum(intervals) FROM site_hour"), 5);

    /* a bad record rejects the whole batch */
    mk(&r[0], "hq", "a1", "audio", 20, f->t0);
    mk(&r[1], "hq", "a1", "audio", 21, f->t0);
    r[1].site[0] = 0;
    assert_int_equal(vr_store_ingest(f->s, r, NULL, NULL, 2, st, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "record 2"));
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 6);
}

/* n audio intervals from 14:00, every 15 s; those in [bad_from, bad_from + nbad) lose
 * loss_fwd % forward. Also fed to acc (when not NULL), as vr_verdict_acc sees them. */
static void seed(struct fx *f, const char *site, const char *cls, unsigned n, unsigned bad_from,
                 unsigned nbad, double loss_fwd, struct vr_verdict_acc *acc)
{
    struct vr_record *r = calloc(n, sizeof(*r));
    assert_non_null(r);
    char agent[32];
    snprintf(agent, sizeof(agent), "%s-%s", site, cls);
    struct vr_thresholds t;
    vr_thresholds_by_name("client", &t, NULL);
    for (unsigned i = 0; i < n; i++) {
        mk(&r[i], site, agent, cls, i, f->t0 + i * 15000000000ull);
        if (i >= bad_from && i < bad_from + nbad)
            r[i].loss_fwd_pct = r[i].loss_pct = loss_fwd;
        if (acc != NULL) {
            struct vr_finding fd[VR_SCORE_MAX_FINDINGS];
            size_t nf = vr_score_interval(&r[i], &t, fd, VR_SCORE_MAX_FINDINGS);
            vr_verdict_acc_add(acc, &r[i], fd, nf, 1.0);
        }
    }
    ingest(f, r, n, NULL);
    free(r);
}

static void assert_same_verdict(const struct vr_verdict *a, const struct vr_verdict *b)
{
    assert_int_equal(a->verdict, b->verdict);
    assert_int_equal(a->intervals, b->intervals);
    assert_int_equal(a->passed, b->passed);
    assert_int_equal(a->failed, b->failed);
    assert_int_equal(a->warned, b->warned);
    assert_true(a->score_pct > b->score_pct - 1e-9 && a->score_pct < b->score_pct + 1e-9);
    assert_int_equal(a->marks_rewritten, b->marks_rewritten);
    assert_int_equal(a->n_reasons, b->n_reasons);
    for (size_t i = 0; i < a->n_reasons; i++)
        assert_string_equal(a->reasons[i], b->reasons[i]);
}

static const struct vr_store_site_summary *site_in(const struct vr_store_site_list *list,
                                                   const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->sites[i].site, name) == 0)
            return &list->sites[i];
    fail_msg("site %s not in the list", name);
    return NULL;
}

static void test_store_sites_verdicts(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    struct vr_verdict_acc *acc[4];
    for (int i = 0; i < 4; i++)
        acc[i] = vr_verdict_acc_new();
    seed(f, "good", "audio", 240, 0, 0, 0, acc[0]);
    /* 20 of 240 intervals from 14:05: 3.1 % forward -> at risk (91.7 %)? no: 12 -> 95 % */
    seed(f, "risky", "audio", 240, 20, 12, 3.1, acc[1]);
    seed(f, "bad", "audio", 240, 20, 60, 2.4, acc[2]);
    /* marked classes fine, the unmarked control fails: ready, besteffort not counted */
    seed(f, "qos", "audio", 240, 0, 0, 0, acc[3]);
    seed(f, "qos", "besteffort", 240, 0, 120, 5.0, acc[3]);

    uint64_t now = f->t0 + 2 * HOUR_NS;
    struct vr_store_site_list *list = NULL;
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &list, &eb), 0);
    assert_int_equal(list->n, 4);
    assert_true(list->generated_wall_ns == now);
    assert_true(list->window_ns == 24 * HOUR_NS);
    /* worst first, then by name */
    assert_string_equal(list->sites[0].site, "bad");
    assert_string_equal(list->sites[1].site, "risky");
    assert_string_equal(list->sites[2].site, "good");
    assert_string_equal(list->sites[3].site, "qos");
    const struct vr_store_site_summary *g = site_in(list, "good"), *r = site_in(list, "risky"),
                                       *b = site_in(list, "bad"), *q = site_in(list, "qos");
    assert_int_equal(g->verdict.verdict, VR_VERDICT_READY);
    assert_int_equal(g->verdict.n_reasons, 0);
    assert_int_equal(g->verdict.intervals, 240);
    assert_int_equal(g->agents, 1);
    assert_true(g->last_seen_wall_ns > f->t0);
    assert_false(g->capacity.planned);
    assert_false(g->capacity.measured);
    assert_int_equal(r->verdict.verdict, VR_VERDICT_AT_RISK);
    assert_string_equal(r->verdict.reasons[0], "loss 3.1 % forward, audio, 14:05\xe2\x80\x93"
                                               "14:08 UTC, 12 of 240 audio intervals");
    assert_int_equal(b->verdict.verdict, VR_VERDICT_NOT_READY);
    assert_string_equal(b->verdict.reasons[0], "loss 2.4 % forward, audio, 14:05\xe2\x80\x93"
                                               "14:20 UTC, 60 of 240 audio intervals");
    assert_int_equal(q->verdict.verdict, VR_VERDICT_READY);
    assert_int_equal(q->verdict.intervals, 240);
    assert_int_equal(q->agents, 2);
    /* rendered for the API: the same figures under the documented names */
    json_t *j = vr_render_sites(list);
    json_t *j0 = json_array_get(json_object_get(j, "sites"), 0);
    assert_string_equal(json_string_value(json_object_get(j0, "site")), "bad");
    assert_string_equal(json_string_value(json_object_get(j0, "verdict")), "not_ready");
    assert_string_equal(json_string_value(json_object_get(j0, "worst_reason")),
                        b->verdict.reasons[0]);
    assert_int_equal(json_integer_value(json_object_get(j, "window_s")), 24 * 3600);
    assert_true(json_is_null(
        json_object_get(json_array_get(json_object_get(j, "sites"), 2), "worst_reason")));
    json_decref(j);
    vr_store_site_list_free(list);

    /* the same verdict, reasons included, as the shared code over the raw records */
    const char *names[4] = {"good", "risky", "bad", "qos"};
    for (int i = 0; i < 4; i++) {
        struct vr_verdict want, got;
        vr_verdict_acc_result(acc[i], &want);
        assert_int_equal(vr_store_site_verdict(f->s, names[i], now, 24 * HOUR_NS, &got, &eb), 0);
        assert_same_verdict(&got, &want);
        vr_verdict_acc_free(acc[i]);
    }
    struct vr_verdict v;
    assert_int_equal(vr_store_site_verdict(f->s, "qos", now, 24 * HOUR_NS, &v, &eb), 0);
    assert_non_null(strstr(v.reasons[v.n_reasons - 1], "besteffort (unmarked control) failed 120"));
    assert_int_equal(vr_store_site_verdict(f->s, "nowhere", now, 24 * HOUR_NS, &v, &eb),
                     VR_ENOTFOUND);
    /* outside the window: no data */
    assert_int_equal(vr_store_sites(f->s, now + 48 * HOUR_NS, 24 * HOUR_NS, &list, &eb), 0);
    assert_int_equal(site_in(list, "good")->verdict.intervals, 0);
    assert_string_equal(vr_render_verdict_name(&site_in(list, "good")->verdict), "no_data");
    vr_store_site_list_free(list);

    /* an agent moved to another site and back counts where it reports now */
    struct vr_record mv;
    mk(&mv, "good", "qos-audio", "audio", 5000, f->t0);
    ingest(f, &mv, 1, NULL);
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &list, &eb), 0);
    assert_int_equal(site_in(list, "qos")->agents, 1);
    assert_int_equal(site_in(list, "good")->agents, 2);
    vr_store_site_list_free(list);
    mk(&mv, "qos", "qos-audio", "audio", 5001, f->t0);
    ingest(f, &mv, 1, NULL);
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &list, &eb), 0);
    assert_int_equal(site_in(list, "qos")->agents, 2);
    assert_int_equal(site_in(list, "good")->agents, 1);
    vr_store_site_list_free(list);
}

static void test_store_site_verdict_across_batches_and_hours(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    struct vr_thresholds t;
    vr_thresholds_by_name("client", &t, NULL);
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    /* 3 h of audio and video in batches of 7, failures of several kinds, DSCP rewritten once */
    struct vr_record r[7];
    size_t n = 0;
    for (unsigned i = 0; i < 720; i++) {
        for (int c = 0; c < 2; c++) {
            struct vr_record *x = &r[n++];
            mk(x, "mix", "m1", c == 0 ? "audio" : "video", i, f->t0 + i * 15000000000ull);
            if (i % 17 == 0)
                x->loss_rev_pct = x->loss_pct = 1.0 + (double)(i % 5);
            if (i % 29 == 0)
                x->jitter_fwd_ms = 25.0 + (double)(i % 11);
            /* one episode of 20 audio intervals across 15:00, in two hourly rows */
            if (i >= 230 && i < 250 && c == 0)
                x->loss_fwd_pct = x->loss_pct = 1.5;
            if (i == 400 && c == 1) {
                x->dscp_rev[x->dscp] = 0;
                x->dscp_rev[0] = 750;
            }
            struct vr_finding fd[VR_SCORE_MAX_FINDINGS];
            size_t nf = vr_score_interval(x, &t, fd, VR_SCORE_MAX_FINDINGS);
            vr_verdict_acc_add(acc, x, fd, nf, 1.0);
            if (n == 7) {
                ingest(f, r, n, NULL);
                n = 0;
            }
        }
    }
    ingest(f, r, n, NULL);
    struct vr_verdict want, got;
    vr_verdict_acc_result(acc, &want);
    vr_verdict_acc_free(acc);
    assert_int_equal(
        vr_store_site_verdict(f->s, "mix", f->t0 + 3 * HOUR_NS, 24 * HOUR_NS, &got, &eb), 0);
    assert_same_verdict(&got, &want);
    assert_true(got.marks_rewritten);
    /* episodes are in the words compared, counted per class */
    bool episodes = false, joined = false;
    for (size_t i = 0; i < want.n_reasons; i++) {
        episodes |= strstr(want.reasons[i], " episodes, worst ") != NULL;
        joined |= strstr(want.reasons[i], "loss 1.5 % forward, audio, 14:57" ENDASH "15:02 UTC, "
                                          "20 of 720 audio intervals") != NULL;
    }
    assert_true(episodes);
    assert_true(joined);
    /* the site list (one pass over all sites) agrees with the per-site path */
    struct vr_store_site_list *list = NULL;
    assert_int_equal(vr_store_sites(f->s, f->t0 + 3 * HOUR_NS, 24 * HOUR_NS, &list, &eb), 0);
    const struct vr_store_site_summary *m = site_in(list, "mix");
    assert_same_verdict(&m->verdict, &want);
    assert_true(m->verdict.marks_rewritten);
    assert_int_equal(m->verdict.verdict, VR_VERDICT_NOT_READY);
    vr_store_site_list_free(list);
    assert_int_equal(got.verdict, VR_VERDICT_NOT_READY);
}

static void test_store_weight_counts_peak_load(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    struct vr_thresholds t;
    vr_thresholds_by_name("client", &t, NULL);
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    /* 100 quiet passing intervals and 5 failing ones under a 10-call load test */
    struct vr_record r[105];
    double w[105];
    bool st[105];
    for (unsigned i = 0; i < 105; i++) {
        mk(&r[i], "peak", "p1", "audio", i, f->t0 + i * 15000000000ull);
        w[i] = 1.0;
        if (i >= 100) {
            r[i].calls = 10;
            r[i].loss_fwd_pct = r[i].loss_pct = 2.0;
            w[i] = 10.0;
        }
        struct vr_finding fd[VR_SCORE_MAX_FINDINGS];
        size_t nf = vr_score_interval(&r[i], &t, fd, VR_SCORE_MAX_FINDINGS);
        vr_verdict_acc_add(acc, &r[i], fd, nf, w[i]);
    }
    assert_int_equal(vr_store_ingest(f->s, r, NULL, w, 105, st, &eb), 0);
    struct vr_verdict want, got;
    vr_verdict_acc_result(acc, &want);
    vr_verdict_acc_free(acc);
    assert_int_equal(vr_store_site_verdict(f->s, "peak", f->t0 + HOUR_NS, 24 * HOUR_NS, &got, &eb),
                     0);
    assert_same_verdict(&got, &want);
    assert_int_equal(got.intervals, 105);
    assert_true(got.score_pct > 66.6 && got.score_pct < 66.7); /* 100 of 150 weighted */
    assert_int_equal(got.verdict, VR_VERDICT_NOT_READY);
}

static int edge_for_edgy(void *arg, const char *site, struct vr_thresholds *out)
{
    (*(int *)arg)++;
    if (strcmp(site, "edgy") != 0)
        return -1;
    return vr_thresholds_by_name("edge", out, NULL);
}

static void test_store_site_thresholds(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    int calls = 0;
    struct vr_store_options opt = {.site_thresholds = edge_for_edgy, .site_thresholds_arg = &calls};
    vr_store_close(f->s);
    assert_int_equal(vr_store_open(f->path, &opt, &f->s, &eb), 0);
    /* RTT 70 ms: fine for a client (100 ms), a fail at the edge (60 ms) */
    struct vr_record r[40];
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < 20; i++) {
            mk(&r[i], k == 0 ? "edgy" : "plain", k == 0 ? "e1" : "p1", "audio", i,
               f->t0 + i * 15000000000ull);
            r[i].rtt_ms.mean = 70.0;
        }
        ingest(f, r, 20, NULL);
    }
    assert_int_equal(calls, 2); /* once per site */
    struct vr_verdict v;
    assert_int_equal(vr_store_site_verdict(f->s, "edgy", f->t0 + HOUR_NS, 24 * HOUR_NS, &v, &eb),
                     0);
    assert_int_equal(v.verdict, VR_VERDICT_NOT_READY);
    assert_int_equal(v.failed, 20);
    assert_int_equal(vr_store_site_verdict(f->s, "plain", f->t0 + HOUR_NS, 24 * HOUR_NS, &v, &eb),
                     0);
    assert_int_equal(v.verdict, VR_VERDICT_READY);
    assert_int_equal(v.failed, 0);
}

static void test_store_site_detail_shape(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    seed(f, "hq", "audio", 240, 20, 12, 3.1, NULL);
    seed(f, "hq", "video", 240, 0, 0, 0, NULL);
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "hq", f->t0 + 2 * HOUR_NS, 24 * HOUR_NS, &d, &eb), 0);
    const struct vr_store_site_summary *sum = &d->summary;
    assert_string_equal(sum->site, "hq");
    assert_int_equal(sum->verdict.verdict, VR_VERDICT_AT_RISK);
    assert_true(sum->verdict.intervals > 0 && isfinite(sum->verdict.score_pct));
    assert_true(sum->verdict.n_reasons >= 1);
    assert_true(sum->last_seen_wall_ns > f->t0);
    assert_true(d->window_ns == 24 * HOUR_NS);
    assert_int_equal(d->n_paths, 2);
    const struct vr_store_path *a = &d->paths[0];
    assert_string_equal(a->cls, "audio");
    assert_string_equal(a->target, "hq.example:5004");
    assert_string_equal(a->link, "wired");
    assert_int_equal(a->intervals, 240);
    assert_int_equal(a->passed, 228);
    assert_true(a->loss_fwd_pct > 0.15 && a->loss_fwd_pct < 0.16); /* 12 * 3.1 / 240 */
    assert_true(a->rtt_ms_mean == 20.0);
    assert_true(a->dscp_fwd_preserved_pct == 100.0);
    assert_int_equal(a->dscp_fwd_seen[46], 240 * 750);
    assert_int_equal(d->n_failing, 12);
    const struct vr_store_failing *f0 = &d->failing[0];
    assert_string_equal(f0->cls, "audio");
    assert_true(f0->reasons.n >= 1);
    assert_int_equal(d->n_capacity, 0);
    assert_int_equal(d->n_captures, 0);

    /* the API's shape, rendered from the structs */
    json_t *o = vr_render_site(d);
    assert_string_equal(json_string_value(json_object_get(o, "site")), "hq");
    assert_string_equal(json_string_value(json_object_get(o, "verdict")), "at_risk");
    assert_true(json_is_number(json_object_get(o, "score_pct")));
    assert_int_equal(json_array_size(json_object_get(o, "reasons")), sum->verdict.n_reasons);
    assert_true(json_is_string(json_object_get(o, "last_seen")));
    json_t *ja = json_array_get(json_object_get(o, "classes"), 0);
    assert_string_equal(json_string_value(json_object_get(ja, "class")), "audio");
    assert_int_equal(json_integer_value(json_object_get(ja, "passed")), 228);
    assert_true(json_number_value(json_object_get(ja, "rtt_ms_mean")) == 20.0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(ja, "dscp_fwd_seen"), "46")), 240 * 750);
    const char *keys[] = {"loss_rev_pct", "jitter_fwd_ms",          "jitter_rev_ms",
                          "mos",          "dscp_rev_preserved_pct", "dscp_rev_seen"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(ja, keys[i]));
    json_t *jf = json_array_get(json_object_get(o, "failing"), 0);
    assert_string_equal(json_string_value(json_object_get(jf, "verdict")), "fail");
    assert_string_equal(json_string_value(json_object_get(jf, "class")), "audio");
    assert_int_equal(json_array_size(json_object_get(jf, "reasons")), f0->reasons.n);
    assert_string_equal(json_string_value(json_object_get(jf, "start")),
                        "2026-11-27T14:07:45.000Z");
    json_t *links = json_object_get(o, "links");
    assert_int_equal(json_array_size(links), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(links, 0), "intervals")),
                     480);
    assert_true(json_is_array(json_object_get(o, "captures")));
    assert_true(json_is_null(json_object_get(o, "planning")));
    json_decref(o);
    vr_store_site_detail_free(d);
    d = NULL;
    assert_int_equal(vr_store_site(f->s, "nowhere", f->t0, 24 * HOUR_NS, &d, &eb), VR_ENOTFOUND);
    assert_null(d);
}

static void test_store_intervals_series_with_class_filter(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    seed(f, "hq", "audio", 100, 10, 1, 3.0, NULL);
    seed(f, "hq", "video", 50, 0, 0, 0, NULL);
    struct vr_store_series_set *o = NULL;
    assert_int_equal(vr_store_intervals(f->s, "hq", f->t0, NULL, NULL, &o, &eb), 0);
    assert_string_equal(o->site, "hq");
    assert_int_equal(o->n, 2);
    vr_store_series_set_free(o);
    assert_int_equal(
        vr_store_intervals(f->s, "hq", f->t0 + 15000000000ull * 5, "audio", NULL, &o, &eb), 0);
    assert_int_equal(o->n, 1);
    const struct vr_store_series *s0 = &o->series[0];
    assert_string_equal(s0->cls, "audio");
    assert_int_equal(s0->n, 95);
    const struct vr_store_point *p0 = &s0->points[0];
    assert_true(p0->t_wall_ns == f->t0 + 15000000000ull * 5);
    assert_true(p0->rtt_ms == 20.0);
    assert_int_equal(p0->verdict, VR_LEVEL_PASS);
    assert_false(p0->hourly);
    assert_int_equal(s0->points[5].verdict, VR_LEVEL_FAIL);
    json_t *j = vr_render_series(o);
    json_t *jp = json_array_get(
        json_object_get(json_array_get(json_object_get(j, "series"), 0), "points"), 0);
    assert_string_equal(json_string_value(json_object_get(jp, "t")), "2026-11-27T14:01:15.000Z");
    assert_true(json_number_value(json_object_get(jp, "rtt_ms")) == 20.0);
    assert_string_equal(json_string_value(json_object_get(jp, "verdict")), "pass");
    const char *keys[] = {"rtt_p95_ms",   "jitter_fwd_ms", "jitter_rev_ms",
                          "loss_fwd_pct", "loss_rev_pct",  "mos"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(jp, keys[i]));
    assert_null(json_object_get(jp, "hourly"));
    json_decref(j);
    vr_store_series_set_free(o);
    assert_int_equal(vr_store_intervals(f->s, "hq", f->t0, "sharing", NULL, &o, &eb), 0);
    assert_int_equal(o->n, 0);
    vr_store_series_set_free(o);
    assert_int_equal(vr_store_intervals(f->s, "hq", f->t0, NULL, "wifi", &o, &eb), 0);
    assert_int_equal(o->n, 0);
    vr_store_series_set_free(o);
}

static void test_store_prune(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    /* 2 h of audio: the first hour 31 days before "now", the second 1 day before */
    uint64_t now = f->t0 + 31 * 24 * HOUR_NS + 30 * MIN_NS;
    seed(f, "hq", "audio", 480, 0, 0, 0, NULL);
    struct vr_record r[240];
    for (unsigned i = 0; i < 240; i++)
        mk(&r[i], "hq", "hq-audio", "audio", 1000 + i, now - 24 * HOUR_NS + i * 15000000000ull);
    ingest(f, r, 240, NULL);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 720);
    assert_int_equal(vr_store_prune(f->s, now, &eb), 0);
    /* retention 30 days: the old hours go; rollups (400 days) stay */
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 240);
    assert_int_equal(count_rows(f->path, "SELECT sum(intervals) FROM site_hour"), 720);
    struct vr_store_series_set *o = NULL;
    assert_int_equal(vr_store_intervals(f->s, "hq", f->t0, "audio", NULL, &o, &eb), 0);
    assert_int_equal(o->n, 1);
    assert_int_equal(o->series[0].n, 2 + 240); /* two hourly points, then raw ones */
    assert_true(o->series[0].points[0].hourly);
    assert_true(isnan(o->series[0].points[0].rtt_p95_ms));
    assert_false(o->series[0].points[2].hourly);
    vr_store_series_set_free(o);
    /* a year later the rollups go too */
    assert_int_equal(vr_store_prune(f->s, now + 400 * 24 * HOUR_NS, &eb), 0);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM records"), 0);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM site_hour"), 0);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM path_hour"), 0);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM fail_hour"), 0);
}

/* ---- liveness: Silent, never reported, the agents' own status ---------------------------- */

static const char *const configured_names[] = {"hq", "branch", "lab", NULL};

static const char *configured_site(void *arg, size_t i)
{
    (void)arg;
    return i < sizeof(configured_names) / sizeof(configured_names[0]) ? configured_names[i] : NULL;
}

/* hq waits 30 minutes, every other site the default 5 */
static uint64_t silent_after(void *arg, const char *site)
{
    (void)arg;
    return strcmp(site, "hq") == 0 ? 30 * MIN_NS : 0;
}

static void reopen_with_sites(struct fx *f)
{
    struct vr_errbuf eb = {{0}};
    vr_store_close(f->s);
    struct vr_store_options opt = {.configured_site = configured_site,
                                   .site_silent_after = silent_after};
    assert_int_equal(vr_store_open(f->path, &opt, &f->s, &eb), 0);
}

/* n passing audio intervals of site's agent, ending an hour before the real clock (the store
 * notes the receipt time of an upload from the real clock: the queries take a later "now"). */
static void seed_recent(struct fx *f, const char *site, unsigned n)
{
    struct vr_record *r = calloc(n, sizeof(*r));
    assert_non_null(r);
    char agent[32];
    snprintf(agent, sizeof(agent), "%s-agent", site);
    uint64_t t = (vr_clock_wall_ns() / HOUR_NS - 1) * HOUR_NS;
    for (unsigned i = 0; i < n; i++)
        mk(&r[i], site, agent, "audio", i, t + i * 15000000000ull);
    ingest(f, r, n, NULL);
    free(r);
}

static const struct vr_store_site_summary *find_site(const struct vr_store_site_list *l,
                                                     const char *site)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->sites[i].site, site) == 0)
            return &l->sites[i];
    fail_msg("site %s not listed", site);
    return NULL;
}

static void test_store_sites_silent_after_last_upload(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    reopen_with_sites(f);
    uint64_t before = vr_clock_wall_ns();
    seed_recent(f, "hq", 40);
    seed_recent(f, "other", 40);
    uint64_t after = vr_clock_wall_ns();
    /* 4 minutes after: both live and Ready */
    struct vr_store_site_list *l = NULL;
    assert_int_equal(vr_store_sites(f->s, before + 4 * MIN_NS, 24 * HOUR_NS, &l, &eb), 0);
    const struct vr_store_site_summary *o = find_site(l, "other");
    assert_int_equal(o->liveness, VR_LIVENESS_LIVE);
    assert_int_equal(o->verdict.verdict, VR_VERDICT_READY);
    assert_true(o->last_upload_wall_ns >= before && o->last_upload_wall_ns <= after);
    vr_store_site_list_free(l);
    /* 6 hours after: other is Silent (its figures kept), hq too; never Ready */
    uint64_t now = after + 6 * HOUR_NS;
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &l, &eb), 0);
    o = find_site(l, "other");
    assert_int_equal(o->liveness, VR_LIVENESS_SILENT);
    assert_int_equal(o->verdict.verdict, VR_VERDICT_SILENT);
    assert_int_equal(o->verdict.intervals, 40);
    assert_true(o->verdict.score_pct == 100.0);
    assert_non_null(strstr(o->verdict.reasons[0], "no results since "));
    assert_non_null(strstr(o->verdict.reasons[0], " UTC, 6 h ago"));
    json_t *j = vr_render_site_summary(o);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "silent");
    assert_string_equal(json_string_value(json_object_get(j, "liveness")), "silent");
    assert_true(json_is_string(json_object_get(j, "last_upload")));
    assert_string_equal(json_string_value(json_object_get(j, "worst_reason")),
                        o->verdict.reasons[0]);
    json_decref(j);
    vr_store_site_list_free(l);
    /* the same rule in the one-site queries */
    struct vr_verdict v;
    assert_int_equal(vr_store_site_verdict(f->s, "other", now, 24 * HOUR_NS, &v, &eb), 0);
    assert_int_equal(v.verdict, VR_VERDICT_SILENT);
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "other", now, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->summary.liveness, VR_LIVENESS_SILENT);
    assert_int_equal(d->n_agents, 1);
    assert_string_equal(d->agent_list[0].agent, "other-agent");
    assert_int_equal(d->agent_list[0].liveness, VR_LIVENESS_SILENT);
    vr_store_site_detail_free(d);
}

static void test_store_sites_silent_after_per_site(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    reopen_with_sites(f);
    seed_recent(f, "hq", 10);
    seed_recent(f, "other", 10);
    struct vr_store_site_list *l = NULL;
    /* 10 minutes: other (5 min) is silent, hq (30 min) is not */
    assert_int_equal(vr_store_sites(f->s, vr_clock_wall_ns() + 10 * MIN_NS, 24 * HOUR_NS, &l, &eb),
                     0);
    assert_int_equal(find_site(l, "other")->liveness, VR_LIVENESS_SILENT);
    assert_int_equal(find_site(l, "hq")->liveness, VR_LIVENESS_LIVE);
    assert_int_equal(find_site(l, "hq")->verdict.verdict, VR_VERDICT_READY);
    /* order: not ready, silent, at risk, ready, no data */
    assert_string_equal(l->sites[0].site, "other");
    assert_string_equal(l->sites[1].site, "hq");
    vr_store_site_list_free(l);
}

static void test_store_sites_lists_configured_never_reported(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    reopen_with_sites(f);
    seed_recent(f, "hq", 10);
    struct vr_store_site_list *l = NULL;
    uint64_t now = vr_clock_wall_ns();
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &l, &eb), 0);
    assert_int_equal(l->n, 3); /* hq, then branch and lab by name */
    assert_string_equal(l->sites[0].site, "hq");
    assert_string_equal(l->sites[1].site, "branch");
    assert_string_equal(l->sites[2].site, "lab");
    const struct vr_store_site_summary *b = &l->sites[1];
    assert_int_equal(b->liveness, VR_LIVENESS_NEVER_REPORTED);
    assert_int_equal(b->verdict.intervals, 0);
    assert_true(b->last_upload_wall_ns == 0);
    assert_int_equal(b->verdict.n_reasons, 1);
    assert_string_equal(b->verdict.reasons[0], "never reported");
    json_t *j = vr_render_site_summary(b);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "no_data");
    assert_string_equal(json_string_value(json_object_get(j, "liveness")), "never_reported");
    assert_string_equal(json_string_value(json_object_get(j, "worst_reason")), "never reported");
    assert_true(json_is_null(json_object_get(j, "last_upload")));
    json_decref(j);
    vr_store_site_list_free(l);
    /* its page: empty, never reported; an unconfigured unknown site is still unknown */
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "branch", now, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->summary.liveness, VR_LIVENESS_NEVER_REPORTED);
    assert_int_equal(d->n_agents, 0);
    vr_store_site_detail_free(d);
    d = NULL;
    assert_int_equal(vr_store_site(f->s, "nowhere", now, 24 * HOUR_NS, &d, &eb), VR_ENOTFOUND);
    struct vr_store_series_set *x = NULL;
    assert_int_equal(vr_store_intervals(f->s, "lab", 0, NULL, NULL, &x, &eb), 0);
    assert_int_equal(x->n, 0);
    vr_store_series_set_free(x);
}

static void test_store_note_agent_round_trip(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    seed_recent(f, "hq", 10);
    struct vr_agent_status a = {.agent = "hq-agent",
                                .site = "hq",
                                .version = "0.9.1",
                                .spool_records = 12,
                                .quarantined = 2,
                                .clock_sync = VR_CLOCK_SYNCED,
                                .n_links = 2,
                                .links = {0, 1}};
    uint64_t t = vr_clock_wall_ns() + MIN_NS; /* later than the ingest's receipt time */
    assert_int_equal(vr_store_note_agent(f->s, &a, t, &eb), 0);
    /* an agent of a site with no records yet: listed with its status */
    struct vr_agent_status b = {.agent = "new-agent", .site = "newsite", .version = "0.9.0"};
    assert_int_equal(vr_store_note_agent(f->s, &b, t, &eb), 0);
    struct vr_agent_status bad = {.agent = "", .site = "hq"};
    assert_int_equal(vr_store_note_agent(f->s, &bad, t, &eb), VR_EINVAL);

    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "hq", t + MIN_NS, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->n_agents, 1);
    const struct vr_store_agent *g = &d->agent_list[0];
    assert_string_equal(g->agent, "hq-agent");
    assert_string_equal(g->version, "0.9.1");
    assert_true(g->last_upload_wall_ns == t);
    assert_true(d->summary.last_upload_wall_ns == t);
    assert_int_equal(g->spool_records, 12);
    assert_int_equal(g->quarantined, 2);
    assert_int_equal(g->clock_sync, VR_CLOCK_SYNCED);
    assert_int_equal(g->n_links, 2);
    assert_int_equal(g->links[0], 0);
    assert_int_equal(g->links[1], 1);
    assert_int_equal(g->liveness, VR_LIVENESS_LIVE);
    json_t *o = vr_render_site(d);
    json_t *ja = json_array_get(json_object_get(o, "agent_list"), 0);
    assert_string_equal(json_string_value(json_object_get(ja, "agent")), "hq-agent");
    assert_string_equal(json_string_value(json_object_get(ja, "version")), "0.9.1");
    assert_int_equal(json_integer_value(json_object_get(ja, "spool_records")), 12);
    assert_int_equal(json_integer_value(json_object_get(ja, "quarantined")), 2);
    assert_string_equal(json_string_value(json_object_get(ja, "clock_sync")), "synced");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ja, "links"), 1)), "wifi");
    assert_string_equal(json_string_value(json_object_get(ja, "liveness")), "live");
    assert_true(json_is_string(json_object_get(ja, "last_upload")));
    json_decref(o);
    vr_store_site_detail_free(d);
    /* an older status does not move the last upload back */
    a.spool_records = 3;
    assert_int_equal(vr_store_note_agent(f->s, &a, t - HOUR_NS, &eb), 0);
    struct vr_store_agent *rows = NULL;
    size_t n = 0;
    assert_int_equal(vr_store_agents(f->s, t + HOUR_NS, &rows, &n, &eb), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].site, "hq");
    assert_true(rows[0].last_upload_wall_ns == t);
    assert_int_equal(rows[0].spool_records, 3);
    assert_int_equal(rows[0].liveness, VR_LIVENESS_SILENT);
    assert_string_equal(rows[1].site, "newsite");
    assert_string_equal(rows[1].agent, "new-agent");
    vr_store_agents_free(rows);
}

/* A database of before migration 3: its agents start from their site's last record, so that a
 * site silent since before the upgrade reads Silent at once. */
static int exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* Back from schema 4 to 3: fail_hour without its episode columns, its old covering index. */
#define UNDO_MIGRATION_4                                                                       \
    "DROP INDEX fail_hour_window;"                                                             \
    "ALTER TABLE fail_hour DROP COLUMN episodes;"                                              \
    "ALTER TABLE fail_hour DROP COLUMN first_end_ns;"                                          \
    "ALTER TABLE fail_hour DROP COLUMN last_start_ns;"                                         \
    "ALTER TABLE fail_hour DROP COLUMN worst_start_ns;"                                        \
    "ALTER TABLE fail_hour DROP COLUMN worst_end_ns;"                                          \
    "ALTER TABLE fail_hour DROP COLUMN step_ns;"                                               \
    "CREATE INDEX fail_hour_window ON fail_hour(hour, site_id, mk, ci, metric, dir, lvl, cls," \
    " count, worst, severity, first_ns, last_ns, dscp, dscp_seen);"                            \
    "DELETE FROM schema_version WHERE version = 4;"

static void test_store_migration_3_starts_agents_from_last_record(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    seed(f, "hq", "audio", 40, 0, 0, 0, NULL); /* records from f->t0, ten minutes of them */
    vr_store_close(f->s);
    f->s = NULL;
    /* back to schema 2: the agents table without its liveness columns */
    assert_int_equal(exec_sql(f->path, UNDO_MIGRATION_4), SQLITE_OK);
    assert_int_equal(exec_sql(f->path, "ALTER TABLE agents DROP COLUMN last_upload_ns;"
                                       "ALTER TABLE agents DROP COLUMN version;"
                                       "ALTER TABLE agents DROP COLUMN spool_records;"
                                       "ALTER TABLE agents DROP COLUMN quarantined;"
                                       "ALTER TABLE agents DROP COLUMN clock_sync;"
                                       "ALTER TABLE agents DROP COLUMN links;"
                                       "DELETE FROM schema_version WHERE version = 3;"),
                     SQLITE_OK);
    assert_int_equal(vr_store_open(f->path, NULL, &f->s, &eb), 0);
    assert_int_equal(count_rows(f->path, "SELECT max(version) FROM schema_version"), 4);
    struct vr_store_site_list *l = NULL;
    uint64_t now = f->t0 + 2 * HOUR_NS;
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &l, &eb), 0);
    assert_int_equal(l->n, 1);
    assert_true(l->sites[0].last_upload_wall_ns == l->sites[0].last_seen_wall_ns);
    assert_int_equal(l->sites[0].liveness, VR_LIVENESS_SILENT);
    assert_int_equal(l->sites[0].verdict.verdict, VR_VERDICT_SILENT);
    vr_store_site_list_free(l);
}

/* ---- reasons that read true through the store (issue 11 item 7) ---------------------------- */

/* The intervals of seq (one character each, every step_ns from start, dur_s long) from agent
 * "<site>-<cls>-<tag>": '.' passes, 'l' loses 2 % forward, 'L' 3.1 %, 'D' has EF rewritten to
 * CS0 on the way back, ' ' never came. Ingested in batches of 3 (a batch merges into the hour's
 * stored row), and added to acc as the agent would. */
static void ingest_seq(struct fx *f, const char *site, const char *cls, const char *tag,
                       uint64_t start, uint64_t step_ns, double dur_s, const char *seq,
                       struct vr_verdict_acc *acc)
{
    struct vr_record r[3];
    size_t n = 0;
    char agent[48];
    snprintf(agent, sizeof(agent), "%s-%s-%s", site, cls, tag);
    for (unsigned i = 0; seq[i] != 0; i++) {
        if (seq[i] == ' ')
            continue;
        struct vr_record *x = &r[n++];
        mk(x, site, agent, cls, i, start + i * step_ns);
        x->duration_s = dur_s;
        if (seq[i] == 'l' || seq[i] == 'L')
            x->loss_fwd_pct = x->loss_pct = seq[i] == 'l' ? 2.0 : 3.1;
        if (seq[i] == 'D') {
            x->dscp_rev[x->dscp] = 0;
            x->dscp_rev[0] = 750;
        }
        struct vr_thresholds t;
        vr_thresholds_by_name("client", &t, NULL);
        struct vr_finding fd[VR_SCORE_MAX_FINDINGS];
        size_t nf = vr_score_interval(x, &t, fd, VR_SCORE_MAX_FINDINGS);
        if (acc != NULL)
            vr_verdict_acc_add(acc, x, fd, nf, 1.0);
        if (n == 3) {
            ingest(f, r, n, NULL);
            n = 0;
        }
    }
    if (n > 0)
        ingest(f, r, n, NULL);
}

/* The first reason of site both ways the store reads it (one site, the site list). */
static void assert_reason(struct fx *f, const char *site, uint64_t now, const char *want)
{
    struct vr_errbuf eb = {{0}};
    struct vr_verdict v;
    assert_int_equal(vr_store_site_verdict(f->s, site, now, 24 * HOUR_NS, &v, &eb), 0);
    assert_true(v.n_reasons > 0);
    assert_string_equal(v.reasons[0], want);
    struct vr_store_site_list *l = NULL;
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &l, &eb), 0);
    const struct vr_store_site_summary *m = site_in(l, site);
    assert_non_null(m);
    assert_true(m->verdict.n_reasons > 0);
    assert_string_equal(m->verdict.reasons[0], want);
    vr_store_site_list_free(l);
}

/* The sequences of test_score.c's reason tests, ingested: the same strings, and the same as
 * the agent's accumulator. Episodes that cross an hour (two rows) are one. */
static void test_store_reasons_per_class_and_episodes(void **state)
{
    struct fx *f = *state;
    uint64_t now = f->t0 + 2 * HOUR_NS, t1344 = f->t0 - 16 * MIN_NS;
    struct vr_verdict_acc *acc = vr_verdict_acc_new();
    struct vr_verdict want;

    /* two classes, only audio failing: 17 of 17 audio intervals (13:44:00-13:46:50) */
    ingest_seq(f, "dscp", "audio", "a", t1344, 10000000000ull, 10.0, "DDDDDDDDDDDDDDDDD", acc);
    ingest_seq(f, "dscp", "video", "a", t1344, 10000000000ull, 10.0, ".................", acc);
    vr_verdict_acc_result(acc, &want);
    assert_string_equal(want.reasons[0], "DSCP EF rewritten to CS0 reverse, audio, 13:44" ENDASH
                                         "13:46 UTC, 17 of 17 audio intervals");
    assert_reason(f, "dscp", now, want.reasons[0]);

    /* two episodes with passing intervals between, the latest across 15:00 (two hourly rows) */
    vr_verdict_acc_reset(acc);
    ingest_seq(f, "flap", "audio", "a", f->t0 + 5 * MIN_NS, 15000000000ull, 15.0, "LLLL....", acc);
    ingest_seq(f, "flap", "audio", "b", f->t0 + 59 * MIN_NS, 15000000000ull, 15.0, "..llllllll..",
               acc);
    vr_verdict_acc_result(acc, &want);
    assert_string_equal(want.reasons[0],
                        "loss 3.1 % forward, audio, 2 episodes, worst 14:05" ENDASH
                        "14:06 UTC, latest 14:59" ENDASH "15:01 UTC, 12 of 20 audio intervals");
    assert_reason(f, "flap", now, want.reasons[0]);

    /* a single interval keeps its seconds */
    vr_verdict_acc_reset(acc);
    ingest_seq(f, "one", "audio", "a", f->t0 - 9 * MIN_NS, 10000000000ull, 10.0, "l", acc);
    vr_verdict_acc_result(acc, &want);
    assert_string_equal(want.reasons[0], "loss 2 % forward, audio, 13:51:00" ENDASH
                                         "13:51:10 UTC, 1 of 1 audio intervals");
    assert_reason(f, "one", now, want.reasons[0]);
    vr_verdict_acc_free(acc);
}

/* A schema-3 database upgrades: its hourly rows, which knew only their span, read as one
 * episode each, and rows added after the upgrade count episodes. */
static void test_store_migration_4_episodes(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    ingest_seq(f, "up", "audio", "a", f->t0 + 5 * MIN_NS, 15000000000ull, 15.0,
               "LLLL................llllllllll", NULL);
    /* an episode across 15:00 whose intervals start 0.2 s apart: two old rows, still one */
    ingest_seq(f, "up2", "audio", "a", f->t0 - 2 * MIN_NS, 15200000000ull, 15.0, "llllllllllll",
               NULL);
    vr_store_close(f->s);
    f->s = NULL;
    assert_int_equal(exec_sql(f->path, UNDO_MIGRATION_4), SQLITE_OK);
    assert_int_equal(count_rows(f->path, "SELECT max(version) FROM schema_version"), 3);
    assert_int_equal(vr_store_open(f->path, NULL, &f->s, &eb), 0);
    assert_int_equal(count_rows(f->path, "SELECT max(version) FROM schema_version"), 4);
    uint64_t now = f->t0 + 3 * HOUR_NS;
    assert_reason(f, "up", now,
                  "loss 3.1 % forward, audio, 14:05" ENDASH "14:12 UTC, 14 of 30 audio intervals");
    assert_reason(f, "up2", now,
                  "loss 2 % forward, audio, 13:58" ENDASH "14:01 UTC, 12 of 12 audio intervals");
    ingest_seq(f, "up", "audio", "b", f->t0 + 65 * MIN_NS, 15000000000ull, 15.0, "..ll", NULL);
    assert_reason(f, "up", now,
                  "loss 3.1 % forward, audio, 2 episodes, worst 14:05" ENDASH
                  "14:12 UTC, latest 15:05" ENDASH "15:06 UTC, 16 of 34 audio intervals");
}

/* The same rule in `report` (exit 1) and /metrics, with a "now" 6 hours on: no sleeping. */
static void test_store_silent_in_report_and_metrics(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    reopen_with_sites(f);
    seed_recent(f, "hq", 20);
    seed_recent(f, "other", 20);
    uint64_t live = vr_clock_wall_ns(), now = live + 6 * HOUR_NS;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(vr_report_write(f->s, "hq", live, 24 * HOUR_NS, VR_REPORT_TEXT, out, &eb), 0);
    assert_int_equal(vr_report_write(f->s, "other", now, 24 * HOUR_NS, VR_REPORT_TEXT, out, &eb),
                     1);
    assert_int_equal(vr_report_write(f->s, "lab", now, 24 * HOUR_NS, VR_REPORT_TEXT, out, &eb), 1);
    fclose(out);
    assert_non_null(strstr(text, "\nother                    Silent "));
    assert_non_null(strstr(text, ", 6 h ago"));
    assert_non_null(strstr(text, "\nlab                      No data \xe2\x80\x94 never reported"));
    libc_free(text);

    struct vr_metrics *m = vr_metrics_new();
    assert_non_null(m);
    char *body = NULL;
    assert_int_equal(vr_metrics_render(m, f->s, now, 24 * HOUR_NS, &body, &len, &eb), 0);
    assert_non_null(strstr(body, "\nvoiceready_site_verdict{site=\"other\"} 3\n"));
    assert_non_null(strstr(body, "\nvoiceready_site_verdict{site=\"hq\"} 3\n")); /* 30 min */
    assert_null(strstr(body, "voiceready_site_verdict{site=\"lab\"}"));
    assert_non_null(strstr(body, "\nvoiceready_site_silent{site=\"other\"} 1\n"));
    assert_non_null(strstr(body, "\nvoiceready_site_silent{site=\"lab\"} 1\n"));
    assert_non_null(strstr(body, "\nvoiceready_site_last_upload_timestamp_seconds{site=\"hq\"} "));
    assert_non_null(
        strstr(body, "\nvoiceready_agent_spool_records{site=\"hq\",agent=\"hq-agent\"} 0\n"));
    assert_non_null(strstr(
        body, "\nvoiceready_agent_quarantined_records{site=\"other\",agent=\"other-agent\"} 0\n"));
    libc_free(body);
    /* 4 minutes after the uploads: live, Ready, silent 0 */
    assert_int_equal(vr_metrics_render(m, f->s, live + 4 * MIN_NS, 24 * HOUR_NS, &body, &len, &eb),
                     0);
    assert_non_null(strstr(body, "\nvoiceready_site_verdict{site=\"other\"} 0\n"));
    assert_non_null(strstr(body, "\nvoiceready_site_silent{site=\"other\"} 0\n"));
    libc_free(body);
    vr_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open_migrates_and_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tokens_add_find_revoke_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_ingest_duplicates_acknowledged_not_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_sites_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_site_verdict_across_batches_and_hours, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_weight_counts_peak_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_site_thresholds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_site_detail_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_intervals_series_with_class_filter, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sites_silent_after_last_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sites_silent_after_per_site, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sites_lists_configured_never_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_note_agent_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_silent_in_report_and_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_reasons_per_class_and_episodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_migration_4_episodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_migration_3_starts_agents_from_last_record,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
