/* config.h: a full config gives the right structs; each mistake gives "FILE:LINE: ..." naming
 * the key, the value and the fix, with a suggestion for typos. System headers come before
 * cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "profile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const char good[] = "; a branch office\n"
                           "[agent]\n"
                           "name = br1-agent\n"
                           "site = branch-1\n"
                           "\n"
                           "[collector]\n"
                           "url = https://collector.example:8443/\n"
                           "token = abc123\n"
                           "spool_dir = /tmp/spool\n"
                           "spool_max_mb = 50\n"
                           "insecure = yes\n"
                           "\n"
                           "[target hq]\n"
                           "host = hq.example:5006\n"
                           "classes = audio,video\n"
                           "calls = 2\n"
                           "profile = g711\n"
                           "teams_ports = yes\n"
                           "thresholds = edge\n"
                           "interface = wlan0\n"
                           "\n"
                           "[target dc]\n"
                           "host = [2001:db8::1]\n"
                           "\n"
                           "[schedule morning]\n"
                           "target = hq\n"
                           "calls = 20\n"
                           "window = 09:30-10:00\n"
                           "days = weekdays\n"
                           "\n"
                           "[schedule night]\n"
                           "target = dc\n"
                           "window = 23:00-01:00\n"
                           "days = mon, sat\n"
                           "\n"
                           "[continuous]\n"
                           "interval = 30s\n";

static struct vr_agent_config *parse_ok(const char *text)
{
    struct vr_agent_config *cfg = malloc(sizeof(*cfg));
    struct vr_errbuf eb = {{0}};
    int rc = vr_agent_config_parse(text, "agent.conf", cfg, &eb);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, eb.msg);
    return cfg;
}

/* The message for text must contain each of the NULL-terminated needles. */
static void expect_error(const char *text, ...)
{
    struct vr_agent_config *cfg = malloc(sizeof(*cfg));
    struct vr_errbuf eb = {{0}};
    int rc = vr_agent_config_parse(text, "agent.conf", cfg, &eb);
    va_list ap;
    const char *needle;

    if (rc != VR_EINVAL)
        fail_msg("rc %d for:\n%s", rc, text);
    va_start(ap, text);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (strstr(eb.msg, needle) == NULL)
            fail_msg("message \"%s\" does not contain \"%s\"", eb.msg, needle);
    va_end(ap);
    free(cfg);
}

#define BASE                                                                             \
    "[agent]\nname = a\nsite = s\n[collector]\nurl = http://127.0.0.1:8080\ntoken = t\n" \
    "[target hq]\nhost = 192.0.2.1\n"
/* BASE is 8 lines: the first line after it is line 9 */

static void test_config_parse_full(void **state)
{
    struct vr_agent_config *cfg = parse_ok(good);
    (void)state;

    assert_string_equal(cfg->agent, "br1-agent");
    assert_string_equal(cfg->site, "branch-1");
    assert_string_equal(cfg->url, "https://collector.example:8443");
    assert_string_equal(cfg->token, "abc123");
    assert_string_equal(cfg->spool_dir, "/tmp/spool");
    assert_int_equal(cfg->spool_max_bytes, 50000000);
    assert_true(cfg->insecure);
    assert_true(cfg->continuous);
    assert_int_equal(cfg->continuous_interval_ns, UINT64_C(30000000000));

    assert_int_equal(cfg->n_targets, 2);
    assert_string_equal(cfg->targets[0].name, "hq");
    assert_string_equal(cfg->targets[0].host, "hq.example:5006");
    assert_string_equal(cfg->targets[0].hostname, "hq.example");
    assert_int_equal(cfg->targets[0].port, 5006);
    assert_int_equal(cfg->targets[0].class_mask, (1u << VR_CLASS_AUDIO) | (1u << VR_CLASS_VIDEO));
    assert_int_equal(cfg->targets[0].calls, 2);
    assert_non_null(cfg->targets[0].profile);
    assert_string_equal(cfg->targets[0].profile->name, "g711");
    assert_true(cfg->targets[0].teams_ports);
    assert_string_equal(cfg->targets[0].thr.name, "edge");
    assert_string_equal(cfg->targets[0].interface, "wlan0");
    /* defaults */
    assert_string_equal(cfg->targets[1].hostname, "2001:db8::1");
    assert_int_equal(cfg->targets[1].port, VR_CONFIG_DEFAULT_PORT);
    assert_int_equal(cfg->targets[1].class_mask, (1u << VR_CLASS_COUNT) - 1);
    assert_int_equal(cfg->targets[1].calls, 1);
    assert_null(cfg->targets[1].profile);
    assert_false(cfg->targets[1].teams_ports);
    assert_string_equal(cfg->targets[1].thr.name, "client");
    assert_string_equal(cfg->targets[1].interface, "");

    assert_int_equal(cfg->n_schedules, 2);
    assert_string_equal(cfg->schedules[0].name, "morning");
    assert_int_equal(cfg->schedules[0].target_index, 0);
    assert_int_equal(cfg->schedules[0].calls, 20);
    assert_int_equal(cfg->schedules[0].start_min, 9 * 60 + 30);
    assert_int_equal(cfg->schedules[0].end_min, 10 * 60);
    assert_int_equal(cfg->schedules[0].days, 0x3e);
    assert_int_equal(cfg->schedules[1].target_index, 1);
    assert_int_equal(cfg->schedules[1].days, (1 << 1) | (1 << 6));
    free(cfg);
}

static void test_config_parse_defaults(void **state)
{
    struct vr_agent_config *cfg = parse_ok(BASE);
    (void)state;
    assert_string_equal(cfg->spool_dir, VR_CONFIG_DEFAULT_SPOOL_DIR);
    assert_int_equal(cfg->spool_max_bytes, 100000000);
    assert_true(cfg->continuous);
    assert_int_equal(cfg->continuous_interval_ns, UINT64_C(15000000000));
    assert_false(cfg->insecure);
    assert_int_equal(cfg->n_schedules, 0);
    free(cfg);
}

static void test_config_parse_unknown_key_suggests(void **state)
{
    (void)state;
    expect_error(BASE "callz = 3\n",
                 "agent.conf:9: unknown key \"callz\" (did you mean \"calls\"?)", NULL);
    expect_error("[agent]\nnmae = x\n", "agent.conf:2:", "\"nmae\"", "did you mean \"name\"?",
                 NULL);
    expect_error(BASE "[collector]\nspool_max = 3\n",
                 "agent.conf:10:", "did you mean \"spool_max_mb\"?", NULL);
    expect_error(BASE "[collector]\nzzzzzzzzzz = 3\n", "agent.conf:10:", "\"zzzzzzzzzz\"",
                 "known keys: url, token", NULL);
}

static void test_config_parse_unknown_section_suggests(void **state)
{
    (void)state;
    expect_error(BASE "[colector]\nurl = http://x\n", "agent.conf:10:", "[colector]",
                 "did you mean [collector]?", NULL);
    expect_error(BASE "[targets x]\nhost = y\n", "agent.conf:10:", "did you mean [target NAME]?",
                 NULL);
    expect_error(BASE "[target]\nhost = y\n", "agent.conf:10:", "[target] needs a name", NULL);
    expect_error(BASE "[agent x]\nname = y\n", "agent.conf:10:", "takes no name", NULL);
    expect_error("name = x\n" BASE, "agent.conf:1:", "outside a section", NULL);
}

static void test_config_parse_bad_values(void **state)
{
    (void)state;
    expect_error(BASE "calls = 0\n", "agent.conf:9:", "calls", NULL);
    expect_error(BASE "classes = voice\n", "agent.conf:9:", "voice", NULL);
    expect_error(BASE "profile = opus\n", "agent.conf:9:", "opus", "expected one of", NULL);
    expect_error(BASE "thresholds = strict\n", "agent.conf:9:", "strict", NULL);
    expect_error(BASE "teams_ports = maybe\n", "agent.conf:9:", "expected yes or no", NULL);
    expect_error(BASE "host = [::1\n", "agent.conf:9:", NULL);
    expect_error(BASE "interface = a-name-of-16-chr\n",
                 "agent.conf:9:", "interface \"a-name-of-16-chr\"", "1 to 15 characters", NULL);
    expect_error(BASE "interface = ../eth0\n", "agent.conf:9:", "without '/'", NULL);
    expect_error(BASE "interface = eth0:1\n", "agent.conf:9:", "eth0:1", NULL);
    expect_error(BASE "interface = ..\n", "agent.conf:9:", "interface", NULL);
    expect_error(BASE "interfce = eth0\n", "agent.conf:9:", "did you mean \"interface\"?", NULL);
    expect_error(BASE "[collector]\nurl = ftp://x\n", "agent.conf:10:", "expected http://", NULL);
    expect_error(BASE "[collector]\ntoken = a b\n", "agent.conf:10:", "token", NULL);
    expect_error(BASE "[collector]\ntoken = PASTE-THE-TOKEN-FROM-voiceready-collector-token-add\n",
                 "agent.conf:10:", "placeholder of agent.conf.example",
                 "token add --config /etc/voiceready/collector.conf --site s`", NULL);
    expect_error(BASE "[collector]\ntoken =\n", "agent.conf:10:", "token", NULL);
    expect_error(BASE "[collector]\nca_file = /nonexistent/ca.pem\n",
                 "agent.conf:10:", "/nonexistent/ca.pem", NULL);
    expect_error(BASE "[collector]\nspool_max_mb = lots\n", "agent.conf:10:", "spool_max_mb", NULL);
    expect_error(BASE "[continuous]\ninterval = 10x\n", "agent.conf:10:", "10x", NULL);
    expect_error(BASE "[continuous]\ninterval = 100ms\n", "agent.conf:10:", "1s to 1h", NULL);
    expect_error(BASE "[agent]\nsite = a/b\n", "agent.conf:10:", "letters, digits", NULL);
    expect_error(BASE "[schedule s]\ntarget = hq\nwindow = 9:30-10:00\n",
                 "agent.conf:11:", "HH:MM-HH:MM", NULL);
    expect_error(BASE "[schedule s]\ntarget = hq\nwindow = 10:00-10:00\n", "agent.conf:11:", NULL);
    expect_error(BASE "[schedule s]\ntarget = hq\nwindow = 09:00-10:00\ndays = funday\n",
                 "agent.conf:12:", "funday", "weekdays", NULL);
    expect_error(BASE "this is not ini\n", "agent.conf:9:", "key = value", NULL);
    expect_error(BASE "[unterminated\n", "agent.conf:9:", NULL);
}

static void test_config_parse_missing(void **state)
{
    (void)state;
    expect_error("[agent]\nsite = s\n", "agent.conf:", "name", NULL);
    expect_error("[agent]\nname = a\nsite = s\n", "[collector] needs url", NULL);
    expect_error("[agent]\nname = a\nsite = s\n[collector]\nurl = http://x\n",
                 "[collector] needs token",
                 "token add --config /etc/voiceready/collector.conf --site s", NULL);
    expect_error("[agent]\nname = a\nsite = s\n[collector]\nurl = http://x\ntoken = t\n",
                 "no [target NAME]", NULL);
    expect_error(BASE "[target dc]\ncalls = 2\n", "agent.conf:10:", "[target dc] needs host", NULL);
    expect_error(BASE "[schedule s]\ntarget = hqq\nwindow = 09:00-10:00\n",
                 "agent.conf:10:", "no [target hqq]", "did you mean \"hq\"?", NULL);
    expect_error(BASE "[schedule s]\ntarget = hq\n", "agent.conf:10:", "needs window", NULL);
}

static void test_config_parse_long_line(void **state)
{
    char text[1024];
    char pad[400];
    (void)state;
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(text, sizeof(text), BASE "[collector]\ntoken = %s\n", pad);
    expect_error(text, "agent.conf:10:", "line too long", NULL);
}

static void test_config_load_file(void **state)
{
    char path[] = "/tmp/vr-config-XXXXXX";
    struct vr_agent_config *cfg = malloc(sizeof(*cfg));
    struct vr_errbuf eb = {{0}};
    int fd = mkstemp(path);
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(BASE "[target dc]\nhost = dc.example\ncalss = audio\n", f);
    fclose(f);
    assert_int_equal(vr_agent_config_load(path, cfg, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, path));
    assert_non_null(strstr(eb.msg, ":11: unknown key \"calss\" (did you mean \"calls\"?)"));
    assert_non_null(strstr(eb.msg, "did you mean \"calls\"?"));
    unlink(path);
    assert_true(vr_agent_config_load(path, cfg, &eb) < 0);
    assert_non_null(strstr(eb.msg, "cannot open"));
    /* endless input ends with an error (common/inifile.h) */
    assert_int_equal(vr_agent_config_load("/dev/zero", cfg, &eb), VR_EINVAL);
    assert_string_equal(eb.msg, "/dev/zero:1: NUL byte: expected a text file");
    free(cfg);
}

static void test_config_schedule_active(void **state)
{
    struct vr_agent_config *cfg = parse_ok(good);
    struct tm tm = {0};
    (void)state;

    tm.tm_wday = 2; /* Tuesday */
    tm.tm_hour = 9;
    tm.tm_min = 29;
    assert_false(vr_agent_config_schedule_active(&cfg->schedules[0], &tm));
    tm.tm_min = 30;
    assert_true(vr_agent_config_schedule_active(&cfg->schedules[0], &tm));
    tm.tm_hour = 10;
    tm.tm_min = 0;
    assert_false(vr_agent_config_schedule_active(&cfg->schedules[0], &tm));
    tm.tm_wday = 0; /* Sunday: not a weekday */
    tm.tm_hour = 9;
    tm.tm_min = 45;
    assert_false(vr_agent_config_schedule_active(&cfg->schedules[0], &tm));

    /* 23:00-01:00 on mon and sat: Sunday 00:30 belongs to Saturday's window */
    tm.tm_hour = 0;
    tm.tm_min = 30;
    assert_true(vr_agent_config_schedule_active(&cfg->schedules[1], &tm));
    tm.tm_wday = 1; /* Monday 00:30 belongs to Sunday's: off */
    assert_false(vr_agent_config_schedule_active(&cfg->schedules[1], &tm));
    tm.tm_hour = 23;
    assert_true(vr_agent_config_schedule_active(&cfg->schedules[1], &tm));
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_parse_full),
        cmocka_unit_test(test_config_parse_defaults),
        cmocka_unit_test(test_config_parse_unknown_key_suggests),
        cmocka_unit_test(test_config_parse_unknown_section_suggests),
        cmocka_unit_test(test_config_parse_bad_values),
        cmocka_unit_test(test_config_parse_missing),
        cmocka_unit_test(test_config_parse_long_line),
        cmocka_unit_test(test_config_load_file),
        cmocka_unit_test(test_config_schedule_active),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
