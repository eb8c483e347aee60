/* ingest: an upload body cut into chunks and parsed on a pool gives exactly what parsing it line
 * by line gives: the same records in body order, the same first bad line. */
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

/* Two bad lines in different chunks: the earlier one is named, whichever thread saw it. */
static void test_ingest_first_bad_line_wins(void **state)
{
    struct fx *f = *state;
    for (int variant = 0; variant < 3; variant++) {
        struct buf body = {0};
        unsigned lineno = 0, first = 0;
        for (unsigned k = 0; k < 300; k++) {
            lineno++;
            if (k == 150) {
                first = lineno;
                if (variant == 0)
                    put(&body, "{\"type\":\"interval\", oops}\n");
                else if (variant == 1)
                    put_record(&body, k, "another-site");
                else
                    put(&body, "\n"); /* blank: no error here, the next one counts */
                continue;
            }
            if (k == 280) {
                put(&body, "[1,2,3]\n");
                if (variant == 2)
                    first = lineno;
                continue;
            }
            put_record(&body, k, SITE);
        }
        char *c;
        struct vr_ingest_batch b;
        struct vr_api_response resp;
        unsigned st = parse(f, true, &body, &c, &b, &resp);
        assert_int_equal(st, variant == 1 ? 403 : 400);
        assert_int_equal(b.n, 0);
        json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "line")), first);
        json_decref(j);
        free(resp.body);
        free(c);
        free(body.p);
    }
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

    put(&body, " \r \t\n"); /* line 6 */
    assert_int_equal(parse(f, true, &body, &c, &b, &resp), 400);
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "line")), 6);
    json_decref(j);
    free(resp.body);
    free(c);
    free(body.p);

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
        assert_int_equal(vr_ingest_parse(f->pool, SITE, copy, len, &b, &e), VR_EINVAL);
        assert_int_equal(e.kind, cases[i].kind);
        assert_int_equal(e.line, cases[i].line);
        assert_string_equal(e.field, cases[i].field);
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
    assert_int_equal(vr_ingest_parse(NULL, SITE, c, body.len, &b, &e), VR_EINVAL);
    assert_int_equal(e.kind, VR_INGEST_WRONG_SITE);
    assert_string_equal(e.field, "site");
    struct vr_api_response resp = {0};
    assert_int_equal(vr_api_ingest_error(&resp, &e), 403);
    free(resp.body);
    free(c);
    free(body.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_chunks_keep_body_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_first_bad_line_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_refuses_too_many_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_blank_lines_one_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_empty_and_unterminated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_typed_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
