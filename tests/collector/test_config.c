/* Tests of collector/config.h: the collector's INI file. Temp files under /tmp, removed after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include <cmocka.h>

static char path[64];

static int write_conf(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/vr-test-config-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int remove_conf(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void put(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_config_init_defaults(void **state)
{
    (void)state;
    struct vr_config cfg;
    vr_config_init(&cfg);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.db, "./voiceready.db");
    assert_int_equal(cfg.max_body, 4u << 20);
    assert_int_equal(cfg.n_sites, 0);
    struct vr_thresholds t;
    vr_config_thresholds(&cfg, "any", &t);
    assert_string_equal(t.name, "client");
    vr_config_free(&cfg);
}

static void test_config_load_reads_server_and_sites(void **state)
{
    (void)state;
    put("[server]\nlisten = [::]:9000\ndb = /var/lib/vr.db\nmax_body = 65536\n"
        "tls_cert = c.pem\ntls_key = k.pem\nretention_days = 7\n\n"
        "[site hq]\nthresholds = edge\nplanned_peak_calls = 40\n\n[site branch]\n"
        "planned_peak_calls = 5\n");
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    vr_config_init(&cfg);
    assert_int_equal(vr_config_load(&cfg, path, &eb), 0);
    assert_string_equal(cfg.listen, "[::]:9000");
    assert_string_equal(cfg.db, "/var/lib/vr.db");
    assert_int_equal(cfg.max_body, 65536);
    assert_string_equal(cfg.tls_cert, "c.pem");
    assert_string_equal(cfg.tls_key, "k.pem");
    assert_int_equal(cfg.retention_days, 7);
    assert_int_equal(cfg.n_sites, 2);
    const struct vr_config_site *hq = vr_config_site(&cfg, "hq");
    assert_non_null(hq);
    assert_string_equal(hq->thresholds.name, "edge");
    assert_int_equal(hq->planned_peak_calls, 40);
    struct vr_thresholds t;
    vr_config_thresholds(&cfg, "branch", &t);
    assert_string_equal(t.name, "client");
    assert_null(vr_config_site(&cfg, "nowhere"));
    vr_config_free(&cfg);
}

static void test_config_load_rejects_unknown_key_with_suggestion(void **state)
{
    (void)state;
    put("[server]\nlisten = 127.0.0.1:1\n\n[site hq]\nthresolds = edge\n");
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    char want[160];
    vr_config_init(&cfg);
    assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
    snprintf(want, sizeof(want), "%s:5: unknown key \"thresolds\" (did you mean \"thresholds\"?)",
             path);
    assert_string_equal(eb.msg, want);
    vr_config_free(&cfg);
}

static void test_config_load_reports_first_error_line(void **state)
{
    (void)state;
    put("[server]\nmax_bdy = 1\nlisen = x\n");
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    char want[160];
    vr_config_init(&cfg);
    assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
    snprintf(want, sizeof(want), "%s:2: unknown key \"max_bdy\" (did you mean \"max_body\"?)",
             path);
    assert_string_equal(eb.msg, want);
    vr_config_free(&cfg);
}

static void test_config_load_rejects_bad_values(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[site hq]\nthresholds = strict\n",
        "[server]\nmax_body = 12\n",
        "[site hq]\nplanned_peak_calls = -3\n",
        "[clients]\nx = 1\n",
        "no section line\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put(bad[i]);
        struct vr_config cfg;
        struct vr_errbuf eb = {{0}};
        vr_config_init(&cfg);
        assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
        assert_non_null(strstr(eb.msg, path));
        vr_config_free(&cfg);
    }
}

static void test_config_load_reads_silent_after(void **state)
{
    (void)state;
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    vr_config_init(&cfg);
    assert_true(cfg.silent_after_ns == 300000000000ull); /* 5 minutes by default */
    assert_true(vr_config_silent_after(&cfg, "any") == 300000000000ull);
    put("[server]\nsilent_after = 2h\n[site hq]\nsilent_after = 10m\n[site lab]\nusers = 5\n"
        "peak_concurrency_pct = 10\n");
    if (vr_config_load(&cfg, path, &eb) != 0)
        fail_msg("%s", eb.msg);
    assert_true(cfg.silent_after_ns == 7200000000000ull);
    assert_true(vr_config_silent_after(&cfg, "hq") == 600000000000ull);
    assert_true(vr_config_silent_after(&cfg, "lab") == 7200000000000ull);
    assert_true(vr_config_silent_after(&cfg, "unconfigured") == 7200000000000ull);
    vr_config_free(&cfg);
    static const char *const bad[] = {"[server]\nsilent_after = 5x\n",
                                      "[server]\nsilent_after = 1s\n",
                                      "[site hq]\nsilent_after = 90d\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put(bad[i]);
        vr_config_init(&cfg);
        assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
        assert_non_null(strstr(eb.msg, "silent_after"));
        vr_config_free(&cfg);
    }
}

static void test_config_load_reads_plan(void **state)
{
    (void)state;
    put("[site hq]\nusers = 250\npeak_concurrency_pct = 15%\nmix = audio=1,video=0.3,sharing=0.1\n"
        "growth_pct = 10\n\n[site depot]\nplanned_peak_calls = 12\n\n[site bare]\n"
        "thresholds = edge\n");
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    struct vr_plan_input in;
    struct vr_plan p;
    vr_config_init(&cfg);
    assert_int_equal(vr_config_load(&cfg, path, &eb), 0);
    assert_true(vr_config_plan(&cfg, "hq", &in));
    assert_int_equal(in.users, 250);
    assert_int_equal(in.concurrency_cpct, 1500);
    assert_int_equal(in.growth_cpct, 1000);
    assert_true(in.mix[VR_PLAN_VIDEO] > 0.2999 && in.mix[VR_PLAN_VIDEO] < 0.3001);
    assert_int_equal(vr_plan_compute(&in, &p, NULL), 0);
    assert_int_equal(p.planned_calls, 42); /* ceil(ceil(37.5) x 1.1) */
    assert_true(vr_config_plan(&cfg, "depot", &in));
    assert_int_equal(in.peak_calls, 12);
    assert_int_equal(in.mix[VR_PLAN_AUDIO], 1); /* default mix: audio only */
    assert_false(vr_config_plan(&cfg, "bare", &in));
    assert_false(vr_config_plan(&cfg, "nowhere", &in));
    vr_config_free(&cfg);
}

static void test_config_load_rejects_bad_plan(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[site hq]\nusers = 250\n", "users needs peak_concurrency_pct"},
        {"[site hq]\npeak_concurrency_pct = 15\n", "peak_concurrency_pct needs users"},
        {"[site hq]\nusers = 0\n", "users"},
        {"[site hq]\npeak_concurrency_pct = 120%\n", ":2: peak_concurrency_pct \"120%\""},
        {"[site hq]\npeak_concurrency_pct = 0\n", "more than 0"},
        {"[site hq]\ngrowth_pct = lots\n", "growth_pct"},
        {"[site hq]\nmix = audio=1,voice=1\n", ":2: mix"},
        {"[site hq]\nmix = video=1.5\n", "video"},
        {"[site hq]\nuser = 5\n", "did you mean \"users\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put(bad[i].text);
        struct vr_config cfg;
        struct vr_errbuf eb = {{0}};
        vr_config_init(&cfg);
        assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
        if (strstr(eb.msg, bad[i].want) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, eb.msg, bad[i].want);
        vr_config_free(&cfg);
    }
}

static void test_config_load_missing_file_names_it(void **state)
{
    (void)state;
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    vr_config_init(&cfg);
    assert_true(vr_config_load(&cfg, "/nonexistent/collector.conf", &eb) < 0);
    assert_non_null(strstr(eb.msg, "/nonexistent/collector.conf"));
    vr_config_free(&cfg);
}

/* The agent's rules (common/inifile.h): an over-long line is refused at its line, never split
 * into a second "line"; endless input ends with an error. */
static void test_config_load_refuses_long_line_and_endless_input(void **state)
{
    (void)state;
    char text[400], want[200];
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    snprintf(text, sizeof(text), "[server]\ndb = /var/lib/%0250d\n", 7);
    put(text);
    vr_config_init(&cfg);
    assert_int_equal(vr_config_load(&cfg, path, &eb), VR_EINVAL);
    snprintf(want, sizeof(want), "%s:2: line too long (at most 197 characters)", path);
    assert_string_equal(eb.msg, want);
    assert_int_equal(vr_config_load(&cfg, "/dev/zero", &eb), VR_EINVAL);
    assert_string_equal(eb.msg, "/dev/zero:1: NUL byte: expected a text file");
    vr_config_free(&cfg);
}

/* The example shipped in packaging/ loads as it is, inline comments and all. */
static void test_config_loads_shipped_example(void **state)
{
    (void)state;
    struct vr_config cfg;
    struct vr_errbuf eb = {{0}};
    vr_config_init(&cfg);
    int rc = vr_config_load(&cfg, VR_SOURCE_DIR "/packaging/collector.conf.example", &eb);
    if (rc != 0)
        fail_msg("%s", eb.msg);
    assert_int_equal(cfg.max_body, 4194304);
    assert_int_equal(cfg.n_sites, 1);
    assert_string_equal(cfg.sites[0].name, "branch-lyon");
    assert_int_equal(cfg.sites[0].planned_peak_calls, 24);
    vr_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_init_defaults),
        cmocka_unit_test_setup_teardown(test_config_load_reads_server_and_sites, write_conf,
                                        remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_rejects_unknown_key_with_suggestion,
                                        write_conf, remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_reports_first_error_line, write_conf,
                                        remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_rejects_bad_values, write_conf,
                                        remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_reads_silent_after, write_conf,
                                        remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_reads_plan, write_conf, remove_conf),
        cmocka_unit_test_setup_teardown(test_config_load_rejects_bad_plan, write_conf, remove_conf),
        cmocka_unit_test(test_config_load_missing_file_names_it),
        cmocka_unit_test_setup_teardown(test_config_load_refuses_long_line_and_endless_input,
                                        write_conf, remove_conf),
        cmocka_unit_test(test_config_loads_shipped_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
