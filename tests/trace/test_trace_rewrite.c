/* trace.h: vr_trace_find_rewrite names the first segment where the DSCP differs from the one
 * sent, from the last hop seen with the sent mark (0 = this host) to the first hop seen with
 * another; silent and unknown hops widen the segment instead of ending it.
 * System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdio.h>
#include <string.h>

#include "trace.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define SILENT (-1)

/* A result with hops 1..n whose DSCPs are dscp[]; hop i answers from 10.0.<i>.1. */
static void make(struct vr_trace_result *r, const int *dscp, unsigned n)
{
    memset(r, 0, sizeof(*r));
    r->dscp_sent = 46;
    snprintf(r->local_addr, sizeof(r->local_addr), "10.0.0.9");
    r->n_hops = n;
    for (unsigned i = 0; i < n; i++) {
        struct vr_trace_hop *h = &r->hops[i];
        h->hop = i + 1;
        h->dscp = dscp[i];
        if (dscp[i] != SILENT) {
            h->replies = 3;
            snprintf(h->addr, sizeof(h->addr), "10.0.%u.1", i + 1);
        }
    }
}

static void assert_segment(const struct vr_trace_result *r, unsigned from, const char *from_addr,
                           unsigned to, const char *to_addr, int dscp_to)
{
    assert_true(r->rewrite.found);
    assert_int_equal(r->rewrite.from_hop, from);
    assert_string_equal(r->rewrite.from_addr, from_addr);
    assert_int_equal(r->rewrite.to_hop, to);
    assert_string_equal(r->rewrite.to_addr, to_addr);
    assert_int_equal(r->rewrite.dscp_from, 46);
    assert_int_equal(r->rewrite.dscp_to, dscp_to);
}

static void test_find_rewrite_none_when_mark_survives(void **state)
{
    static const int d[] = {46, SILENT, 46, 46};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 4);
    vr_trace_find_rewrite(&r);
    assert_false(r.rewrite.found);
}

static void test_find_rewrite_adjacent_hops(void **state)
{
    static const int d[] = {46, 46, 0, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 4);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 2, "10.0.2.1", 3, "10.0.3.1", 0);
}

static void test_find_rewrite_silent_first_hop(void **state)
{
    static const int d[] = {SILENT, 46, 0, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 4);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 2, "10.0.2.1", 3, "10.0.3.1", 0);
}

static void test_find_rewrite_range_across_silent_hops(void **state)
{
    static const int d[] = {46, SILENT, SILENT, 10, 10};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 5);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 1, "10.0.1.1", 4, "10.0.4.1", 10);
}

static void test_find_rewrite_from_this_host(void **state)
{
    static const int d[] = {0, 0, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 3);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 0, "10.0.0.9", 1, "10.0.1.1", 0);

    static const int silent[] = {SILENT, SILENT, 0};
    make(&r, silent, 3);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 0, "10.0.0.9", 3, "10.0.3.1", 0);
}

static void test_find_rewrite_at_the_reflector_only(void **state)
{
    static const int d[] = {46, 46, 46, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 4);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 3, "10.0.3.1", 4, "10.0.4.1", 0);
}

static void test_find_rewrite_reports_the_first_change(void **state)
{
    static const int d[] = {46, 34, 46, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 4);
    vr_trace_find_rewrite(&r);
    assert_segment(&r, 1, "10.0.1.1", 2, "10.0.2.1", 34);
}

static void test_find_rewrite_ignores_hops_past_the_end(void **state)
{
    static const int d[] = {46, 46, 0};
    struct vr_trace_result r;
    (void)state;
    make(&r, d, 3);
    r.n_hops = 2; /* hop 3 was past the target */
    vr_trace_find_rewrite(&r);
    assert_false(r.rewrite.found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_rewrite_none_when_mark_survives),
        cmocka_unit_test(test_find_rewrite_adjacent_hops),
        cmocka_unit_test(test_find_rewrite_silent_first_hop),
        cmocka_unit_test(test_find_rewrite_range_across_silent_hops),
        cmocka_unit_test(test_find_rewrite_from_this_host),
        cmocka_unit_test(test_find_rewrite_at_the_reflector_only),
        cmocka_unit_test(test_find_rewrite_reports_the_first_change),
        cmocka_unit_test(test_find_rewrite_ignores_hops_past_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
