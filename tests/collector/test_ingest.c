/* ingest: an upload body cut into chunks and parsed on a pool gives exactly what parsing it line
 * by line gives: the same records in body order, the same rejected lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson and the code under test allocate with malloc, and the test frees some of it: cmocka's
 * checking allocator (UNIT_TESTING) would see foreign blocks. The ASan build checks leaks. */
#undef UNIT_TESTING
#include <cmocka.h>
#include <jansson.h>

#include "api.h"
#include "ingest.h"

#define SITE "branch-1"

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* A passing audio interval of SITE, epoch k (about 1 KB of JSON). */
static void put_record(struct buf *b, unsigned k, const char *site)
{
    struct vr_record r;
    memset(&r, 0, sizeof(r));
    r.type = VR_RECORD_INTERVAL;
    snprintf(r.agent, sizeof(r.agent), "a1");
    snprintf(r.site, sizeof(r.site), "%s", site);
    snprintf(r.id, sizeof(r.id), "a1-1764252000000-audio-%u", k);
    snprintf(r.target, sizeof(r.target), "hq.example:5004");
    snprintf(r.link, sizeof(r.link), "wired");
    snprintf(r.cls, sizeof(r.cls), "audio");
    snprintf(r.profile, sizeof(r.profile), "teams-audio");
    r.dscp = 46;
    r.start_wall_ns = 1764252000000000000ull + (uint64_t)k * 15000000000ull;
    r.duration_s = 15.0;
    r.calls = 1 + k % 3;
    r.sent = r.received = r.fwd_received = 750;
    r.rtt_ms = (struct vr_quantiles){10, 20, 20, 25, 28, 30};
    r.jitter_fwd_ms = r.jitter_rev_ms = 2.0;
    r.dscp_fwd[46] = 750;
    r.dscp_rev[46] = 750;
    r.mos = 4.3;
    json_t *j = vr_record_to_json(&r);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    put(b, s);
    put(b, "\n");
    free(s);
    json_decref(j);
}

static const char capacity_line[] =
    "{\"type\":\"capacity\",\"schema\":1,\"id\":\"a1-cap-1\",\"agent\":\"a1\",\"site\":\"" SITE
    "\",\"target\":\"hq.example:5004\",\"link\":\"wired\",\"start\":\"2025-11-27T14:00:00.000Z\","
    "\"duration_s\":312.0,\"mix\":{\"audio\":1.0},\"max_rate_bps\":10000000,"
    "\"capacity_calls\":40,\"capacity_bps_fwd\":6000000.0,\"capacity_bps_rev\":5600000.0,"
    "\"limit\":\"threshold\",\"cause\":\"bandwidth\",\"steps\":[],\"verdict\":\"pass\","
    "\"reasons\":[]}\n";

struct fx {
    struct vr_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(vr_pool_new(3, &f->pool, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vr_pool_free(f->pool);
    free(f);
    return 0;
}

/* Parses a copy of body (with or without the pool); returns the status, fills *b and resp. */
static unsigned parse(struct fx *f, bool pooled, const struct buf *body, char **copy,
                      struct vr_ingest_batch *b, struct vr_api_response *resp)
{
    *copy = malloc(body->len + 1);
    assert_non_null(*copy);
    memcpy(*copy, body->p, body->len + 1);
    memset(resp, 0, sizeof(*resp));
    struct vr_ingest_error err;
    if (vr_ingest_parse(pooled ? f->pool : NULL, SITE, *copy, body->len, b, &err) == 0)
        return 0;
    return vr_api_ingest_error(resp, &err);
}

/* 400 records, verdict lines, a capacity record, blank and CRLF lines: ~400 KB, a dozen chunks */
static void test_ingest_chunks_keep_body_order(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    for (unsigned k = 0; k < 400; k++) {
        put_record(&body, k, SITE);
        if (k % 50 == 7)
            put(&body, "{\"type\":\"verdict\",\"site\":\"" SITE "\"}\r\n");
        if (k % 97 == 3)
            put(&body, "  \n\n");
        if (k == 211)
            put(&body, capacity_line);
    }
    char *c1, *c2;
    struct vr_ingest_batch one, many;
    struct vr_api_response r1, r2;
    assert_int_equal(parse(f, false, &body, &c1, &one, &r1), 0);
    assert_int_equal(parse(f, true, &body, &c2, &many, &r2), 0);
    assert_int_equal(one.n, 400);
    assert_int_equal(many.n, 400);
    assert_int_equal(one.nx, 1);
    assert_int_equal(many.nx, 1);
    assert_int_equal(one.ignored, 8);
    assert_int_equal(many.ignored, 8);
    assert_string_equal(many.xr[0].id, "a1-cap-1");
    assert_int_equal(many.xr[0].raw - c2, one.xr[0].raw - c1);
    for (unsigned k = 0; k < 400; k++) {
        char id[64];
        snprintf(id, sizeof(id), "a1-1764252000000-audio-%u", k);
        assert_string_equal(many.recs[k].id, id);
        assert_string_equal(one.recs[k].id, id);
        /* raw is the record's own line, NUL-terminated in place */
        assert_int_equal(many.raw[k] - c2, one.raw[k] - c1);
        assert_non_null(strstr(many.raw[k], id));
        assert_null(strchr(many.raw[k], '\n'));
        assert_true(many.weight[k] == (double)(1 + k % 3));
        assert_int_equal(many.recs[k].verdict, VR_LEVEL_PASS);
    }
    vr_ingest_batch_free(&one);
    vr_ingest_batch_free(&many);
    free(c1);
    free(c2);
    free(body.p);
}

/* An agent_status line of site (line 1 of an agent's upload). */
static void put_status(struct buf *b, const char *site)
{
    struct vr_agent_status st;
    memset(&st, 0, sizeof(st));
    snprintf(st.agent, sizeof(st.agent), "a1");
    snprintf(st.site, sizeof(st.site), "%s", site);
    snprintf(st.version, sizeof(st.version), "0.9.0");
    st.time_wall_ns = 1764252000000000000ull;
    st.spool_records = 300;
    st.quarantined = 2;
    st.clock_sync = VR_CLOCK_SYNCED;
    json_t *j = vr_agent_status_to_json(&st);
    assert_non_null(j);
    char *t = json_dumps(j, JSON_COMPACT);
    assert_non_null(t);
    put(b, t);
    put(b, "\n");
    free(t);
    json_decref(j);
}

/* Bad lines in different chunks are each rejected with their line, id and field, and every other
 * record is kept in body order, whichever thread parsed which chunk (issue 11: one bad record
 * used to refuse the whole batch, and the agent retried it for ever). */
static void test_ingest_bad_lines_one_by_one(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    put_status(&body, SITE);             /* line 1 */
    for (unsigned k = 0; k < 300; k++) { /* lines 2..301 */
        if (k == 10)
            put(&body, "{\"type\":\"interval\", oops}\n"); /* line 12 */
        else if (k == 150)
            put_record(&body, k, "another-site"); /* line 152 */
        else if (k == 200)
            put(&body, "{\"type\":\"interval\",\"schema\":1,\"id\":\"a1-bad-200\"}\n");
        else if (k == 280)
            put(&body, "[1,2,3]\n"); /* line 282 */
        else
            put_record(&body, k, SITE);
    }
    put_status(&body, "another-site"); /* line 302: a status of another site is refused too */
    static const struct {
        size_t line;
        enum vr_ingest_kind kind;
        const char *id, *field;
    } want[] = {
        {12, VR_INGEST_BAD_JSON, "", ""},
        {152, VR_INGEST_WRONG_SITE, "a1-1764252000000-audio-150", "site"},
        {202, VR_INGEST_BAD_FIELD, "a1-bad-200", "agent"},
        {282, VR_INGEST_NOT_OBJECT, "", ""},
        {302, VR_INGEST_WRONG_SITE, "", "site"},
    };
    for (int pooled = 0; pooled < 2; pooled++) {
        char *c;
        struct vr_ingest_batch b;
        struct vr_api_response resp;
        assert_int_equal(parse(f, pooled, &body, &c, &b, &resp), 0);
        assert_int_equal(b.n, 296);
        assert_int_equal(b.n_rejected, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < b.n_rejected; i++) {
            assert_int_equal(b.rejected[i].line, want[i].line);
            assert_int_equal(b.rejected[i].kind, want[i].kind);
            assert_string_equal(b.rejected[i].id, want[i].id);
            assert_string_equal(b.rejected[i].field, want[i].field);
            assert_true(b.rejected[i].msg[0] != '\0');
        }
        assert_true(b.has_status);
        assert_string_equal(b.status.agent, "a1");
        assert_int_equal(b.status.spool_records, 300);
        assert_int_equal(b.status.quarantined, 2);
        size_t k = 0;
        for (unsigned r = 0; r < 300; r++) {
            if (r == 10 || r == 150 || r == 200 || r == 280)
                continue;
            char id[64];
            snprintf(id, sizeof(id), "a1-1764252000000-audio-%u", r);
            assert_string_equal(b.recs[k++].id, id);
        }
        vr_ingest_batch_free(&b);
        free(c);
    }
    free(body.p);
}

/* A batch with only bad lines is still a batch: every line rejected, nothing refused whole. */
static void test_ingest_all_rejected(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    put(&body, "nope\n[]\n");
    put_record(&body, 1, "elsewhere");
    char *c;
    struct vr_ingest_batch b;
    struct vr_api_response resp;
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 0);
    assert_int_equal(b.n + b.nx, 0);
    assert_int_equal(b.n_rejected, 3);
    assert_false(b.has_status);
    vr_ingest_batch_free(&b);
    free(c);
    free(body.p);
}

static void test_ingest_refuses_too_many_lines(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    for (int k = 0; k < VR_INGEST_MAX_LINES + 1; k++)
        put(&body, k % 10 == 0 ? "{}\n\n" : "{}\n"); /* blank lines do not count */
    char *c;
    struct vr_ingest_batch b;
    struct vr_api_response resp;
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 400);
    assert_non_null(strstr(resp.body, "split it"));
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    assert_non_null(j);
    /* the 100,001st non-blank line, after 10,000 blank ones */
    assert_int_equal(json_integer_value(json_object_get(j, "line")),
                     VR_INGEST_MAX_LINES + 1 + VR_INGEST_MAX_LINES / 10);
    json_decref(j);
    free(resp.body);
    free(c);
    free(body.p);
}

/* One rule decides blank lines for the line cap and for the parse: spaces and tabs, and one
 * trailing CR. A CR inside makes a line to parse, so it counts against the cap too. */
static void test_ingest_blank_lines_one_rule(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    put_record(&body, 1, SITE);
    put(&body, " \t \r\n\t\n\r\n");
    put_record(&body, 2, SITE);
    char *c;
    struct vr_ingest_batch b;
    struct vr_api_response resp;
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 0);
    assert_int_equal(b.n, 2);
    vr_ingest_batch_free(&b);
    free(c);

    put(&body, " \r \t\n"); /* line 6: not blank, so a line to parse, and not JSON */
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 0);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.n_rejected, 1);
    assert_int_equal(b.rejected[0].line, 6);
    assert_int_equal(b.rejected[0].kind, VR_INGEST_BAD_JSON);
    vr_ingest_batch_free(&b);
    free(c);
    free(body.p);
    json_t *j;

    struct buf cap = {0};
    for (int k = 0; k < VR_INGEST_MAX_LINES; k++)
        put(&cap, "{}\n");
    put(&cap, " \r \t\n");
    assert_int_equal(parse(f, true, &cap, &c, &b, &resp), 400);
    assert_non_null(strstr(resp.body, "split it"));
    j = json_loadb(resp.body, resp.len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "line")), VR_INGEST_MAX_LINES + 1);
    json_decref(j);
    free(resp.body);
    free(c);
    free(cap.p);
}

static void test_ingest_empty_and_unterminated(void **state)
{
    struct fx *f = *state;
    struct buf body = {0};
    put(&body, "");
    char *c;
    struct vr_ingest_batch b;
    struct vr_api_response resp;
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 0);
    assert_int_equal(b.n + b.nx + b.ignored, 0);
    vr_ingest_batch_free(&b);
    free(c);
    put_record(&body, 1, SITE);
    body.p[--body.len] = '\0'; /* no final newline */
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(strlen(b.raw[0]), body.len);
    vr_ingest_batch_free(&b);
    free(c);
    free(body.p);
}

/* The typed error: kind, line and field as members, no HTTP (api.c maps it). */
static void test_ingest_typed_error(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *body;
        enum vr_ingest_kind kind;
        size_t line;
        const char *field;
    } cases[] = {
        {"\n{not json\n", VR_INGEST_BAD_JSON, 2, ""},
        {"[1]\n", VR_INGEST_NOT_OBJECT, 1, ""},
        {"{\"type\":\"capacity\",\"schema\":1,\"id\":\"x\",\"agent\":\"a\",\"site\":\"" SITE
         "\",\"start\":\"2025-11-27T14:00:00.000Z\",\"duration_s\":1,\"verdict\":\"pass\","
         "\"target\":\"t\",\"max_rate_bps\":10000000.0}\n",
         VR_INGEST_BAD_FIELD, 1, "max_rate_bps"},
        {"{\"type\":\"interval\",\"schema\":1}\n", VR_INGEST_BAD_FIELD, 1, "id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].body);
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        memcpy(copy, cases[i].body, len + 1);
        struct vr_ingest_batch b;
        struct vr_ingest_error e;
        assert_int_equal(vr_ingest_parse(f->pool, SITE, copy, len, &b, &e), 0);
        assert_int_equal(b.n_rejected, 1);
        assert_int_equal(b.rejected[0].kind, cases[i].kind);
        assert_int_equal(b.rejected[0].line, cases[i].line);
        assert_string_equal(b.rejected[0].field, cases[i].field);
        vr_ingest_batch_free(&b);
        free(copy);
    }
    struct buf body = {0};
    put_record(&body, 1, "elsewhere");
    char *c;
    struct vr_ingest_batch b;
    struct vr_ingest_error e;
    c = malloc(body.len + 1);
    assert_non_null(c);
    memcpy(c, body.p, body.len + 1);
    assert_int_equal(vr_ingest_parse(NULL, SITE, c, body.len, &b, &e), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.n_rejected, 1);
    assert_int_equal(b.rejected[0].kind, VR_INGEST_WRONG_SITE);
    assert_string_equal(b.rejected[0].field, "site");
    assert_string_equal(b.rejected[0].id, "a1-1764252000000-audio-1");
    vr_ingest_batch_free(&b);
    free(c);
    free(body.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_chunks_keep_body_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_bad_lines_one_by_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_all_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_refuses_too_many_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_blank_lines_one_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_empty_and_unterminated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_typed_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
