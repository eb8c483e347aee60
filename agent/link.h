/* link: what carries an interface's traffic — "wired", "wifi" or "other" — and, for Wi-Fi, the
 * radio's state (SSID, signal, transmit bitrate, frequency, band) read from the kernel's nl80211
 * through libnl-genl-3, so that Wi-Fi jitter is not blamed on the WAN.
 *
 * Link kinds (from sysfs, /sys/class/net/IF):
 *  - wifi:  IF has wireless/ or phy80211/ (or uevent DEVTYPE=wlan), or a device IF is stacked on
 *           (lower_*: bridge port, VLAN, macvlan, bond slave) is Wi-Fi;
 *  - wired: an Ethernet (ARPHRD_ETHER) interface backed by hardware (IF/device exists: PCI, USB,
 *           virtio in a VM), or a stacked device whose lower devices include one;
 *  - other: everything the agent cannot see the medium of: loopback, tunnels (tun, WireGuard,
 *           GRE, PPP), mobile broadband (DEVTYPE=wwan), and virtual Ethernet with nothing
 *           physical beneath (veth, tap, a bridge of veths: a container's eth0, the test lab).
 * It does not bind sockets (sock.c does) or decide what to measure. The nl80211 parsing is in
 * nl80211parse.c, pure; this file does the sysfs reads and the netlink I/O. Blocking calls of
 * a few hundred microseconds; any thread; no global state. The link kinds and struct vr_wifi
 * themselves are in common/wifi.h, which records use. */
#ifndef VR_LINK_H
#define VR_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nl80211parse.h"
#include "wifi.h"

#define VR_LINK_SYSFS_NET "/sys/class/net"

/* Classifies ifname by the rules above from sysfs_net (VR_LINK_SYSFS_NET; tests pass a directory
 * laid out the same way). When the result is VR_LINK_WIFI and radio is not NULL, radio receives
 * the Wi-Fi interface to ask nl80211 about (ifname itself, or the device beneath it). A name
 * that is empty, too long or contains '/' is "other". */
enum vr_link_kind vr_link_classify(const char *sysfs_net, const char *ifname, char *radio,
                                   size_t radio_len);

/* Combines parsed replies into w (reset first); station may be NULL (not associated). */
void vr_wifi_from_nl80211(const struct vr_nl80211_iface *iface,
                          const struct vr_nl80211_station *station, struct vr_wifi *w);

/* Reads ifname's Wi-Fi state from nl80211: NL80211_CMD_GET_INTERFACE (SSID, frequency) and a
 * NL80211_CMD_GET_STATION dump (the access point's signal and our transmit bitrate). ifname
 * may be stacked on the radio (a VLAN or bridge over wlan0): the radio beneath is asked.
 * Returns 0 with *out filled (fields unknown when not associated); -ENODEV when there is no
 * such interface; VR_ENOTFOUND when ifname is not Wi-Fi or the kernel has no nl80211; another
 * negative code for a netlink failure. eb (may be NULL) names the problem. *out is reset on
 * every path. */
int vr_link_wifi_query(const char *ifname, struct vr_wifi *out, struct vr_errbuf *eb);

/* vr_link_wifi_query with the link kind read from another sysfs tree: lets a test without Wi-Fi
 * drive the netlink half (a fake tree that calls "lo" Wi-Fi). Tests only. */
int vr__link_wifi_query_at(const char *sysfs_net, const char *ifname, struct vr_wifi *out,
                           struct vr_errbuf *eb);

#endif
