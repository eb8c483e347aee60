/* link.h: link kinds from a fake /sys/class/net tree laid out as the kernel lays it out (a
 * temporary directory: no root, no real devices needed), Wi-Fi bands, and the nl80211 query's
 * refusals on this machine, which has no Wi-Fi. The library is included before cmocka.h: with
 * UNIT_TESTING cmocka redefines malloc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "link.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static char root[64];

static void mkdirf(const char *fmt, const char *a, const char *b)
{
    char path[256];
    snprintf(path, sizeof(path), fmt, root, a, b);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void writef(const char *ifname, const char *leaf, const char *text)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, leaf);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* An interface directory with its ARPHRD type; device/ when it is backed by hardware. */
static void add_if(const char *ifname, int type, bool device)
{
    char t[16];
    mkdirf("%s/%s%s", ifname, "");
    snprintf(t, sizeof(t), "%d\n", type);
    writef(ifname, "type", t);
    writef(ifname, "uevent", "INTERFACE=x\nIFINDEX=2\n");
    if (device)
        mkdirf("%s/%s/%s", ifname, "device");
}

/* ifname/lower_<lower> -> ../<lower>, as bridges, VLANs, bonds and macvlans have */
static void add_lower(const char *ifname, const char *lower)
{
    char path[256], target[64];
    snprintf(path, sizeof(path), "%s/%s/lower_%s", root, ifname, lower);
    snprintf(target, sizeof(target), "../%s", lower);
    assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/vr-test-link-XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    add_if("eth0", 1, true);
    add_if("wlan0", 1, true);
    mkdirf("%s/%s/%s", "wlan0", "wireless");
    add_if("wlp2s0", 1, true);
    mkdirf("%s/%s/%s", "wlp2s0", "phy80211");
    add_if("wlx", 1, true);
    writef("wlx", "uevent", "DEVTYPE=wlan\nINTERFACE=wlx\n");
    add_if("wwan0", 1, true);
    writef("wwan0", "uevent", "DEVTYPE=wwan\nINTERFACE=wwan0\n");
    add_if("veth0", 1, false);
    add_if("tap0", 1, false);
    add_if("lo", 772, false);
    add_if("tun0", 65534, true); /* even with a device/ link, not Ethernet */
    add_if("br0", 1, false);     /* a bridge over a physical port */
    add_lower("br0", "eth0");
    add_if("br1", 1, false); /* a bridge of veths: a container host's docker0 */
    add_lower("br1", "veth0");
    add_if("wlan0.5", 1, false); /* a VLAN over Wi-Fi */
    add_lower("wlan0.5", "wlan0");
    add_if("br2", 1, false); /* a bridge over a VLAN over Wi-Fi, and a veth */
    add_lower("br2", "veth0");
    add_lower("br2", "wlan0.5");
    add_if("bond0", 1, false);
    add_lower("bond0", "eth0");
    add_lower("bond0", "tap0");
    add_if("loopa", 1, false); /* a corrupt tree: a and b stacked on each other */
    add_if("loopb", 1, false);
    add_lower("loopa", "loopb");
    add_lower("loopb", "loopa");
    add_if("notype", 1, true);
    char path[256];
    snprintf(path, sizeof(path), "%s/notype/type", root);
    assert_int_equal(unlink(path), 0);
    add_if("badtype", 1, true);
    writef("badtype", "type", "ether\n");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_kind(const char *ifname, enum vr_link_kind want, const char *want_radio)
{
    char radio[16] = "stale";
    enum vr_link_kind got = vr_link_classify(root, ifname, radio, sizeof(radio));
    if (got != want || strcmp(radio, want_radio) != 0)
        fail_msg("%s: got %s radio \"%s\", want %s radio \"%s\"", ifname, vr_link_kind_name(got),
                 radio, vr_link_kind_name(want), want_radio);
}

static void test_link_classify_physical(void **state)
{
    (void)state;
    expect_kind("eth0", VR_LINK_WIRED, "");
    expect_kind("wlan0", VR_LINK_WIFI, "wlan0");
    expect_kind("wlp2s0", VR_LINK_WIFI, "wlp2s0");
    expect_kind("wlx", VR_LINK_WIFI, "wlx");
    expect_kind("wwan0", VR_LINK_OTHER, "");
    expect_kind("tun0", VR_LINK_OTHER, "");
}

static void test_link_classify_virtual_is_other(void **state)
{
    (void)state;
    expect_kind("veth0", VR_LINK_OTHER, "");
    expect_kind("tap0", VR_LINK_OTHER, "");
    expect_kind("lo", VR_LINK_OTHER, "");
    expect_kind("br1", VR_LINK_OTHER, "");
}

static void test_link_classify_stacked_follows_lower(void **state)
{
    (void)state;
    expect_kind("br0", VR_LINK_WIRED, "");
    expect_kind("bond0", VR_LINK_WIRED, "");
    expect_kind("wlan0.5", VR_LINK_WIFI, "wlan0");
    expect_kind("br2", VR_LINK_WIFI, "wlan0");
    expect_kind("loopa", VR_LINK_OTHER, ""); /* terminates */
}

static void test_link_classify_bad_input(void **state)
{
    (void)state;
    expect_kind("nosuch", VR_LINK_OTHER, "");
    expect_kind("notype", VR_LINK_OTHER, "");
    expect_kind("badtype", VR_LINK_OTHER, "");
    expect_kind("", VR_LINK_OTHER, "");
    expect_kind("..", VR_LINK_OTHER, "");
    expect_kind("../tmp", VR_LINK_OTHER, "");
    expect_kind("a-name-of-16-chr", VR_LINK_OTHER, "");
    assert_int_equal(vr_link_classify(root, NULL, NULL, 0), VR_LINK_OTHER);
    assert_int_equal(vr_link_classify(root, "wlan0", NULL, 0), VR_LINK_WIFI);
    /* a radio buffer too short is cut, never overrun */
    char small[3];
    assert_int_equal(vr_link_classify(root, "wlan0", small, sizeof(small)), VR_LINK_WIFI);
    assert_string_equal(small, "wl");
}

static void test_link_classify_real_loopback(void **state)
{
    (void)state;
    assert_int_equal(vr_link_classify(VR_LINK_SYSFS_NET, "lo", NULL, 0), VR_LINK_OTHER);
    assert_int_equal(vr_link_classify(NULL, "lo", NULL, 0), VR_LINK_OTHER);
}

static void test_link_kind_names(void **state)
{
    (void)state;
    enum vr_link_kind k = VR_LINK_OTHER;
    assert_string_equal(vr_link_kind_name(VR_LINK_WIRED), "wired");
    assert_string_equal(vr_link_kind_name(VR_LINK_WIFI), "wifi");
    assert_string_equal(vr_link_kind_name(VR_LINK_OTHER), "other");
    assert_int_equal(vr_link_kind_by_name("wifi", &k), 0);
    assert_int_equal(k, VR_LINK_WIFI);
    assert_int_equal(vr_link_kind_by_name("wired", &k), 0);
    assert_int_equal(k, VR_LINK_WIRED);
    assert_int_equal(vr_link_kind_by_name("ethernet", &k), VR_EINVAL);
    assert_int_equal(vr_link_kind_by_name(NULL, &k), VR_EINVAL);
}

static void test_wifi_band_edges(void **state)
{
    (void)state;
    static const struct {
        uint32_t mhz;
        const char *band;
    } cases[] = {
        {2412, "2.4GHz"}, {2484, "2.4GHz"}, {5180, "5GHz"}, {5825, "5GHz"},   {5885, "5GHz"},
        {5935, "6GHz"},   {5955, "6GHz"},   {7115, "6GHz"}, {58320, "60GHz"}, {4920, "5GHz"},
        {0, NULL},        {2399, NULL},     {3000, NULL},   {7200, NULL},     {900, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = vr_wifi_band(cases[i].mhz);
        if (cases[i].band == NULL ? got != NULL : got == NULL || strcmp(got, cases[i].band) != 0)
            fail_msg("%u MHz: got %s, want %s", cases[i].mhz, got ? got : "NULL",
                     cases[i].band ? cases[i].band : "NULL");
    }
}

static void test_wifi_query_refuses_non_wifi(void **state)
{
    (void)state;
    struct vr_wifi w;
    struct vr_errbuf eb = {""};
    w.has_signal = true;
    assert_int_equal(vr_link_wifi_query("lo", &w, &eb), VR_ENOTFOUND);
    assert_non_null(strstr(eb.msg, "lo is not Wi-Fi"));
    assert_false(w.has_signal); /* reset on every path */
    assert_true(w.tx_bitrate_mbps < 0);
    assert_int_equal(vr_link_wifi_query("nosuch-vr0", &w, &eb), -ENODEV);
    assert_non_null(strstr(eb.msg, "nosuch-vr0"));
    assert_int_equal(vr_link_wifi_query("../lo", &w, NULL), -ENODEV);
    assert_int_equal(vr_link_wifi_query(NULL, &w, NULL), -ENODEV);
}

/* The netlink half, for real, on a machine without Wi-Fi: a fake tree calls "lo" Wi-Fi, so the
 * query opens a generic netlink socket and asks for nl80211. Without cfg80211 (these test
 * machines) the family is missing; with it, the kernel refuses lo. Either way: an error that
 * names nl80211 or lo, unknown values, and no leak or overrun under ASan. */
static void test_wifi_query_netlink_refusal(void **state)
{
    (void)state;
    struct vr_wifi w;
    struct vr_errbuf eb = {""};
    int rc;
    char path[256];
    mkdirf("%s/%s/%s", "lo", "wireless");
    w.has_signal = true;
    rc = vr__link_wifi_query_at(root, "lo", &w, &eb);
    snprintf(path, sizeof(path), "%s/lo/wireless", root);
    assert_int_equal(rmdir(path), 0); /* the tree's lo is "other" again for other tests */
    assert_true(rc < 0);
    if (rc == VR_ENOTFOUND)
        assert_non_null(strstr(eb.msg, "no nl80211"));
    else
        assert_non_null(strstr(eb.msg, "nl80211 query of lo failed"));
    assert_false(w.has_signal);
    assert_int_equal(w.freq_mhz, 0);
    assert_string_equal(w.ssid, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_classify_physical),
        cmocka_unit_test(test_link_classify_virtual_is_other),
        cmocka_unit_test(test_link_classify_stacked_follows_lower),
        cmocka_unit_test(test_link_classify_bad_input),
        cmocka_unit_test(test_link_classify_real_loopback),
        cmocka_unit_test(test_link_kind_names),
        cmocka_unit_test(test_wifi_band_edges),
        cmocka_unit_test(test_wifi_query_refuses_non_wifi),
        cmocka_unit_test(test_wifi_query_netlink_refusal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
