/* inifile.h: the one INI grammar (sections, comments, CRLF), its bounds (line length, NUL,
 * file size, line count), the did-you-mean rule and the FILE:LINE message. System headers
 * come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "inifile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const char *const plain_keys[] = {"name", "site", NULL};
static const char *const target_keys[] = {"host", "calls", "dscp_audio", NULL};
static const struct vr_inifile_section sections[] = {
    {"agent", false, plain_keys},
    {"target", true, target_keys},
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* What the callback saw, one line per entry: "LINE SECTION/INSTANCE[*] key=value". */
struct seen {
    char log[2048];
    const char *refuse; /* a value the callback refuses */
};

static int on_entry(void *arg, const struct vr_inifile_entry *e, struct vr_errbuf *eb)
{
    struct seen *s = arg;
    size_t at = strlen(s->log);

    if (s->refuse != NULL && strcmp(e->value, s->refuse) == 0)
        return vr_errbuf_set(eb, VR_EINVAL, "%s \"%s\": expected 1 to 1000", e->key, e->value);
    snprintf(s->log + at, sizeof(s->log) - at, "%u %s/%s%s %s=%s\n", e->line,
             sections[e->section].name, e->instance, e->first ? "*" : "", e->key, e->value);
    return 0;
}

static int parse(const char *text, struct seen *s, struct vr_errbuf *eb)
{
    memset(s->log, 0, sizeof(s->log));
    return vr_inifile_parse_text(text, "agent.conf", sections, N_SECTIONS, on_entry, s, eb);
}

static void expect_ok(const char *text, const char *log)
{
    struct seen s = {.refuse = NULL};
    struct vr_errbuf eb = {{0}};
    int rc = parse(text, &s, &eb);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, eb.msg);
    assert_string_equal(s.log, log);
}

static void expect_msg(const char *text, const char *msg)
{
    struct seen s = {.refuse = "0"};
    struct vr_errbuf eb = {{0}};
    assert_int_equal(parse(text, &s, &eb), VR_EINVAL);
    assert_string_equal(eb.msg, msg);
}

/* A temporary file holding len bytes of data. */
static void write_file(char *path, const void *data, size_t len)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static int parse_file(const char *path, struct vr_errbuf *eb)
{
    struct seen s = {.refuse = NULL};
    return vr_inifile_parse(path, sections, N_SECTIONS, on_entry, &s, eb);
}

static void test_inifile_parse_sections_and_keys(void **state)
{
    (void)state;
    expect_ok("[agent]\nname = a\nsite=s\n\n[target hq]\nhost = h:5004\ncalls = 2\n"
              "[target dc]\nhost = d\n[target hq]\ncalls = 3\n",
              "2 agent/* name=a\n3 agent/ site=s\n6 target/hq* host=h:5004\n"
              "7 target/hq calls=2\n9 target/dc* host=d\n11 target/hq* calls=3\n");
    /* an empty value is the callback's to judge; a UTF-8 BOM is skipped */
    expect_ok("\xef\xbb\xbf[agent]\nname =\n", "2 agent/* name=\n");
    /* blanks around the section name and between kind and NAME */
    expect_ok("[ target   hq ]\nhost = h\n", "2 target/hq* host=h\n");
}

static void test_inifile_parse_comments(void **state)
{
    (void)state;
    expect_ok("# a comment\n; another\n[agent]   # why\nname = a   # inline\n"
              "site = s\t; inline too\n",
              "4 agent/* name=a\n5 agent/ site=s\n");
    /* '#' inside a value, not after a blank, is part of it */
    expect_ok("[target x]\nhost = https://h/#frag\n", "2 target/x* host=https://h/#frag\n");
    /* an indented line is a line like any other, not a continuation of the last value */
    expect_ok("[agent]\nname = a\n    site = s\n        # indented comment\n",
              "2 agent/* name=a\n3 agent/ site=s\n");
}

static void test_inifile_parse_crlf(void **state)
{
    (void)state;
    expect_ok("[agent]\r\nname = a\r\nsite = s # c\r\n\r\n", "2 agent/* name=a\n3 agent/ site=s\n");
}

static void test_inifile_parse_long_line(void **state)
{
    char text[600], fits[VR_INIFILE_MAX_LINE + 1], want[300];
    struct seen s = {.refuse = NULL};
    struct vr_errbuf eb = {{0}};
    (void)state;

    /* "host = " and a value: exactly the limit passes, also with CRLF; one more is refused */
    memset(fits, 'x', sizeof(fits) - 1);
    fits[sizeof(fits) - 1] = '\0';
    memcpy(fits, "host = ", 7);
    snprintf(text, sizeof(text), "[target a]\n%s\r\n", fits);
    assert_int_equal(parse(text, &s, &eb), 0);
    assert_int_equal(strlen(s.log), strlen("2 target/a* host=") + VR_INIFILE_MAX_LINE - 7 + 1);
    snprintf(text, sizeof(text), "[target a]\n%sx\ncalls = 0\n", fits);
    snprintf(want, sizeof(want), "agent.conf:2: line too long (at most %d characters)",
             VR_INIFILE_MAX_LINE);
    expect_msg(text, want);
    /* a long comment line too: never cut into a second line */
    snprintf(text, sizeof(text), "[agent]\n#%s%s\n", fits, fits);
    expect_msg(text, want);
    /* libinih keeps 49 characters of a section name: a longer header is refused, not cut */
    expect_msg("[target a-name-long-enough-to-be-cut-by-libinih-at-49]\nhost = h\n",
               "agent.conf:1: section header too long (at most 49 characters between [ and ])");
}

static void test_inifile_parse_control_bytes(void **state)
{
    static const char data[] = "[agent]\nname = a\0b\nsite = s\n";
    char path[] = "/tmp/vr-inifile-XXXXXX";
    struct vr_errbuf eb = {{0}};
    char want[200];
    (void)state;

    write_file(path, data, sizeof(data) - 1);
    assert_int_equal(parse_file(path, &eb), VR_EINVAL);
    snprintf(want, sizeof(want), "%s:2: NUL byte: expected a text file", path);
    assert_string_equal(eb.msg, want);
    unlink(path);
    /* other control characters too, and a CR that does not end the line */
    expect_msg("[agent]\nname = a\x1b[2J\n",
               "agent.conf:2: control character 0x1b: expected a text file");
    expect_msg("[agent]\nname = a\rsite = s\n",
               "agent.conf:2: control character 0x0d: expected a text file");
}

static void test_inifile_parse_endless_input(void **state)
{
    char path[] = "/tmp/vr-inifile-XXXXXX", want[200];
    struct vr_errbuf eb = {{0}};
    size_t len;
    char *big;
    (void)state;

    /* /dev/zero: refused at its first byte instead of read for ever */
    assert_int_equal(parse_file("/dev/zero", &eb), VR_EINVAL);
    assert_string_equal(eb.msg, "/dev/zero:1: NUL byte: expected a text file");

    /* blank lines past the line bound */
    len = VR_INIFILE_MAX_LINES + 10;
    big = malloc(len);
    assert_non_null(big);
    memset(big, '\n', len);
    write_file(path, big, len);
    assert_int_equal(parse_file(path, &eb), VR_EINVAL);
    snprintf(want, sizeof(want), "%s:%u: more than %u lines; is this the config file?", path,
             VR_INIFILE_MAX_LINES + 1, VR_INIFILE_MAX_LINES);
    assert_string_equal(eb.msg, want);
    unlink(path);
    free(big);

    /* long comment lines past the size bound */
    len = VR_INIFILE_MAX_BYTES + 100;
    big = malloc(len);
    assert_non_null(big);
    for (size_t i = 0; i < len; i++)
        big[i] = i % 100 == 0 ? '#' : i % 100 == 99 ? '\n' : 'c';
    strcpy(path, "/tmp/vr-inifile-XXXXXX");
    write_file(path, big, len);
    assert_int_equal(parse_file(path, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "file too large (at most 1048576 bytes)"));
    assert_true(strncmp(eb.msg, path, strlen(path)) == 0);
    unlink(path);
    free(big);
}

static void test_inifile_parse_unknown_names(void **state)
{
    (void)state;
    expect_msg("[target hq]\ndscp_audo = 46\n",
               "agent.conf:2: unknown key \"dscp_audo\" (did you mean \"dscp_audio\"?)");
    expect_msg("[agent]\nzzzzzzzz = 1\n",
               "agent.conf:2: unknown key \"zzzzzzzz\" in [agent] (known keys: name, site)");
    expect_msg("[agnet]\nname = a\n",
               "agent.conf:2: unknown section [agnet] (did you mean [agent]?)");
    expect_msg("[targets x]\nhost = h\n",
               "agent.conf:2: unknown section [targets x] (did you mean [target NAME]?)");
    expect_msg("[nothing]\nx = 1\n",
               "agent.conf:2: unknown section [nothing]; expected [agent] or [target NAME]");
    expect_msg("[target]\nhost = h\n", "agent.conf:2: [target] needs a name, e.g. [target hq]");
    expect_msg("[target a/b]\nhost = h\n",
               "agent.conf:2: [target a/b]: use 1 to 63 letters, digits, '.', '_' or '-' in the "
               "name");
    expect_msg("[agent x]\nname = a\n", "agent.conf:2: [agent x] takes no name; write [agent]");
    expect_msg("name = a\n[agent]\n",
               "agent.conf:1: key \"name\" outside a section; put it under [agent] or "
               "[target NAME]");
}

static void test_inifile_parse_reports_first_problem(void **state)
{
    (void)state;
    /* the callback's message gets FILE:LINE; parsing stops at the first problem */
    expect_msg("[target a]\nhost = h\ncalls = 0\nnope = 1\n",
               "agent.conf:3: calls \"0\": expected 1 to 1000");
    expect_msg("[agent]\nname = a\nthis is not ini\nnope = 1\n",
               "agent.conf:3: expected \"key = value\" or \"[section]\"");
    expect_msg("[agent]\nzzzz = 1\nthis is not ini\n",
               "agent.conf:2: unknown key \"zzzz\" in [agent] (known keys: name, site)");
    expect_msg("[agent]\n[unterminated\nname = a\n",
               "agent.conf:2: expected \"key = value\" or \"[section]\"");
}

static void test_inifile_parse_file_errors(void **state)
{
    struct vr_errbuf eb = {{0}};
    (void)state;
    assert_true(parse_file("/nonexistent/agent.conf", &eb) < 0);
    assert_string_equal(eb.msg, "/nonexistent/agent.conf: cannot open (No such file or directory)");
    assert_true(parse_file("/tmp", &eb) < 0);
    assert_string_equal(eb.msg, "/tmp: cannot read (Is a directory)");
}

static void test_inifile_suggest(void **state)
{
    static const char *const keys[] = {"interval", "enabled", "spool_max_mb", "spool_dir", "url"};
    (void)state;
    assert_string_equal(vr_inifile_suggest("intervall", keys, 5), "interval");
    assert_string_equal(vr_inifile_suggest("ENABLED", keys, 5), "enabled");
    /* a truncated key means the longer one */
    assert_string_equal(vr_inifile_suggest("spool_max", keys, 5), "spool_max_mb");
    /* nothing plausible: no suggestion rather than a random one */
    assert_null(vr_inifile_suggest("zzzzzzzz", keys, 5));
    assert_null(vr_inifile_suggest("abc", keys, 5));
    assert_null(vr_inifile_suggest("x", keys, 0));
}

static void test_inifile_valid_name(void **state)
{
    char long_name[65];
    (void)state;
    assert_true(vr_inifile_valid_name("branch-lyon_01.a"));
    assert_false(vr_inifile_valid_name(""));
    assert_false(vr_inifile_valid_name("a b"));
    assert_false(vr_inifile_valid_name("a/b"));
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    assert_false(vr_inifile_valid_name(long_name));
    long_name[63] = '\0';
    assert_true(vr_inifile_valid_name(long_name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inifile_parse_sections_and_keys),
        cmocka_unit_test(test_inifile_parse_comments),
        cmocka_unit_test(test_inifile_parse_crlf),
        cmocka_unit_test(test_inifile_parse_long_line),
        cmocka_unit_test(test_inifile_parse_control_bytes),
        cmocka_unit_test(test_inifile_parse_endless_input),
        cmocka_unit_test(test_inifile_parse_unknown_names),
        cmocka_unit_test(test_inifile_parse_reports_first_problem),
        cmocka_unit_test(test_inifile_parse_file_errors),
        cmocka_unit_test(test_inifile_suggest),
        cmocka_unit_test(test_inifile_valid_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
