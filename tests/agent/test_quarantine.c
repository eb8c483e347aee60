/* quarantine: refused records kept with their reason, bounded (the oldest go), taken out for
 * drop or retry, and given back to the spool through requeue.jsonl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#undef UNIT_TESTING /* jansson allocates with malloc; the ASan build checks leaks */
#include <cmocka.h>

#include "quarantine.h"
#include "spool.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vr-quar-test.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void add(unsigned k, uint64_t *count, uint64_t *dropped)
{
    char id[32], line[128];
    snprintf(id, sizeof(id), "a1-r%u", k);
    snprintf(line, sizeof(line), "{\"type\":\"interval\",\"id\":\"%s\",\"loss_fwd_pct\":-5}", id);
    assert_int_equal(vr_quarantine_add(dir, 1764252000000000000ull + k, id, "loss_fwd_pct",
                                       "expected a number 0..100", line, strlen(line), count,
                                       dropped),
                     0);
}

static void test_add_load_take(void **state)
{
    (void)state;
    uint64_t count = 0, dropped = 9;
    add(1, &count, &dropped);
    add(2, &count, &dropped);
    add(3, &count, &dropped);
    assert_int_equal(count, 3);
    assert_int_equal(dropped, 0);
    struct vr_quarantine_entry *e;
    size_t n, skipped;
    assert_int_equal(vr_quarantine_load(dir, &e, &n, &skipped), 0);
    assert_int_equal(n, 3);
    assert_int_equal(skipped, 0);
    assert_string_equal(e[0].id, "a1-r1");
    assert_string_equal(e[0].type, "interval");
    assert_string_equal(e[0].field, "loss_fwd_pct");
    assert_string_equal(e[0].error, "expected a number 0..100");
    assert_non_null(strstr(e[0].record, "\"loss_fwd_pct\":-5"));
    vr_quarantine_entries_free(e, n);

    /* drop one, retry one: the retried one goes to requeue.jsonl, then into a spool */
    const char *one[] = {"a1-r2"};
    size_t taken = 0;
    assert_int_equal(vr_quarantine_take(dir, one, 1, false, false, &taken), 0);
    assert_int_equal(taken, 1);
    const char *other[] = {"a1-r3", "not-there"};
    assert_int_equal(vr_quarantine_take(dir, other, 2, false, true, &taken), 0);
    assert_int_equal(taken, 1);
    assert_int_equal(vr_quarantine_count(dir, &count), 0);
    assert_int_equal(count, 1);
    char sdir[96];
    snprintf(sdir, sizeof(sdir), "%s/spool", dir);
    struct vr_spool *s;
    assert_int_equal(vr_spool_open(sdir, 0, &s), 0);
    size_t moved = 0;
    assert_int_equal(vr_requeue_take(dir, s, &moved), 0);
    assert_int_equal(moved, 1);
    assert_int_equal(vr_spool_count(s), 1);
    assert_int_equal(vr_requeue_take(dir, s, &moved), 0); /* the file is gone: nothing more */
    assert_int_equal(moved, 0);
    vr_spool_free(s);
    assert_int_equal(vr_quarantine_take(dir, NULL, 0, true, false, &taken), 0);
    assert_int_equal(taken, 1);
    assert_int_equal(vr_quarantine_count(dir, &count), 0);
    assert_int_equal(count, 0);
}

/* Over VR_QUARANTINE_MAX_RECORDS the oldest go, and the caller is told how many. */
static void test_bounded(void **state)
{
    (void)state;
    uint64_t count = 0, dropped = 0, total_dropped = 0;
    for (unsigned k = 0; k < VR_QUARANTINE_MAX_RECORDS + 5; k++) {
        add(k, &count, &dropped);
        total_dropped += dropped;
    }
    assert_int_equal(count, VR_QUARANTINE_MAX_RECORDS);
    assert_int_equal(total_dropped, 5);
    struct vr_quarantine_entry *e;
    size_t n;
    assert_int_equal(vr_quarantine_load(dir, &e, &n, NULL), 0);
    assert_int_equal(n, VR_QUARANTINE_MAX_RECORDS);
    assert_string_equal(e[0].id, "a1-r5"); /* the five oldest went */
    vr_quarantine_entries_free(e, n);
}

/* A missing directory or file is an empty quarantine, never an error for list or count. */
static void test_empty(void **state)
{
    (void)state;
    uint64_t count = 7;
    assert_int_equal(vr_quarantine_count(dir, &count), 0);
    assert_int_equal(count, 0);
    struct vr_quarantine_entry *e;
    size_t n = 3;
    assert_int_equal(vr_quarantine_load(dir, &e, &n, NULL), 0);
    assert_int_equal(n, 0);
    vr_quarantine_entries_free(e, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_load_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
