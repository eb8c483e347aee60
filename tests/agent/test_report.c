/* report.h: vr_report_ms scales times as irtt does (3 significant digits in ns, µs, ms or s),
 * pads by terminal columns, and never shows a small time as "0.0 ms". System headers come
 * before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void expect_ms(double ms, int width, const char *want)
{
    char buf[VR_REPORT_MS_LEN];
    const char *got = vr_report_ms(ms, width, buf, sizeof(buf));
    if (got != buf || strcmp(buf, want) != 0)
        fail_msg("vr_report_ms(%g, %d) = \"%s\", want \"%s\"", ms, width, buf, want);
}

static void test_report_ms_scales_units(void **state)
{
    (void)state;
    expect_ms(0.0873, 0, "87.3µs");
    expect_ms(1.2408, 0, "1.24ms");
    expect_ms(12.34, 0, "12.3ms");
    expect_ms(123.4, 0, "123ms");
    expect_ms(1500, 0, "1.50s");
    expect_ms(0.00087, 0, "870ns");
    expect_ms(0.000012, 0, "12.0ns");
    expect_ms(0.05, 0, "50.0µs");
    expect_ms(7200000, 0, "7200s");
}

static void test_report_ms_rounds_into_next_unit(void **state)
{
    (void)state;
    expect_ms(0.99996, 0, "1.00ms"); /* not "1000µs" */
    expect_ms(999.7, 0, "1.00s");
    expect_ms(9.996, 0, "10.0ms");
    expect_ms(99.96, 0, "100ms");
}

static void test_report_ms_special_values(void **state)
{
    (void)state;
    expect_ms(0, 0, "0s");
    expect_ms(NAN, 0, "-");
    expect_ms(-1, 0, "-");
}

static void test_report_ms_pads_by_columns(void **state)
{
    (void)state;
    expect_ms(0.0873, 8, "  87.3µs"); /* 6 columns, 7 bytes */
    expect_ms(12.34, 8, "  12.3ms");
    expect_ms(0.0873, -8, "87.3µs  ");
    expect_ms(NAN, 3, "  -");
    expect_ms(123.4, 2, "123ms"); /* never cut */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_ms_scales_units),
        cmocka_unit_test(test_report_ms_rounds_into_next_unit),
        cmocka_unit_test(test_report_ms_special_values),
        cmocka_unit_test(test_report_ms_pads_by_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
