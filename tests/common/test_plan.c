/* plan.h: planned peak calls, growth, bandwidth per direction and the capacity rule, against
 * values computed by hand (shown next to each assertion). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static void issue_example(void **state)
{
    (void)state;
    struct vr_plan_input in;
    struct vr_plan p;
    struct vr_errbuf eb = {{0}};
    vr_plan_input_init(&in);
    in.users = 250;
    in.concurrency_cpct = 1500; /* 15 % */
    in.growth_cpct = 1000;      /* 10 % */
    in.mix[VR_PLAN_AUDIO] = 1.0;
    in.mix[VR_PLAN_VIDEO] = 0.3;
    in.mix[VR_PLAN_SHARING] = 0.1;
    assert_int_equal(vr_plan_compute(&in, &p, &eb), 0);
    assert_true(p.from_users);
    assert_int_equal(p.peak_calls, 38);    /* 250 x 0.15 = 37.5 -> 38 */
    assert_int_equal(p.planned_calls, 42); /* 38 x 1.1 = 41.8 -> 42 */
    /* per call: 30 k + 0.3 x 1,200 k + 0.1 x 100 k = 400 kbit/s per direction */
    assert_near(p.mod_bps[VR_PLAN_AUDIO], 42 * 30000.0, 1e-6);          /* 1.26 Mbit/s */
    assert_near(p.mod_bps[VR_PLAN_VIDEO], 42 * 0.3 * 1200000.0, 1e-3);  /* 15.12 Mbit/s */
    assert_near(p.mod_bps[VR_PLAN_SHARING], 42 * 0.1 * 100000.0, 1e-3); /* 0.42 Mbit/s */
    assert_near(p.bps_planned, 16800000.0, 1e-3);
    assert_near(p.bps_peak, 15200000.0, 1e-3); /* 38 x 400 k */
}

static void exact_products(void **state)
{
    (void)state;
    struct vr_plan_input in;
    struct vr_plan p;
    vr_plan_input_init(&in);
    in.peak_calls = 40; /* direct figure */
    in.growth_cpct = 1000;
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_false(p.from_users);
    assert_int_equal(p.peak_calls, 40);
    assert_int_equal(p.planned_calls, 44); /* 40 x 1.1 = 44 exactly; a double would give 45 */
    assert_near(p.bps_planned, 44 * 30000.0, 1e-6); /* audio only by default */

    vr_plan_input_init(&in);
    in.users = 100;
    in.concurrency_cpct = 1000; /* 10 -> exactly 10, no rounding up */
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(p.peak_calls, 10);
    assert_int_equal(p.planned_calls, 10);

    in.users = 1;
    in.concurrency_cpct = 1; /* 0.01 % of one user still plans one call */
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(p.peak_calls, 1);

    in.users = 1000;
    in.concurrency_cpct = 1250; /* 12.5 % = 125 */
    in.peak_calls = 7;          /* the direct figure wins */
    in.growth_cpct = 2550;      /* 7 x 1.255 = 8.785 -> 9 */
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(p.peak_calls, 7);
    assert_int_equal(p.planned_calls, 9);
}

static void invalid_inputs(void **state)
{
    (void)state;
    struct vr_plan_input in;
    struct vr_plan p;
    struct vr_errbuf eb = {{0}};
    vr_plan_input_init(&in);
    assert_int_equal(vr_plan_compute(&in, &p, &eb), VR_EINVAL); /* nothing planned */
    assert_non_null(strstr(eb.msg, "users"));
    in.users = 10; /* users without concurrency is not a plan */
    assert_false(vr_plan_input_valid(&in));
    in.concurrency_cpct = 10001;
    assert_int_equal(vr_plan_compute(&in, &p, &eb), VR_EINVAL);
    in.concurrency_cpct = 100;
    in.mix[VR_PLAN_VIDEO] = 1.5;
    assert_int_equal(vr_plan_compute(&in, &p, &eb), VR_EINVAL);
}

static void parse_pct(void **state)
{
    (void)state;
    uint32_t v = 0;
    struct vr_errbuf eb = {{0}};
    assert_int_equal(vr_plan_parse_pct("15%", "--concurrency", 10000, &v, &eb), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(vr_plan_parse_pct("12.5 %", "x", 10000, &v, &eb), 0);
    assert_int_equal(v, 1250);
    assert_int_equal(vr_plan_parse_pct("0.01", "x", 10000, &v, &eb), 0);
    assert_int_equal(v, 1);
    assert_int_equal(vr_plan_parse_pct("100", "x", 10000, &v, &eb), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(vr_plan_parse_pct("101%", "--concurrency", 10000, &v, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "--concurrency \"101%\""));
    const char *bad[] = {"", "%", "abc", "1.234", "15%%", "-5", "1e2", "15 percent"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vr_plan_parse_pct(bad[i], "x", 10000, &v, NULL), VR_EINVAL);
}

static void parse_mix(void **state)
{
    (void)state;
    double m[VR_PLAN_N_MOD];
    struct vr_errbuf eb = {{0}};
    char buf[64];
    assert_int_equal(vr_plan_parse_mix("audio=1,video=0.3,sharing=0.1", "--mix", m, &eb), 0);
    assert_near(m[0], 1.0, 1e-12);
    assert_near(m[1], 0.3, 1e-12);
    assert_near(m[2], 0.1, 1e-12);
    vr_plan_format_mix(m, buf, sizeof(buf));
    assert_string_equal(buf, "audio=1,video=0.3,sharing=0.1");
    assert_int_equal(vr_plan_parse_mix("video=0.5", "--mix", m, &eb), 0);
    assert_near(m[0], 0.0, 1e-12); /* classes not named are 0 */
    assert_near(m[1], 0.5, 1e-12);
    const char *bad[] = {"",         "audio",           "audio=",       "audio=2",        "voice=1",
                         "audio=1,", "audio=1,audio=1", "audio=0.0001", "audio=1;video=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vr_plan_parse_mix(bad[i], "--mix", m, &eb), VR_EINVAL);
    assert_int_equal(vr_plan_parse_mix("voice=1", "--mix", m, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "audio=1,video=0.3,sharing=0.1"));
}

static void capacity_rule(void **state)
{
    (void)state;
    struct vr_plan_input in;
    struct vr_plan p;
    char why[160];
    vr_plan_input_init(&in);
    in.peak_calls = 22;
    in.growth_cpct = 1000; /* 22 x 1.1 = 24.2 -> 25 */
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(p.planned_calls, 25);
    /* below planned */
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, true, 18, why, sizeof(why)),
                     VR_CAPACITY_NOT_READY);
    assert_string_equal(why, "capacity 18 calls < planned peak 25 (+10 % growth)");
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, true, 24, why, sizeof(why)),
                     VR_CAPACITY_NOT_READY);
    /* within 20 %: 25 .. 29 (25 x 1.2 = 30) */
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, true, 25, why, sizeof(why)),
                     VR_CAPACITY_AT_RISK);
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, true, 29, why, sizeof(why)),
                     VR_CAPACITY_AT_RISK);
    assert_non_null(strstr(why, "within 20 %"));
    /* at or above planned x 1.2 */
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, true, 30, why, sizeof(why)),
                     VR_CAPACITY_READY);
    /* a plan but nothing measured: At risk, says so */
    assert_int_equal(vr_plan_judge(&p, in.growth_cpct, false, 0, why, sizeof(why)),
                     VR_CAPACITY_NOT_MEASURED);
    assert_string_equal(why, "capacity not measured (planned peak 25 (+10 % growth))");
    assert_int_equal(vr_capacity_status_level(VR_CAPACITY_NOT_MEASURED), 1);
    /* no plan: the rule does not apply */
    assert_int_equal(vr_plan_judge(NULL, 0, true, 3, why, sizeof(why)), VR_CAPACITY_NO_PLAN);
    assert_string_equal(why, "no plan");
    assert_int_equal(vr_capacity_status_level(VR_CAPACITY_NO_PLAN), 0);
    /* without growth, no growth in the text; 0 calls is a measurement (even one call failed) */
    in.growth_cpct = 0;
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(vr_plan_judge(&p, 0, true, 0, why, sizeof(why)), VR_CAPACITY_NOT_READY);
    assert_string_equal(why, "capacity 0 calls < planned peak 22");
    assert_string_equal(vr_capacity_status_name(VR_CAPACITY_AT_RISK), "at_risk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(issue_example),  cmocka_unit_test(exact_products),
        cmocka_unit_test(invalid_inputs), cmocka_unit_test(parse_pct),
        cmocka_unit_test(parse_mix),      cmocka_unit_test(capacity_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
