/* parse.h: durations, integers, host:port and class lists from the command line. Good input
 * gives the exact value; bad input gives VR_EINVAL, leaves the output alone and fills a message
 * that names the option and the input. System headers come before cmocka.h: with UNIT_TESTING
 * cmocka redefines malloc. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "parse.h"
#include "profile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define NS_PER_S UINT64_C(1000000000)
#define SENTINEL UINT64_C(0xdeadbeefdeadbeef)

/* Fails unless msg contains needle; prints both so a failure says what the user would see. */
static void assert_names(const char *msg, const char *needle)
{
    if (strstr(msg, needle) == NULL)
        fail_msg("message \"%s\" does not name %s", msg, needle);
}

static void check_duration(const char *s, uint64_t want)
{
    struct vr_errbuf eb = {""};
    uint64_t got = SENTINEL;
    int rc = vr_parse_duration_ns(s, "--duration", &got, &eb);
    if (rc != 0)
        fail_msg("\"%s\": rc %d, message \"%s\"", s, rc, eb.msg);
    if (got != want)
        fail_msg("\"%s\": got %llu ns, want %llu ns", s, (unsigned long long)got,
                 (unsigned long long)want);
}

static void check_duration_bad(const char *s)
{
    struct vr_errbuf eb = {""};
    uint64_t got = SENTINEL;
    char quoted[64];
    int rc = vr_parse_duration_ns(s, "--interval", &got, &eb);
    if (rc != VR_EINVAL)
        fail_msg("\"%s\": rc %d, want VR_EINVAL", s, rc);
    assert_int_equal(got, SENTINEL);
    snprintf(quoted, sizeof(quoted), "\"%s\"", s);
    assert_names(eb.msg, "--interval");
    assert_names(eb.msg, quoted);
}

static void test_parse_duration_ns_units(void **state)
{
    (void)state;
    check_duration("60s", 60 * NS_PER_S);
    check_duration("500ms", 500 * UINT64_C(1000000));
    check_duration("2m", 120 * NS_PER_S);
    check_duration("1h", 3600 * NS_PER_S);
    check_duration("0s", 0);
    check_duration("1ms", UINT64_C(1000000));
}

static void test_parse_duration_ns_bare_number_is_seconds(void **state)
{
    (void)state;
    check_duration("90", 90 * NS_PER_S);
    check_duration("0", 0);
}

static void test_parse_duration_ns_fraction(void **state)
{
    (void)state;
    check_duration("1.5s", 1500 * UINT64_C(1000000));
    check_duration("0.02s", 20 * UINT64_C(1000000));
    check_duration("2.5ms", 2500000);
    check_duration("0.5h", 1800 * NS_PER_S);
}

static void test_parse_duration_ns_rejects_bad(void **state)
{
    (void)state;
    check_duration_bad("");
    check_duration_bad("10x");
    check_duration_bad("-1s");
    check_duration_bad("s");
    check_duration_bad("1e30h");
    check_duration_bad("10 s");
    check_duration_bad("10sec");
    check_duration_bad("nan");
    check_duration_bad("inf");
}

static void test_parse_duration_ns_null_errbuf(void **state)
{
    uint64_t got = SENTINEL;
    (void)state;
    assert_int_equal(vr_parse_duration_ns("10x", "--duration", &got, NULL), VR_EINVAL);
    assert_int_equal(got, SENTINEL);
}

static void test_parse_u64_range(void **state)
{
    struct vr_errbuf eb = {""};
    uint64_t v = SENTINEL;
    (void)state;

    assert_int_equal(vr_parse_u64("1", "--calls", 1, 5000, &v, &eb), 0);
    assert_int_equal(v, 1);
    assert_int_equal(vr_parse_u64("5000", "--calls", 1, 5000, &v, &eb), 0);
    assert_int_equal(v, 5000);
    assert_int_equal(vr_parse_u64("42", "--calls", 1, 5000, &v, &eb), 0);
    assert_int_equal(v, 42);
    assert_int_equal(vr_parse_u64("0", "--n", 0, 0, &v, &eb), 0);
    assert_int_equal(v, 0);
    assert_int_equal(vr_parse_u64("18446744073709551615", "--n", 0, UINT64_MAX, &v, &eb), 0);
    assert_int_equal(v, UINT64_MAX);
}

static void check_u64_bad(const char *s, uint64_t min, uint64_t max)
{
    struct vr_errbuf eb = {""};
    uint64_t v = SENTINEL;
    char quoted[64];
    int rc = vr_parse_u64(s, "--calls", min, max, &v, &eb);
    if (rc != VR_EINVAL)
        fail_msg("\"%s\" in [%llu, %llu]: rc %d, value %llu, want VR_EINVAL", s,
                 (unsigned long long)min, (unsigned long long)max, rc, (unsigned long long)v);
    assert_int_equal(v, SENTINEL);
    snprintf(quoted, sizeof(quoted), "\"%s\"", s);
    assert_names(eb.msg, "--calls");
    assert_names(eb.msg, quoted);
}

static void test_parse_u64_rejects_out_of_range(void **state)
{
    (void)state;
    check_u64_bad("0", 1, 5000);
    check_u64_bad("5001", 1, 5000);
    check_u64_bad("18446744073709551616", 0, UINT64_MAX); /* overflows */
    check_u64_bad("99999999999999999999999", 0, UINT64_MAX);
}

static void test_parse_u64_rejects_non_numbers(void **state)
{
    (void)state;
    check_u64_bad("", 0, 100);
    check_u64_bad("abc", 0, 100);
    check_u64_bad("12a", 0, 100);
    check_u64_bad("1.5", 0, 100);
    check_u64_bad("-1", 0, UINT64_MAX);
    check_u64_bad("-0", 0, 100);
}

/* strtoull() skips white space before the sign, so " -1" must not become UINT64_MAX. */
static void test_parse_u64_rejects_negative_after_space(void **state)
{
    (void)state;
    check_u64_bad(" -1", 0, UINT64_MAX);
    check_u64_bad("\t-5", 0, UINT64_MAX);
}

static void check_hostport(const char *s, const char *want_host, uint16_t want_port)
{
    struct vr_errbuf eb = {""};
    char host[256];
    uint16_t port = 0;
    int rc = vr_parse_hostport(s, 5004, host, sizeof(host), &port, &eb);
    if (rc != 0)
        fail_msg("\"%s\": rc %d, message \"%s\"", s, rc, eb.msg);
    assert_string_equal(host, want_host);
    assert_int_equal(port, want_port);
}

static void check_hostport_bad(const char *s)
{
    struct vr_errbuf eb = {""};
    char host[256] = "untouched";
    uint16_t port = 7;
    char quoted[64];
    int rc = vr_parse_hostport(s, 5004, host, sizeof(host), &port, &eb);
    if (rc != VR_EINVAL)
        fail_msg("\"%s\": rc %d, host \"%s\" port %u, want VR_EINVAL", s, rc, host, (unsigned)port);
    snprintf(quoted, sizeof(quoted), "\"%s\"", s);
    assert_names(eb.msg, quoted);
}

static void test_parse_hostport_host_only(void **state)
{
    (void)state;
    check_hostport("host", "host", 5004);
    check_hostport("192.0.2.10", "192.0.2.10", 5004);
}

static void test_parse_hostport_host_and_port(void **state)
{
    (void)state;
    check_hostport("host:5004", "host", 5004);
    check_hostport("host:1", "host", 1);
    check_hostport("192.0.2.10:65535", "192.0.2.10", 65535);
}

static void test_parse_hostport_bracketed_v6(void **state)
{
    (void)state;
    check_hostport("[::1]:5004", "::1", 5004);
    check_hostport("[::1]:6000", "::1", 6000);
    check_hostport("[::1]", "::1", 5004);
    check_hostport("[2001:db8::1]:443", "2001:db8::1", 443);
}

static void test_parse_hostport_bare_v6(void **state)
{
    (void)state;
    check_hostport("::1", "::1", 5004);
    check_hostport("2001:db8::1", "2001:db8::1", 5004);
}

static void test_parse_hostport_rejects_bad(void **state)
{
    (void)state;
    check_hostport_bad("[::1");
    check_hostport_bad("[::1]x");
    check_hostport_bad("[::1]:");
    check_hostport_bad("[]:5004");
    check_hostport_bad("host:0");
    check_hostport_bad("host:70000");
    check_hostport_bad("host:abc");
    check_hostport_bad("host:");
    check_hostport_bad(":5004");
    check_hostport_bad("");
}

static void test_parse_hostport_port_error_names_port(void **state)
{
    struct vr_errbuf eb = {""};
    char host[64];
    uint16_t port;
    (void)state;

    assert_int_equal(vr_parse_hostport("host:70000", 5004, host, sizeof(host), &port, &eb),
                     VR_EINVAL);
    assert_names(eb.msg, "\"70000\"");
}

static void test_parse_hostport_rejects_host_too_long(void **state)
{
    struct vr_errbuf eb = {""};
    char host[8];
    uint16_t port;
    (void)state;

    /* 7 characters and the terminator fit, 8 do not */
    assert_int_equal(vr_parse_hostport("abcdefg:1", 5004, host, sizeof(host), &port, &eb), 0);
    assert_string_equal(host, "abcdefg");
    assert_int_equal(vr_parse_hostport("abcdefgh:1", 5004, host, sizeof(host), &port, &eb),
                     VR_EINVAL);
    assert_names(eb.msg, "\"abcdefgh:1\"");
    assert_int_equal(vr_parse_hostport("[1:2:3:4::]", 5004, host, sizeof(host), &port, &eb),
                     VR_EINVAL);
}

static void test_parse_classes_single(void **state)
{
    struct vr_errbuf eb = {""};
    unsigned mask = 0;
    (void)state;

    assert_int_equal(vr_parse_classes("audio", &mask, &eb), 0);
    assert_int_equal(mask, 1u << VR_CLASS_AUDIO);
    assert_int_equal(vr_parse_classes("video", &mask, &eb), 0);
    assert_int_equal(mask, 1u << VR_CLASS_VIDEO);
    assert_int_equal(vr_parse_classes("sharing", &mask, &eb), 0);
    assert_int_equal(mask, 1u << VR_CLASS_SHARING);
    assert_int_equal(vr_parse_classes("besteffort", &mask, &eb), 0);
    assert_int_equal(mask, 1u << VR_CLASS_BESTEFFORT);
}

static void test_parse_classes_all(void **state)
{
    struct vr_errbuf eb = {""};
    unsigned mask = 0;
    (void)state;

    assert_int_equal(vr_parse_classes("all", &mask, &eb), 0);
    assert_int_equal(mask, 0xf);
    assert_int_equal(vr_parse_classes("audio,all", &mask, &eb), 0);
    assert_int_equal(mask, 0xf);
}

static void test_parse_classes_list(void **state)
{
    struct vr_errbuf eb = {""};
    unsigned mask = 0;
    (void)state;

    assert_int_equal(vr_parse_classes("audio,besteffort", &mask, &eb), 0);
    assert_int_equal(mask, (1u << VR_CLASS_AUDIO) | (1u << VR_CLASS_BESTEFFORT));
    assert_int_equal(vr_parse_classes("sharing,video,audio,video", &mask, &eb), 0);
    assert_int_equal(mask, 0x7);
}

static void test_parse_classes_rejects_unknown(void **state)
{
    struct vr_errbuf eb = {""};
    unsigned mask = 0;
    (void)state;

    assert_int_equal(vr_parse_classes("voice", &mask, &eb), VR_EINVAL);
    assert_names(eb.msg, "--class");
    assert_names(eb.msg, "\"voice\"");
    assert_names(eb.msg, "audio"); /* the fix: the valid names */

    eb.msg[0] = '\0';
    assert_int_equal(vr_parse_classes("audio,Video", &mask, &eb), VR_EINVAL);
    assert_names(eb.msg, "\"Video\"");
}

static void test_parse_classes_rejects_empty(void **state)
{
    struct vr_errbuf eb = {""};
    unsigned mask = 0;
    char longer[300];
    (void)state;

    assert_int_equal(vr_parse_classes("", &mask, &eb), VR_EINVAL);
    assert_names(eb.msg, "--class");
    eb.msg[0] = '\0';
    assert_int_equal(vr_parse_classes(",", &mask, &eb), VR_EINVAL);
    assert_names(eb.msg, "--class");

    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(vr_parse_classes(longer, &mask, &eb), VR_EINVAL);
}

static void test_ini_strip_comment(void **state)
{
    (void)state;
    char a[] = "name = lyon-01   # written into records\n";
    vr_ini_strip_comment(a);
    assert_string_equal(a, "name = lyon-01   \n");
    char b[] = "url = https://c.example.net/#frag\n";
    vr_ini_strip_comment(b);
    assert_string_equal(b, "url = https://c.example.net/#frag\n");
    char c[] = "calls = 2\t; peak";
    vr_ini_strip_comment(c);
    assert_string_equal(c, "calls = 2\t");
    char d[] = "# a whole-line comment\n";
    vr_ini_strip_comment(d);
    assert_string_equal(d, "\n");
    char e[] = "token = ab#cd\n";
    vr_ini_strip_comment(e);
    assert_string_equal(e, "token = ab#cd\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration_ns_units),
        cmocka_unit_test(test_parse_duration_ns_bare_number_is_seconds),
        cmocka_unit_test(test_parse_duration_ns_fraction),
        cmocka_unit_test(test_parse_duration_ns_rejects_bad),
        cmocka_unit_test(test_parse_duration_ns_null_errbuf),
        cmocka_unit_test(test_parse_u64_range),
        cmocka_unit_test(test_parse_u64_rejects_out_of_range),
        cmocka_unit_test(test_parse_u64_rejects_non_numbers),
        cmocka_unit_test(test_parse_u64_rejects_negative_after_space),
        cmocka_unit_test(test_parse_hostport_host_only),
        cmocka_unit_test(test_parse_hostport_host_and_port),
        cmocka_unit_test(test_parse_hostport_bracketed_v6),
        cmocka_unit_test(test_parse_hostport_bare_v6),
        cmocka_unit_test(test_parse_hostport_rejects_bad),
        cmocka_unit_test(test_parse_hostport_port_error_names_port),
        cmocka_unit_test(test_parse_hostport_rejects_host_too_long),
        cmocka_unit_test(test_parse_classes_single),
        cmocka_unit_test(test_parse_classes_all),
        cmocka_unit_test(test_parse_classes_list),
        cmocka_unit_test(test_parse_classes_rejects_unknown),
        cmocka_unit_test(test_parse_classes_rejects_empty),
        cmocka_unit_test(test_ini_strip_comment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
