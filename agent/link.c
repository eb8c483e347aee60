/* link: link kind from sysfs and Wi-Fi state from nl80211; see link.h. */
#include "link.h"

#include <dirent.h>
#include <errno.h>
#include <linux/nl80211.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

/* bridge over bond over VLAN over a port is as deep as real stacks go; the bound also stops a
 * corrupt or hostile tree from recursing forever */
#define MAX_STACK_DEPTH 4

_Static_assert(VR_WIFI_SSID_OCTETS == VR_NL80211_SSID_MAX, "wifi.h and nl80211 agree on an SSID");

/* ---- sysfs ---- */

static bool valid_ifname(const char *n)
{
    size_t len = n != NULL ? strnlen(n, IFNAMSIZ) : 0;
    return len > 0 && len < IFNAMSIZ && strchr(n, '/') == NULL && strcmp(n, ".") != 0 &&
           strcmp(n, "..") != 0;
}

static bool exists(const char *root, const char *ifname, const char *leaf)
{
    char path[512];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, leaf);
    return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}

/* The first line of root/ifname/leaf into buf; false when unreadable. */
static bool read_leaf(const char *root, const char *ifname, const char *leaf, char *buf, size_t cap)
{
    char path[512];
    FILE *f;
    int n = snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, leaf);
    bool ok;

    if (n < 0 || (size_t)n >= sizeof(path) || (f = fopen(path, "r")) == NULL)
        return false;
    ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    return ok;
}

/* DEVTYPE from the uevent file ("wlan", "wwan", "bridge", "vlan"...), "" when none. */
static void devtype(const char *root, const char *ifname, char *out, size_t cap)
{
    char path[512], line[128];
    FILE *f;
    int n = snprintf(path, sizeof(path), "%s/%s/uevent", root, ifname);

    out[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof(path) || (f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "DEVTYPE=", 8) == 0) {
            snprintf(out, cap, "%.*s", (int)strcspn(line + 8, "\r\n"), line + 8);
            break;
        }
    }
    fclose(f);
}

static void set_radio(char *radio, size_t radio_len, const char *ifname)
{
    if (radio != NULL && radio_len > 0)
        snprintf(radio, radio_len, "%s", ifname);
}

static enum vr_link_kind classify(const char *root, const char *ifname, char *radio,
                                  size_t radio_len, int depth)
{
    char buf[32];
    DIR *d;
    struct dirent *e;
    bool any_lower = false, wired_lower = false;
    long type;

    if (!valid_ifname(ifname))
        return VR_LINK_OTHER;
    devtype(root, ifname, buf, sizeof(buf));
    if (exists(root, ifname, "wireless") || exists(root, ifname, "phy80211") ||
        strcmp(buf, "wlan") == 0) {
        set_radio(radio, radio_len, ifname);
        return VR_LINK_WIFI;
    }
    /* an LTE/5G modem may present itself as Ethernet (cdc_ether): a radio, but not Wi-Fi */
    if (strcmp(buf, "wwan") == 0)
        return VR_LINK_OTHER;

    /* a stacked device (bridge, VLAN, bond, macvlan) is what it is stacked on: Wi-Fi wins, since
     * traffic that may cross a radio must not be reported as wired */
    if (depth < MAX_STACK_DEPTH) {
        char path[512];
        int n = snprintf(path, sizeof(path), "%s/%s", root, ifname);
        d = n > 0 && (size_t)n < sizeof(path) ? opendir(path) : NULL;
        while (d != NULL && (e = readdir(d)) != NULL) {
            enum vr_link_kind k;
            if (strncmp(e->d_name, "lower_", 6) != 0)
                continue;
            any_lower = true;
            k = classify(root, e->d_name + 6, radio, radio_len, depth + 1);
            if (k == VR_LINK_WIFI) {
                closedir(d);
                return VR_LINK_WIFI;
            }
            wired_lower = wired_lower || k == VR_LINK_WIRED;
        }
        if (d != NULL)
            closedir(d);
        if (any_lower)
            return wired_lower ? VR_LINK_WIRED : VR_LINK_OTHER;
    }

    if (!read_leaf(root, ifname, "type", buf, sizeof(buf)) || sscanf(buf, "%ld", &type) != 1)
        return VR_LINK_OTHER;
    /* no device/ link: virtual (veth, tap, an empty bridge), whatever carries it is unknown */
    return type == ARPHRD_ETHER && exists(root, ifname, "device") ? VR_LINK_WIRED : VR_LINK_OTHER;
}

enum vr_link_kind vr_link_classify(const char *sysfs_net, const char *ifname, char *radio,
                                   size_t radio_len)
{
    if (radio != NULL && radio_len > 0)
        radio[0] = '\0';
    return classify(sysfs_net != NULL ? sysfs_net : VR_LINK_SYSFS_NET, ifname, radio, radio_len, 0);
}

/* ---- Wi-Fi values ---- */

void vr_wifi_from_nl80211(const struct vr_nl80211_iface *iface,
                          const struct vr_nl80211_station *station, struct vr_wifi *w)
{
    vr_wifi_reset(w);
    if (iface != NULL) {
        if (iface->has_ssid)
            vr_nl80211_format_ssid(iface->ssid, iface->ssid_len, w->ssid, sizeof(w->ssid));
        w->freq_mhz = iface->freq_mhz;
    }
    if (station != NULL) {
        /* the last frame's signal, as `iw dev IF link` shows; the average only when the driver
         * gives nothing else */
        if (station->has_signal) {
            w->has_signal = true;
            w->signal_dbm = station->signal_dbm;
        } else if (station->has_signal_avg) {
            w->has_signal = true;
            w->signal_dbm = station->signal_avg_dbm;
        }
        if (station->tx_bitrate_100kbps > 0)
            w->tx_bitrate_mbps = station->tx_bitrate_100kbps / 10.0;
    }
}

/* ---- nl80211 I/O ---- */

struct query {
    struct vr_nl80211_iface iface;
    bool has_iface;
    struct vr_nl80211_station sta;
    bool has_sta;
    int parse_err;
};

static int on_iface(struct nl_msg *msg, void *arg)
{
    struct query *q = arg;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    int rc = vr_nl80211_parse_iface(h, h->nlmsg_len, &q->iface);

    if (rc < 0)
        q->parse_err = rc;
    else
        q->has_iface = true;
    return NL_SKIP;
}

static int on_station(struct nl_msg *msg, void *arg)
{
    struct query *q = arg;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    struct vr_nl80211_station sta;
    int rc = vr_nl80211_parse_station(h, h->nlmsg_len, &sta);

    if (rc < 0)
        q->parse_err = rc;
    /* managed mode has one station, the access point; keep the first that reports a signal */
    else if (!q->has_sta || (!q->sta.has_signal && sta.has_signal)) {
        q->sta = sta;
        q->has_sta = true;
    }
    return NL_SKIP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
    (void)msg;
    *(int *)arg = 0;
    return NL_SKIP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
    (void)msg;
    *(int *)arg = 0;
    return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
    (void)nla;
    *(int *)arg = err->error < 0 ? err->error : -EIO;
    return NL_STOP;
}

/* Sends one nl80211 command about ifindex and feeds every reply to valid. 0 or a negative
 * errno (from the kernel's NLMSG_ERROR) or -EIO for a libnl failure. */
static int request(struct nl_sock *sk, int family, uint8_t cmd, int flags, unsigned ifindex,
                   nl_recvmsg_msg_cb_t valid, struct query *q)
{
    struct nl_msg *msg = nlmsg_alloc();
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    int state = 1, rc = -ENOMEM;

    if (msg == NULL || cb == NULL)
        goto out;
    rc = -EIO;
    if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, 0) == NULL ||
        nla_put_u32(msg, NL80211_ATTR_IFINDEX, ifindex) < 0)
        goto out;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, q);
    nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &state);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &state);
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, &state);
    if (nl_send_auto(sk, msg) < 0)
        goto out;
    /* a dump ends with NLMSG_DONE, a plain request with its ACK; both may take several reads */
    while (state > 0) {
        if (nl_recvmsgs(sk, cb) < 0 && state > 0) {
            state = -EIO;
            break;
        }
    }
    rc = state;
out:
    nl_cb_put(cb);
    nlmsg_free(msg);
    return rc;
}

int vr_link_wifi_query(const char *ifname, struct vr_wifi *out, struct vr_errbuf *eb)
{
    return vr__link_wifi_query_at(VR_LINK_SYSFS_NET, ifname, out, eb);
}

int vr__link_wifi_query_at(const char *sysfs_net, const char *ifname, struct vr_wifi *out,
                           struct vr_errbuf *eb)
{
    char radio[IFNAMSIZ];
    struct query q;
    struct nl_sock *sk = NULL;
    struct timeval tv = {1, 0};
    unsigned idx;
    int family, rc;

    vr_wifi_reset(out);
    memset(&q, 0, sizeof(q));
    if (!valid_ifname(ifname) || if_nametoindex(ifname) == 0)
        return vr_errbuf_set(eb, -ENODEV, "no network interface \"%s\"",
                             ifname != NULL ? ifname : "");
    if (vr_link_classify(sysfs_net, ifname, radio, sizeof(radio)) != VR_LINK_WIFI)
        return vr_errbuf_set(eb, VR_ENOTFOUND, "interface %s is not Wi-Fi", ifname);
    idx = if_nametoindex(radio);
    if (idx == 0)
        return vr_errbuf_set(eb, -ENODEV, "no network interface \"%s\"", radio);
    sk = nl_socket_alloc();
    if (sk == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory for a netlink socket");
    if (genl_connect(sk) < 0) {
        rc = vr_errbuf_set(eb, -EIO, "cannot open a generic netlink socket");
        goto out;
    }
    /* the kernel answers at once; the timeout only guards against a wedged netlink */
    (void)setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    family = genl_ctrl_resolve(sk, NL80211_GENL_NAME);
    if (family < 0) {
        rc = vr_errbuf_set(eb, VR_ENOTFOUND,
                           "the kernel has no nl80211 (cfg80211): no Wi-Fi details for %s", radio);
        goto out;
    }
    rc = request(sk, family, NL80211_CMD_GET_INTERFACE, 0, idx, on_iface, &q);
    if (rc == 0)
        rc = request(sk, family, NL80211_CMD_GET_STATION, NLM_F_DUMP, idx, on_station, &q);
    if (rc < 0) {
        vr_errbuf_set(eb, rc, "nl80211 query of %s failed: %s", radio, vr_strerror(rc));
        goto out;
    }
    if (q.parse_err < 0 && !q.has_iface) {
        rc = vr_errbuf_set(eb, q.parse_err, "nl80211 answer about %s is malformed: %s", radio,
                           vr_strerror(q.parse_err));
        goto out;
    }
    vr_wifi_from_nl80211(q.has_iface ? &q.iface : NULL, q.has_sta ? &q.sta : NULL, out);
    rc = 0;
out:
    nl_socket_free(sk);
    return rc;
}
