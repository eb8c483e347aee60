/* pool: every part of every job runs exactly once, whoever calls, however many at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"

#define PARTS 2000

struct counts {
    unsigned ran[PARTS]; /* atomic increments: parts may run on any thread */
    size_t order[PARTS]; /* the sequence, for the pool-less case */
    unsigned seq;
};

static void count(void *arg, size_t i)
{
    struct counts *c = arg;
    __atomic_fetch_add(&c->ran[i], 1u, __ATOMIC_RELAXED);
    unsigned k = __atomic_fetch_add(&c->seq, 1u, __ATOMIC_RELAXED);
    if (k < PARTS) /* repeated jobs (the concurrent test) record only their first round */
        c->order[k] = i;
}

static void test_pool_without_threads_runs_in_order(void **state)
{
    (void)state;
    struct counts *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    vr_pool_for(NULL, PARTS, count, c);
    for (size_t i = 0; i < PARTS; i++) {
        assert_int_equal(c->ran[i], 1);
        assert_int_equal(c->order[i], i);
    }
    free(c);
}

static void test_pool_runs_each_part_once(void **state)
{
    (void)state;
    struct vr_pool *p = NULL;
    assert_int_equal(vr_pool_new(3, &p, NULL), 0);
    for (size_t n = 0; n <= 5; n++) { /* tiny jobs, including none and one part */
        struct counts *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        vr_pool_for(p, n, count, c);
        for (size_t i = 0; i < PARTS; i++)
            assert_int_equal(c->ran[i], i < n ? 1 : 0);
        free(c);
    }
    struct counts *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    vr_pool_for(p, PARTS, count, c);
    for (size_t i = 0; i < PARTS; i++)
        assert_int_equal(c->ran[i], 1);
    free(c);
    vr_pool_free(p);
}

struct caller {
    struct vr_pool *p;
    struct counts c;
};

static void *call(void *arg)
{
    struct caller *k = arg;
    for (int round = 0; round < 20; round++)
        vr_pool_for(k->p, PARTS, count, &k->c);
    return NULL;
}

/* Several threads at once (as the HTTP workers call it): each job complete, none mixed up. */
static void test_pool_concurrent_callers(void **state)
{
    (void)state;
    struct vr_pool *p = NULL;
    assert_int_equal(vr_pool_new(2, &p, NULL), 0);
    enum { CALLERS = 4 };
    struct caller *k = calloc(CALLERS, sizeof(*k));
    assert_non_null(k);
    pthread_t t[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        k[i].p = p;
        assert_int_equal(pthread_create(&t[i], NULL, call, &k[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < CALLERS; i++)
        for (size_t j = 0; j < PARTS; j++)
            assert_int_equal(k[i].c.ran[j], 20);
    free(k);
    vr_pool_free(p);
}

static void test_pool_refuses_no_threads(void **state)
{
    (void)state;
    struct vr_pool *p = (struct vr_pool *)&p;
    struct vr_errbuf eb = {{0}};
    assert_int_equal(vr_pool_new(0, &p, &eb), VR_EINVAL);
    assert_null(p);
    assert_non_null(strstr(eb.msg, "at least one thread"));
    vr_pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_without_threads_runs_in_order),
        cmocka_unit_test(test_pool_runs_each_part_once),
        cmocka_unit_test(test_pool_concurrent_callers),
        cmocka_unit_test(test_pool_refuses_no_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
