/* Tests of the capacity rule, capacity and capture records and the link split in the store
 * (collector/store.h, store_sqlite_cap.c, xrecord.h): seeded sites whose intervals all pass,
 * so that the verdict is decided by the capacity rule alone. Temp DB under /tmp, removed after. */
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

#include "plan.h"
#include "profile.h"
#include "record.h"
#include "render.h"
#include "score.h"
#include "store.h"
#include "xrecord.h"

#include <cmocka.h>

#define HOUR_NS 3600000000000ull

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

/* Plans: every site but "noplan" plans 22 calls + 10 % growth = 25. */
static bool plan_of(void *arg, const char *site, struct vr_plan_input *out)
{
    (void)arg;
    vr_plan_input_init(out);
    if (strcmp(site, "noplan") == 0)
        return false;
    out->peak_calls = 22;
    out->growth_cpct = 1000;
    return true;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "/tmp/vr-test-capacity-%d.db", (int)getpid());
    rm_db(f->path);
    struct vr_errbuf eb = {{0}};
    struct vr_store_options opt = {.site_plan = plan_of};
    if (vr_store_open(f->path, &opt, &f->s, &eb) != 0) {
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

/* n passing audio intervals of site over link, 15 s apart from start. */
static void intervals(struct fx *f, const char *site, const char *link, unsigned n,
                      double jitter_ms)
{
    struct vr_record *r = calloc(n, sizeof(*r));
    bool *st = calloc(n, sizeof(*st));
    struct vr_thresholds t;
    struct vr_errbuf eb = {{0}};
    assert_non_null(r);
    assert_non_null(st);
    assert_int_equal(vr_thresholds_by_name("client", &t, NULL), 0);
    for (unsigned i = 0; i < n; i++) {
        r[i].type = VR_RECORD_INTERVAL;
        snprintf(r[i].agent, sizeof(r[i].agent), "%s-a", site);
        snprintf(r[i].site, sizeof(r[i].site), "%s", site);
        snprintf(r[i].id, sizeof(r[i].id), "%s-a-1764252000000-%s-audio-%u", site, link, i);
        snprintf(r[i].target, sizeof(r[i].target), "hq.example:5004");
        snprintf(r[i].link, sizeof(r[i].link), "%s", link);
        snprintf(r[i].cls, sizeof(r[i].cls), "audio");
        r[i].dscp = 46;
        r[i].start_wall_ns = f->t0 + i * 15000000000ull;
        r[i].duration_s = 15.0;
        r[i].calls = 1;
        r[i].sent = r[i].received = r[i].fwd_received = 750;
        r[i].rtt_ms = (struct vr_quantiles){10, 20, 20, 25, 28, 30};
        r[i].jitter_fwd_ms = r[i].jitter_rev_ms = jitter_ms;
        r[i].dscp_fwd[46] = r[i].dscp_rev[46] = 750;
        r[i].mos = 4.3;
        vr_score_interval(&r[i], &t, NULL, 0);
    }
    if (vr_store_ingest(f->s, r, NULL, NULL, n, st, &eb) != 0)
        fail_msg("ingest: %s", eb.msg);
    free(r);
    free(st);
}

/* A capacity record as the agent writes it (docs/records.md). */
static void capacity_json(char *buf, size_t len, const char *site, const char *id,
                          const char *start, const char *target, unsigned calls)
{
    snprintf(
        buf, len,
        "{\"type\":\"capacity\",\"schema\":1,\"id\":\"%s\",\"agent\":\"%s-a\",\"site\":\"%s\","
        "\"target\":\"%s\",\"link\":\"wired\",\"interface\":\"eth0\",\"start\":\"%s\","
        "\"duration_s\":312.0,\"mix\":{\"audio\":1.0},\"profiles\":{\"audio\":\"teams-audio\"},"
        "\"max_rate_bps\":10000000,\"capacity_calls\":%u,\"capacity_bps_fwd\":%u,"
        "\"capacity_bps_rev\":%u,\"limit\":\"threshold\",\"first_failure\":{\"calls\":%u,"
        "\"metric\":\"loss\",\"direction\":\"fwd\",\"class\":\"audio\",\"value\":2.4,"
        "\"threshold\":1.0,\"reason\":\"loss 2.4 %% forward, audio\"},\"cause\":\"bandwidth\","
        "\"steps\":[{\"calls\":1,\"duration_s\":30,\"bps_fwd\":110000,\"bps_rev\":110000,"
        "\"verdict\":\"pass\",\"loss_fwd_pct\":0,\"loss_rev_pct\":0,\"jitter_fwd_ms\":1,"
        "\"jitter_rev_ms\":1,\"rtt_p95_ms\":20,\"dscp_preserved_fwd_pct\":100,"
        "\"dscp_preserved_rev_pct\":null,\"reasons\":[]}],\"verdict\":\"pass\","
        "\"reasons\":[],\"future_field\":1}",
        id, site, site, target, start, calls, calls * 110000, calls * 110000, calls + 1);
}

/* Parses each JSON text into an xrecord (raw = the text) and stores them in one call. */
static void ingest_x(struct fx *f, const char *const *texts, size_t n, bool *stored)
{
    struct vr_xrecord x[8];
    json_t *j[8];
    struct vr_errbuf eb = {{0}};
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        json_error_t je;
        j[i] = json_loads(texts[i], 0, &je);
        if (j[i] == NULL)
            fail_msg("bad test JSON: %s", je.text);
        struct vr_jerr e = {{{0}}, {0}};
        if (vr_xrecord_from_json(j[i], &x[i], &e) != 0)
            fail_msg("xrecord: %s", e.eb.msg);
        x[i].raw = texts[i];
    }
    if (vr_store_ingest_all(f->s, NULL, NULL, NULL, 0, NULL, x, n, stored, &eb) != 0)
        fail_msg("ingest x: %s", eb.msg);
    for (size_t i = 0; i < n; i++)
        json_decref(j[i]);
}

static void cap(struct fx *f, const char *site, const char *id, const char *start, unsigned calls)
{
    char buf[2048];
    const char *t[1] = {buf};
    bool st[1];
    capacity_json(buf, sizeof(buf), site, id, start, "edge.example:5004", calls);
    ingest_x(f, t, 1, st);
    assert_true(st[0]);
}

static const struct vr_store_site_summary *site_of(const struct vr_store_site_list *list,
                                                   const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->sites[i].site, name) == 0)
            return &list->sites[i];
    fail_msg("site %s not listed", name);
    return NULL;
}

static void test_capacity_rule_on_seeded_sites(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    const char *names[] = {"below", "within", "above", "unmeasured", "noplan"};
    for (size_t i = 0; i < 5; i++)
        intervals(f, names[i], "wired", 20, 2.0);
    cap(f, "below", "c-b1", "2026-11-27T13:00:00.000Z", 40); /* an older, larger run ... */
    cap(f, "below", "c-b2", "2026-11-27T14:00:00.000Z", 18); /* ... the latest counts */
    cap(f, "below", "c-b0", "2026-11-27T12:00:00.000Z", 60); /* uploaded late, older: ignored */
    cap(f, "within", "c-w", "2026-11-27T14:00:00.000Z", 29); /* 25 x 1.2 = 30 */
    cap(f, "above", "c-a", "2026-11-27T14:00:00.000Z", 30);
    cap(f, "noplan", "c-n", "2026-11-27T14:00:00.000Z", 5);

    uint64_t now = f->t0 + HOUR_NS;
    static const struct {
        const char *site, *verdict, *status, *reason;
        long long capacity; /* -1: not measured */
    } want[] = {
        {"below", "not_ready", "not_ready", "capacity 18 calls < planned peak 25 (+10 % growth)",
         18},
        {"within", "at_risk", "at_risk",
         "capacity 29 calls is within 20 % of planned peak 25 (+10 % growth)", 29},
        {"above", "ready", "ready", NULL, 30},
        {"unmeasured", "at_risk", "not_measured",
         "capacity not measured (planned peak 25 (+10 % growth))", -1},
        {"noplan", "ready", "no_plan", NULL, 5},
    };
    struct vr_store_site_list *list = NULL;
    assert_int_equal(vr_store_sites(f->s, now, 24 * HOUR_NS, &list, &eb), 0);
    for (size_t i = 0; i < 5; i++) {
        const struct vr_store_site_summary *s = site_of(list, want[i].site);
        const char *v = vr_render_verdict_name(&s->verdict);
        if (strcmp(v, want[i].verdict) != 0)
            fail_msg("%s: verdict %s, want %s", want[i].site, v, want[i].verdict);
        assert_string_equal(vr_capacity_status_name(s->capacity.status), want[i].status);
        assert_int_equal(s->capacity.measured, want[i].capacity >= 0);
        if (want[i].capacity >= 0)
            assert_int_equal(s->capacity.calls, want[i].capacity);
        assert_int_equal(s->capacity.planned, strcmp(want[i].site, "noplan") != 0);
        if (s->capacity.planned)
            assert_int_equal(s->capacity.plan.planned_calls, 25);
        if (want[i].reason != NULL) {
            assert_string_equal(s->verdict.reasons[0], want[i].reason);
            assert_string_equal(s->capacity.reason, want[i].reason);
        }
        /* the same verdict through the single-site paths */
        struct vr_verdict vv;
        assert_int_equal(vr_store_site_verdict(f->s, want[i].site, now, 24 * HOUR_NS, &vv, &eb), 0);
        assert_string_equal(vr_site_verdict_name(vv.verdict), want[i].verdict);
        struct vr_store_site_detail *d = NULL;
        assert_int_equal(vr_store_site(f->s, want[i].site, now, 24 * HOUR_NS, &d, &eb), 0);
        assert_string_equal(vr_render_verdict_name(&d->summary.verdict), want[i].verdict);
        assert_string_equal(vr_capacity_status_name(d->summary.capacity.status), want[i].status);
        json_t *j = vr_render_site(d);
        assert_string_equal(json_string_value(json_object_get(j, "verdict")), want[i].verdict);
        json_t *capo = json_object_get(j, "capacity");
        assert_string_equal(json_string_value(json_object_get(capo, "status")), want[i].status);
        json_decref(j);
        vr_store_site_detail_free(d);
    }
    /* rendered for the API: nulls where nothing was measured or planned */
    json_t *jl = vr_render_sites(list);
    json_t *js;
    size_t k;
    json_array_foreach(json_object_get(jl, "sites"), k, js)
    {
        const char *name = json_string_value(json_object_get(js, "site"));
        if (strcmp(name, "unmeasured") == 0)
            assert_true(json_is_null(json_object_get(js, "capacity_calls")));
        if (strcmp(name, "noplan") == 0)
            assert_true(json_is_null(json_object_get(js, "planned_peak_calls")));
        if (strcmp(name, "below") == 0)
            assert_int_equal(json_integer_value(json_object_get(js, "capacity_calls")), 18);
    }
    json_decref(jl);
    vr_store_site_list_free(list);

    /* the site page's blocks for "below": plan, the latest run with its first failure */
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "below", now, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->summary.capacity.plan.peak_calls, 22);
    assert_int_equal(d->n_capacity, 1);
    const struct vr_store_capacity_row *c0 = &d->capacity[0];
    assert_int_equal(c0->calls, 18);
    assert_string_equal(c0->target, "edge.example:5004");
    assert_string_equal(c0->limit, "threshold");
    assert_string_equal(c0->cause, "bandwidth");
    assert_int_equal(c0->verdict, VR_LEVEL_PASS); /* as the record says */
    assert_non_null(c0->record);
    json_t *j = vr_render_site(d);
    json_t *plan = json_object_get(j, "planning");
    assert_int_equal(json_integer_value(json_object_get(plan, "peak_calls")), 22);
    assert_int_equal(json_integer_value(json_object_get(plan, "planned_peak_calls")), 25);
    /* audio only: 25 x 30 kbit/s = 750 kbit/s each way */
    assert_true(json_real_value(json_object_get(plan, "bandwidth_bps_fwd")) == 750000.0);
    json_t *latest = json_object_get(json_object_get(j, "capacity"), "latest");
    assert_int_equal(json_array_size(latest), 1);
    json_t *l0 = json_array_get(latest, 0);
    assert_int_equal(json_integer_value(json_object_get(l0, "capacity_calls")), 18);
    assert_string_equal(json_string_value(json_object_get(l0, "start")),
                        "2026-11-27T14:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(l0, "limit")), "threshold");
    assert_string_equal(json_string_value(json_object_get(l0, "cause")), "bandwidth");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(l0, "first_failure"), "calls")), 19);
    json_decref(j);
    vr_store_site_detail_free(d);
    /* a site without intervals stays "no data" whatever its capacity says */
    cap(f, "quiet", "c-q", "2026-11-27T14:00:00.000Z", 1);
    struct vr_verdict vq;
    assert_int_equal(vr_store_site_verdict(f->s, "quiet", now, 24 * HOUR_NS, &vq, &eb), 0);
    assert_int_equal(vq.intervals, 0);
    assert_int_equal(vq.n_reasons, 0);
}

static void test_capacity_smallest_target_counts(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    char a[2048], b[2048];
    const char *t[2] = {a, b};
    bool st[2];
    intervals(f, "two", "wired", 10, 2.0);
    capacity_json(a, sizeof(a), "two", "c-1", "2026-11-27T14:00:00.000Z", "edge-a:5004", 40);
    capacity_json(b, sizeof(b), "two", "c-2", "2026-11-27T14:00:00.000Z", "edge-b:5004", 26);
    ingest_x(f, t, 2, st);
    struct vr_store_site_list *list = NULL;
    assert_int_equal(vr_store_sites(f->s, f->t0 + HOUR_NS, 24 * HOUR_NS, &list, &eb), 0);
    const struct vr_store_site_summary *s = site_of(list, "two");
    assert_true(s->capacity.measured);
    assert_int_equal(s->capacity.calls, 26);
    assert_int_equal(s->verdict.verdict, VR_VERDICT_AT_RISK);
    vr_store_site_list_free(list);
    /* the site page lists both targets, smallest first */
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "two", f->t0 + HOUR_NS, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->n_capacity, 2);
    assert_string_equal(d->capacity[0].target, "edge-b:5004");
    assert_int_equal(d->capacity[0].calls, 26);
    assert_int_equal(d->capacity[1].calls, 40);
    vr_store_site_detail_free(d);
}

static void test_duplicates_acknowledged_not_stored(void **state)
{
    struct fx *f = *state;
    char a[2048];
    capacity_json(a, sizeof(a), "dup", "c-1", "2026-11-27T14:00:00.000Z", "edge:5004", 12);
    const char *capt = "{\"type\":\"capture\",\"schema\":1,\"id\":\"k-1\",\"agent\":\"dup-a\","
                       "\"site\":\"dup\",\"source\":\"eth0\",\"link\":\"wifi\","
                       "\"start\":\"2026-11-27T14:00:01.000Z\",\"duration_s\":60,"
                       "\"src\":\"192.0.2.1:50010\",\"dst\":\"198.51.100.7:3478\","
                       "\"ssrc\":\"0x1a2b3c4d\",\"payload_type\":111,\"clock_hz\":48000,"
                       "\"class\":\"audio\",\"packets\":2990,\"expected\":3000,\"lost\":10,"
                       "\"loss_pct\":0.333,\"duplicates\":0,\"reorder_pct\":0,\"jitter_ms\":4.5,"
                       "\"jitter_max_ms\":9,\"max_delta_ms\":41,\"dscp\":{\"46\":2990},"
                       "\"mos\":4.2,\"verdict\":\"pass\",\"reasons\":[]}";
    const char *t[2] = {a, capt};
    bool st[2];
    ingest_x(f, t, 2, st);
    assert_true(st[0] && st[1]);
    ingest_x(f, t, 2, st);
    assert_false(st[0] || st[1]);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM capacity"), 1);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM captures"), 1);
    /* a capture is shown, never judged: the site has no intervals, so no data */
    struct vr_errbuf eb = {{0}};
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "dup", f->t0 + HOUR_NS, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->summary.verdict.intervals, 0);
    assert_int_equal(d->n_captures, 1);
    const struct vr_store_capture_row *c0 = &d->captures[0];
    assert_string_equal(c0->src, "192.0.2.1:50010");
    assert_string_equal(c0->dst, "198.51.100.7:3478");
    assert_string_equal(c0->link, "wifi");
    assert_string_equal(c0->cls, "audio");
    assert_int_equal(c0->packets, 2990);
    assert_int_equal(c0->lost, 10);
    assert_true(c0->mos == 4.2);
    assert_true(c0->jitter_ms == 4.5);
    assert_int_equal(c0->verdict, VR_LEVEL_PASS);
    assert_true(c0->reasons.present);
    assert_int_equal(c0->reasons.n, 0);
    json_t *j = vr_render_site(d);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "no_data");
    json_t *jc = json_array_get(json_object_get(j, "captures"), 0);
    assert_string_equal(json_string_value(json_object_get(jc, "src")), "192.0.2.1:50010");
    assert_int_equal(json_integer_value(json_object_get(jc, "packets")), 2990);
    assert_true(json_real_value(json_object_get(jc, "mos")) == 4.2);
    assert_int_equal(json_array_size(json_object_get(jc, "reasons")), 0);
    json_decref(j);
    vr_store_site_detail_free(d);
}

static void test_links_split(void **state)
{
    struct fx *f = *state;
    struct vr_errbuf eb = {{0}};
    intervals(f, "lan", "wired", 8, 2.0);
    intervals(f, "lan", "wifi", 8, 20.0); /* same target and class, over Wi-Fi */
    struct vr_store_site_detail *d = NULL;
    assert_int_equal(vr_store_site(f->s, "lan", f->t0 + HOUR_NS, 24 * HOUR_NS, &d, &eb), 0);
    assert_int_equal(d->n_paths, 2);
    json_t *j = vr_render_site(d);
    json_t *links = json_object_get(j, "links");
    assert_int_equal(json_array_size(links), 2);
    json_t *w = json_array_get(links, 0), *wf = json_array_get(links, 1);
    assert_string_equal(json_string_value(json_object_get(w, "link")), "wired");
    assert_string_equal(json_string_value(json_object_get(wf, "link")), "wifi");
    assert_true(json_real_value(json_object_get(w, "jitter_fwd_ms")) == 2.0);
    assert_true(json_real_value(json_object_get(wf, "jitter_fwd_ms")) == 20.0);
    json_decref(j);
    vr_store_site_detail_free(d);
    struct vr_store_series_set *o = NULL;
    assert_int_equal(vr_store_intervals(f->s, "lan", f->t0, NULL, "wifi", &o, &eb), 0);
    assert_int_equal(o->n, 1);
    assert_string_equal(o->series[0].link, "wifi");
    assert_int_equal(o->series[0].n, 8);
    vr_store_series_set_free(o);
    struct vr_store_link_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(vr_store_site_links(f->s, f->t0 + HOUR_NS, 24 * HOUR_NS, &rows, &n, &eb), 0);
    assert_int_equal(n, 2);
    /* by site, then link name */
    assert_string_equal(rows[0].site, "lan");
    assert_string_equal(rows[0].link, "wifi");
    assert_true(rows[0].jitter_fwd_ms == 20.0);
    assert_string_equal(rows[1].link, "wired");
    assert_int_equal(rows[1].intervals, 8);
    assert_int_equal(rows[1].passed, 8);
    assert_true(rows[1].jitter_fwd_ms == 2.0);
    vr_store_link_rows_free(rows);
}

static void test_xrecord_validation_names_field(void **state)
{
    (void)state;
    char good[2048];
    capacity_json(good, sizeof(good), "v", "c-1", "2026-11-27T14:00:00.000Z", "edge:5004", 3);
    static const struct {
        const char *from, *to, *field;
    } bad[] = {
        {"\"capacity_calls\":3", "\"capacity_calls\":-3", "\"capacity_calls\""},
        {"\"capacity_calls\":3", "\"capacity_calls\":1e9", "\"capacity_calls\""},
        {"\"limit\":\"threshold\"", "\"limit\":\"tired\"", "\"limit\""},
        {"\"cause\":\"bandwidth\"", "\"cause\":7", "\"cause\""},
        {"\"metric\":\"loss\"", "\"metric\":\"mood\"", "\"first_failure.metric\""},
        {"\"loss_fwd_pct\":0,", "\"loss_fwd_pct\":101,", "\"steps[0].loss_fwd_pct\""},
        {"\"link\":\"wired\"", "\"link\":\"fibre\"", "\"link\""},
        {"\"start\":\"2026", "\"start\":\"x2026", "\"start\""},
        {"\"capacity_bps_fwd\":330000", "\"capacity_bps_fwd\":\"fast\"", "\"capacity_bps_fwd\""},
        {"\"schema\":1", "\"schema\":2", "\"schema\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[2100];
        const char *at = strstr(good, bad[i].from);
        assert_non_null(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, bad[i].to,
                 at + strlen(bad[i].from));
        json_t *j = json_loads(text, 0, NULL);
        assert_non_null(j);
        struct vr_xrecord x;
        struct vr_jerr e = {{{0}}, {0}};
        assert_int_equal(vr_xrecord_from_json(j, &x, &e), VR_EINVAL);
        if (strstr(e.eb.msg, bad[i].field) == NULL)
            fail_msg("case %zu: \"%s\" does not name %s", i, e.eb.msg, bad[i].field);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capacity_rule_on_seeded_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_smallest_target_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_acknowledged_not_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_split, setup, teardown),
        cmocka_unit_test(test_xrecord_validation_names_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
