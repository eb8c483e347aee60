/* profile.h: the class table (DSCP marks and Teams port ranges), DSCP names, and the codec
 * profiles with their IP-layer rates computed by hand. System headers come before cmocka.h: with
 * UNIT_TESTING cmocka redefines malloc. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "probe.h"
#include "profile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* cmocka 1.1's assert_float_equal works in float; these values need double. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static const struct {
    enum vr_class cls;
    const char *name;
    uint8_t dscp;
    const char *dscp_name;
    uint16_t port_lo;
} want_classes[VR_CLASS_COUNT] = {
    {VR_CLASS_AUDIO, "audio", 46, "EF", 50000},
    {VR_CLASS_VIDEO, "video", 34, "AF41", 50020},
    {VR_CLASS_SHARING, "sharing", 18, "AF21", 50040},
    {VR_CLASS_BESTEFFORT, "besteffort", 0, "CS0", 0},
};

static void test_class_get_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < VR_CLASS_COUNT; i++) {
        const struct vr_class_info *c = vr_class_get(want_classes[i].cls);
        assert_non_null(c);
        assert_int_equal(c->cls, want_classes[i].cls);
        assert_string_equal(c->name, want_classes[i].name);
        assert_int_equal(c->dscp, want_classes[i].dscp);
        assert_string_equal(c->dscp_name, want_classes[i].dscp_name);
        assert_int_equal(c->teams_port_lo, want_classes[i].port_lo);
    }
}

/* Each class's name for its mark agrees with vr_dscp_name(), and its profile exists. */
static void test_class_get_consistent(void **state)
{
    (void)state;
    for (int i = 0; i < VR_CLASS_COUNT; i++) {
        const struct vr_class_info *c = vr_class_get((enum vr_class)i);
        assert_non_null(vr_dscp_name(c->dscp));
        assert_string_equal(vr_dscp_name(c->dscp), c->dscp_name);
        assert_non_null(c->profile);
        if (vr_profile_find(c->profile) == NULL)
            fail_msg("class %s: default profile \"%s\" unknown", c->name, c->profile);
    }
}

static void test_class_by_name_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < VR_CLASS_COUNT; i++) {
        enum vr_class c = (enum vr_class)99;
        assert_int_equal(vr_class_by_name(want_classes[i].name, &c), 0);
        assert_int_equal(c, want_classes[i].cls);
    }
}

static void test_class_by_name_unknown(void **state)
{
    enum vr_class c = VR_CLASS_VIDEO;
    (void)state;

    assert_int_equal(vr_class_by_name("voice", &c), VR_EINVAL);
    assert_int_equal(vr_class_by_name("", &c), VR_EINVAL);
    assert_int_equal(vr_class_by_name("Audio", &c), VR_EINVAL);
    assert_int_equal(vr_class_by_name("audio ", &c), VR_EINVAL);
    assert_int_equal(vr_class_by_name("all", &c), VR_EINVAL);
    assert_int_equal(c, VR_CLASS_VIDEO);
}

static void test_dscp_name_known(void **state)
{
    (void)state;
    assert_string_equal(vr_dscp_name(46), "EF");
    assert_string_equal(vr_dscp_name(0), "CS0");
    assert_string_equal(vr_dscp_name(34), "AF41");
    assert_string_equal(vr_dscp_name(18), "AF21");
    assert_string_equal(vr_dscp_name(8), "CS1");
    assert_string_equal(vr_dscp_name(48), "CS6");
    assert_string_equal(vr_dscp_name(56), "CS7");
}

static void test_dscp_name_unknown(void **state)
{
    (void)state;
    assert_null(vr_dscp_name(1));
    assert_null(vr_dscp_name(47));
    assert_null(vr_dscp_name(63));
    assert_null(vr_dscp_name(64));
    assert_null(vr_dscp_name(0xb8)); /* a TOS byte, not a DSCP */
    assert_null(vr_dscp_name(UINT32_MAX));
}

/* RFC 4594 names: every class selector CSn is 8n and every AFxy is 8x + 2y. */
static void test_dscp_name_all_values(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 64; v++) {
        const char *n = vr_dscp_name(v);
        if (n == NULL)
            continue;
        if (n[0] == 'C' && n[1] == 'S')
            assert_int_equal(v, 8u * (unsigned)(n[2] - '0'));
        else if (n[0] == 'A' && n[1] == 'F')
            assert_int_equal(v, 8u * (unsigned)(n[2] - '0') + 2u * (unsigned)(n[3] - '0'));
    }
    for (unsigned n = 0; n < 8; n++)
        assert_non_null(vr_dscp_name(8 * n));
}

/* Calls fn on every name in vr_profile_names(); returns how many there were. */
static size_t for_each_profile_name(void (*fn)(const char *name))
{
    const char *s = vr_profile_names();
    size_t count = 0;

    assert_non_null(s);
    while (*s != '\0') {
        char name[64];
        size_t n = strcspn(s, ", ");
        assert_true(n > 0 && n < sizeof(name));
        memcpy(name, s, n);
        name[n] = '\0';
        fn(name);
        count++;
        s += n;
        s += strspn(s, ", ");
    }
    return count;
}

static void check_profile(const char *name)
{
    const struct vr_profile *p = vr_profile_find(name);
    if (p == NULL)
        fail_msg("profile \"%s\" from vr_profile_names() not found", name);
    assert_string_equal(p->name, name);
    /* every packet carries the whole probe header and fits one datagram */
    assert_true(p->payload_len >= VR_PROBE_HDR_LEN);
    assert_true(p->payload_len <= VR_PROBE_MAX_LEN);
    assert_int_equal(p->period_ns, 20000000u);
    assert_true(p->rtp_pt < 128);
    assert_true(p->rtp_clock_hz > 0);
    assert_non_null(p->codec);
}

static void test_profile_find_every_name(void **state)
{
    (void)state;
    assert_int_equal(for_each_profile_name(check_profile), 4);
}

static void test_profile_find_unknown(void **state)
{
    (void)state;
    assert_null(vr_profile_find("teams"));
    assert_null(vr_profile_find(""));
    assert_null(vr_profile_find("G711"));
    assert_null(vr_profile_find("g711 "));
}

static void test_profile_ip_bps_g711(void **state)
{
    const struct vr_profile *p = vr_profile_find("g711");
    (void)state;

    assert_non_null(p);
    assert_int_equal(p->payload_len, 172); /* 160 bytes of G.711 + 12 RTP */
    /* (payload + IPv4 20 + UDP 8) bytes * 8 bits * 50 packets/s */
    assert_near(vr_profile_ip_bps(p, 0), (172.0 + 28.0) * 8.0 * 50.0, 1e-6);
    assert_near(vr_profile_ip_bps(p, 0), 80000.0, 1e-6);
    /* IPv6 header is 40 bytes */
    assert_near(vr_profile_ip_bps(p, 1), (172.0 + 48.0) * 8.0 * 50.0, 1e-6);
    assert_near(vr_profile_ip_bps(p, 1), 88000.0, 1e-6);
}

static void test_profile_ip_bps_every_profile(void **state)
{
    static const char *const names[] = {"teams-audio", "g711", "teams-video", "teams-sharing"};
    (void)state;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct vr_profile *p = vr_profile_find(names[i]);
        double pps, v4, v6;
        assert_non_null(p);
        pps = 1e9 / (double)p->period_ns;
        v4 = ((double)p->payload_len + 28.0) * 8.0 * pps;
        v6 = ((double)p->payload_len + 48.0) * 8.0 * pps;
        assert_near(vr_profile_ip_bps(p, 0), v4, 1e-6);
        assert_near(vr_profile_ip_bps(p, 1), v6, 1e-6);
        assert_near(vr_profile_ip_bps(p, 1) - vr_profile_ip_bps(p, 0), 20.0 * 8.0 * 50.0, 1e-6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_get_table),
        cmocka_unit_test(test_class_get_consistent),
        cmocka_unit_test(test_class_by_name_known),
        cmocka_unit_test(test_class_by_name_unknown),
        cmocka_unit_test(test_dscp_name_known),
        cmocka_unit_test(test_dscp_name_unknown),
        cmocka_unit_test(test_dscp_name_all_values),
        cmocka_unit_test(test_profile_find_every_name),
        cmocka_unit_test(test_profile_find_unknown),
        cmocka_unit_test(test_profile_ip_bps_g711),
        cmocka_unit_test(test_profile_ip_bps_every_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
