/* Unit tests of agent/ramp.c: streams per call of a mix, wire rates, the --max-rate cap, the
 * doubling and binary search, the stop rules, and the --mix / --max-rate parsers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ramp.h"

/* this cmocka has no assert_double_equal; its float version would round 10e6 x 3 */
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* teams-audio over IPv4: (100 + 28) bytes x 8 x 50/s */
#define AUDIO_BPS 51200.0
/* teams-video over IPv4: (1200 + 28) x 8 x 50 */
#define VIDEO_BPS 491200.0

static struct vr_ramp_mix audio_mix(void)
{
    struct vr_ramp_mix m;
    memset(&m, 0, sizeof(m));
    m.share[VR_CLASS_AUDIO] = 1;
    m.stream_bps_fwd[VR_CLASS_AUDIO] = m.stream_bps_rev[VR_CLASS_AUDIO] = AUDIO_BPS;
    return m;
}

/* Runs a ramp against a path that carries `capacity` calls (steps above fail); returns the
 * sequence of call counts tried in seq (up to max) and their number. */
static size_t simulate(struct vr_ramp *r, uint32_t capacity, uint32_t loss_stop_above,
                       uint32_t *seq, size_t max)
{
    size_t n = 0;
    uint32_t calls;
    while ((calls = vr_ramp_next(r)) != 0) {
        assert_true(n < max);
        seq[n++] = calls;
        if (calls <= capacity)
            vr_ramp_report(r, calls, VR_RAMP_PASS);
        else if (loss_stop_above != 0 && calls > loss_stop_above)
            vr_ramp_report(r, calls, VR_RAMP_STOP_LOSS);
        else
            vr_ramp_report(r, calls, VR_RAMP_FAIL);
    }
    return n;
}

static void test_ramp_streams_round_with_minimum_one(void **state)
{
    struct vr_ramp_mix m;
    memset(&m, 0, sizeof(m));
    (void)state;
    m.share[VR_CLASS_AUDIO] = 1;
    m.share[VR_CLASS_VIDEO] = 0.3;
    m.share[VR_CLASS_SHARING] = 0.1;
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_AUDIO, 10), 10);
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_VIDEO, 10), 3); /* 0.3 x 10 = 3.0000000004 */
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_SHARING, 10), 1);
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_VIDEO, 1), 1); /* at least one */
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_SHARING, 4), 1);
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_VIDEO, 5), 2);    /* 1.5 rounds up */
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_SHARING, 15), 2); /* 1.5 */
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_VIDEO, 7), 2);    /* 2.1 */
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_BESTEFFORT, 10), 0);
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_AUDIO, 0), 0);
    assert_int_equal(vr_ramp_streams(&m, -1, 10), 0);
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_COUNT, 10), 0);
    m.share[VR_CLASS_AUDIO] = 2;
    assert_int_equal(vr_ramp_streams(&m, VR_CLASS_AUDIO, 7), 14);
}

static void test_ramp_rate_sums_streams(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    double fwd, rev;
    (void)state;
    m.share[VR_CLASS_VIDEO] = 0.3;
    m.stream_bps_fwd[VR_CLASS_VIDEO] = VIDEO_BPS;
    m.stream_bps_rev[VR_CLASS_VIDEO] = VIDEO_BPS / 2; /* directions are kept apart */
    vr_ramp_rate(&m, 10, &fwd, &rev);
    assert_double_equal(fwd, 10 * AUDIO_BPS + 3 * VIDEO_BPS, 1e-6);
    assert_double_equal(rev, 10 * AUDIO_BPS + 3 * VIDEO_BPS / 2, 1e-6);
    vr_ramp_rate(&m, 0, &fwd, &rev);
    assert_double_equal(fwd, 0, 0);
}

static void test_ramp_rate_cap_keeps_both_directions_under(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    (void)state;
    /* 10 Mbit/s / 51.2 kbit/s = 195.3 */
    assert_int_equal(vr_ramp_rate_cap(&m, 10e6, 200), 195);
    assert_int_equal(vr_ramp_rate_cap(&m, 10e6, 100), 100);
    assert_int_equal(vr_ramp_rate_cap(&m, 470e3, 200), 9);
    assert_int_equal(vr_ramp_rate_cap(&m, 9 * AUDIO_BPS, 200), 9); /* equal is allowed */
    assert_int_equal(vr_ramp_rate_cap(&m, 50e3, 200), 0);
    /* the larger direction decides */
    m.stream_bps_rev[VR_CLASS_AUDIO] = 2 * AUDIO_BPS;
    assert_int_equal(vr_ramp_rate_cap(&m, 470e3, 200), 4);
    /* a video share rounds up to one stream from the first call */
    m = audio_mix();
    m.share[VR_CLASS_VIDEO] = 0.3;
    m.stream_bps_fwd[VR_CLASS_VIDEO] = m.stream_bps_rev[VR_CLASS_VIDEO] = VIDEO_BPS;
    assert_int_equal(vr_ramp_rate_cap(&m, 500e3, 200), 0);
    assert_int_equal(vr_ramp_rate_cap(&m, 600e3, 200), 2); /* 2 audio + 1 video = 593.6k */
}

static void test_ramp_doubles_then_bisects_to_the_exact_capacity(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    uint32_t seq[64];
    static const uint32_t want[] = {1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 34, 35};
    (void)state;
    vr_ramp_init(&r, &m, 200, 10e6);
    size_t n = simulate(&r, 35, 0, seq, 64);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seq[i], want[i]);
    assert_int_equal(r.last_pass, 35);
    assert_int_equal(r.first_fail, 36);
    assert_int_equal(r.limit, VR_RAMP_THRESHOLD);
    assert_string_equal(vr_ramp_limit_name(r.limit), "threshold");
}

static void test_ramp_finds_every_capacity(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    uint32_t seq[64];
    (void)state;
    for (uint32_t cap = 1; cap < 200; cap++) {
        struct vr_ramp r;
        vr_ramp_init(&r, &m, 200, 100e6);
        size_t n = simulate(&r, cap, 0, seq, 64);
        assert_int_equal(r.last_pass, cap);
        assert_int_equal(r.limit, VR_RAMP_THRESHOLD);
        assert_true(n <= 2 * 8 + 2); /* log2 steps up, log2 steps down */
        for (size_t i = 0; i < n; i++)
            assert_true(seq[i] >= 1 && seq[i] <= 200);
    }
}

static void test_ramp_one_call_failing_is_capacity_zero(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    uint32_t seq[8];
    (void)state;
    vr_ramp_init(&r, &m, 200, 10e6);
    assert_int_equal(simulate(&r, 0, 0, seq, 8), 1);
    assert_int_equal(seq[0], 1);
    assert_int_equal(r.last_pass, 0);
    assert_int_equal(r.limit, VR_RAMP_THRESHOLD);
}

static void test_ramp_stops_at_max_calls(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    uint32_t seq[16];
    static const uint32_t want[] = {1, 2, 4, 8, 16, 20};
    (void)state;
    vr_ramp_init(&r, &m, 20, 10e6);
    size_t n = simulate(&r, 1000, 0, seq, 16);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seq[i], want[i]);
    assert_int_equal(r.last_pass, 20);
    assert_int_equal(r.limit, VR_RAMP_MAX_CALLS);
    /* a power of two as the maximum: no extra step */
    vr_ramp_init(&r, &m, 16, 10e6);
    assert_int_equal(simulate(&r, 1000, 0, seq, 16), 5);
    assert_int_equal(r.limit, VR_RAMP_MAX_CALLS);
}

static void test_ramp_never_plans_above_max_rate(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    uint32_t seq[16];
    static const uint32_t want[] = {1, 2, 4, 8, 9};
    (void)state;
    vr_ramp_init(&r, &m, 200, 470e3);
    assert_int_equal(r.cap, 9);
    assert_true(r.cap_by_rate);
    size_t n = simulate(&r, 1000, 0, seq, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        double fwd, rev;
        assert_int_equal(seq[i], want[i]);
        vr_ramp_rate(&m, seq[i], &fwd, &rev);
        assert_true(fwd <= 470e3 && rev <= 470e3);
    }
    assert_int_equal(r.limit, VR_RAMP_MAX_RATE);
    assert_string_equal(vr_ramp_limit_name(r.limit), "max_rate");
    /* fails below the cap: an ordinary search */
    vr_ramp_init(&r, &m, 200, 470e3);
    simulate(&r, 5, 0, seq, 16);
    assert_int_equal(r.last_pass, 5);
    assert_int_equal(r.limit, VR_RAMP_THRESHOLD);
}

static void test_ramp_no_call_within_max_rate(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    (void)state;
    vr_ramp_init(&r, &m, 200, 10e3);
    assert_int_equal(r.cap, 0);
    assert_int_equal(vr_ramp_next(&r), 0);
    assert_int_equal(r.limit, VR_RAMP_MAX_RATE);
}

static void test_ramp_loss_stop_ends_at_once(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    uint32_t seq[16];
    (void)state;
    /* capacity 35, and anything above 36 loses more than 5 %: 64 stops the ramp */
    vr_ramp_init(&r, &m, 200, 10e6);
    size_t n = simulate(&r, 35, 36, seq, 16);
    assert_int_equal(n, 7);
    assert_int_equal(seq[6], 64);
    assert_int_equal(r.last_pass, 32);
    assert_int_equal(r.first_fail, 64);
    assert_int_equal(r.limit, VR_RAMP_LOSS_STOP);
    assert_int_equal(vr_ramp_next(&r), 0);
    /* at the first step */
    vr_ramp_init(&r, &m, 200, 10e6);
    assert_int_equal(simulate(&r, 0, 0 + 0, seq, 16), 1);
    vr_ramp_init(&r, &m, 200, 10e6);
    assert_int_equal(vr_ramp_next(&r), 1);
    vr_ramp_report(&r, 1, VR_RAMP_STOP_LOSS);
    assert_int_equal(vr_ramp_next(&r), 0);
    assert_int_equal(r.last_pass, 0);
    assert_string_equal(vr_ramp_limit_name(r.limit), "loss_stop");
}

static void test_ramp_interrupt_keeps_what_passed(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    (void)state;
    vr_ramp_init(&r, &m, 200, 10e6);
    assert_int_equal(vr_ramp_next(&r), 1);
    vr_ramp_report(&r, 1, VR_RAMP_PASS);
    assert_int_equal(vr_ramp_next(&r), 2);
    vr_ramp_report(&r, 2, VR_RAMP_PASS);
    assert_int_equal(vr_ramp_next(&r), 4);
    vr_ramp_report(&r, 4, VR_RAMP_STOP_INTERRUPT); /* step 4 cut short: no verdict */
    assert_int_equal(vr_ramp_next(&r), 0);
    assert_int_equal(r.last_pass, 2);
    assert_int_equal(r.first_fail, 0);
    assert_int_equal(r.limit, VR_RAMP_INTERRUPTED);
    /* the first stop reason wins */
    vr_ramp_report(&r, 4, VR_RAMP_STOP_LOSS);
    assert_int_equal(r.limit, VR_RAMP_INTERRUPTED);
}

static void test_ramp_fail_below_a_pass_believes_the_latest(void **state)
{
    struct vr_ramp_mix m = audio_mix();
    struct vr_ramp r;
    (void)state;
    vr_ramp_init(&r, &m, 200, 10e6);
    vr_ramp_report(&r, 8, VR_RAMP_PASS);
    vr_ramp_report(&r, 16, VR_RAMP_FAIL);
    vr_ramp_report(&r, 6, VR_RAMP_FAIL); /* the path got worse */
    assert_int_equal(r.first_fail, 6);
    assert_int_equal(r.last_pass, 5);
    assert_int_equal(vr_ramp_next(&r), 0); /* 5 pass / 6 fail: closed */
    assert_int_equal(r.limit, VR_RAMP_THRESHOLD);
}

static void test_ramp_parse_mix_accepts_the_contract_syntax(void **state)
{
    double s[VR_CLASS_COUNT];
    struct vr_errbuf eb = {{0}};
    (void)state;
    assert_int_equal(vr_ramp_parse_mix("audio=1,video=0.3,sharing=0.1", s, &eb), 0);
    assert_double_equal(s[VR_CLASS_AUDIO], 1, 0);
    assert_double_equal(s[VR_CLASS_VIDEO], 0.3, 1e-12);
    assert_double_equal(s[VR_CLASS_SHARING], 0.1, 1e-12);
    assert_double_equal(s[VR_CLASS_BESTEFFORT], 0, 0);
    assert_int_equal(vr_ramp_parse_mix("audio", s, &eb), 0);
    assert_double_equal(s[VR_CLASS_AUDIO], 1, 0);
    assert_int_equal(vr_ramp_parse_mix("video=2,besteffort=1", s, &eb), 0);
    assert_double_equal(s[VR_CLASS_AUDIO], 0, 0);
    assert_double_equal(s[VR_CLASS_VIDEO], 2, 0);
    assert_int_equal(vr_ramp_parse_mix("audio=1,video=0", s, &eb), 0);
    assert_double_equal(s[VR_CLASS_VIDEO], 0, 0);
}

static void test_ramp_parse_mix_rejects_bad_input(void **state)
{
    double s[VR_CLASS_COUNT];
    struct vr_errbuf eb = {{0}};
    static const char *bad[] = {"",          "voice=1",
                                "audio=",    "audio=-1",
                                "audio=x",   "audio=1e400",
                                "audio=17",  "audio=1,audio=2",
                                "audio=0",   "audio=1;video",
                                "audio=nan", "audio=0x1",
                                "audio=1 ",  "=1",
                                "audio=inf", ",,,"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        eb.msg[0] = '\0';
        if (vr_ramp_parse_mix(bad[i], s, &eb) != VR_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(eb.msg[0] != '\0');
    }
    assert_non_null(strstr(eb.msg, "--mix"));
    char longer[400];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(vr_ramp_parse_mix(longer, s, &eb), VR_EINVAL);
}

static void test_ramp_parse_rate_suffixes(void **state)
{
    double v;
    struct vr_errbuf eb = {{0}};
    (void)state;
    assert_int_equal(vr_ramp_parse_rate("10M", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 10e6, 0);
    assert_int_equal(vr_ramp_parse_rate("500k", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 500e3, 0);
    assert_int_equal(vr_ramp_parse_rate("2.5M", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 2.5e6, 1e-6);
    assert_int_equal(vr_ramp_parse_rate("64000", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 64000, 0);
    assert_int_equal(vr_ramp_parse_rate("1G", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 1e9, 0);
    assert_int_equal(vr_ramp_parse_rate("10Mbit", "--max-rate", &v, &eb), 0);
    assert_int_equal(vr_ramp_parse_rate("10mbit/s", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 10e6, 0);
    assert_int_equal(vr_ramp_parse_rate("470kbps", "--max-rate", &v, &eb), 0);
    assert_double_equal(v, 470e3, 0);
}

static void test_ramp_parse_rate_rejects_bad_input(void **state)
{
    double v = -1;
    struct vr_errbuf eb = {{0}};
    static const char *bad[] = {"",     "M",    "-1M", "10T",  "10 M", "0x10", "inf", "nan",
                                "1e3x", "10Mb", "999", "101G", "0",    "k",    " 1M", "1e999"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        eb.msg[0] = '\0';
        assert_int_equal(vr_ramp_parse_rate(bad[i], "--max-rate", &v, &eb), VR_EINVAL);
        assert_non_null(strstr(eb.msg, "--max-rate"));
    }
    assert_double_equal(v, -1, 0); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ramp_streams_round_with_minimum_one),
        cmocka_unit_test(test_ramp_rate_sums_streams),
        cmocka_unit_test(test_ramp_rate_cap_keeps_both_directions_under),
        cmocka_unit_test(test_ramp_doubles_then_bisects_to_the_exact_capacity),
        cmocka_unit_test(test_ramp_finds_every_capacity),
        cmocka_unit_test(test_ramp_one_call_failing_is_capacity_zero),
        cmocka_unit_test(test_ramp_stops_at_max_calls),
        cmocka_unit_test(test_ramp_never_plans_above_max_rate),
        cmocka_unit_test(test_ramp_no_call_within_max_rate),
        cmocka_unit_test(test_ramp_loss_stop_ends_at_once),
        cmocka_unit_test(test_ramp_interrupt_keeps_what_passed),
        cmocka_unit_test(test_ramp_fail_below_a_pass_believes_the_latest),
        cmocka_unit_test(test_ramp_parse_mix_accepts_the_contract_syntax),
        cmocka_unit_test(test_ramp_parse_mix_rejects_bad_input),
        cmocka_unit_test(test_ramp_parse_rate_suffixes),
        cmocka_unit_test(test_ramp_parse_rate_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
