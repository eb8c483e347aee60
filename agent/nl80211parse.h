/* nl80211parse: reads the answers of the kernel's nl80211 (Wi-Fi) generic-netlink family from
 * raw message bytes: a struct nlmsghdr, a struct genlmsghdr, then attributes (netlink(7),
 * include/uapi/linux/nl80211.h).
 *
 * Pure and bounds-checked: it never reads past len, never trusts a length field, and does no
 * I/O (link.c sends the requests through libnl and hands each reply here), so that recorded
 * messages can be unit-tested and fuzzed without Wi-Fi hardware. Netlink is host byte order.
 * Borrows its input, allocates nothing; any thread. */
#ifndef VR_NL80211PARSE_H
#define VR_NL80211PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define VR_NL80211_SSID_MAX 32 /* IEEE 802.11: an SSID is 0 to 32 octets, any values */

/* From NL80211_CMD_NEW_INTERFACE, the answer to NL80211_CMD_GET_INTERFACE. */
struct vr_nl80211_iface {
    uint32_t ifindex;  /* NL80211_ATTR_IFINDEX, 0 when absent */
    uint32_t iftype;   /* NL80211_ATTR_IFTYPE (NL80211_IFTYPE_STATION = 2), 0 when absent */
    uint32_t freq_mhz; /* NL80211_ATTR_WIPHY_FREQ, else the first MLO link's; 0 when absent */
    bool has_ssid;     /* NL80211_ATTR_SSID: only while associated */
    size_t ssid_len;
    uint8_t ssid[VR_NL80211_SSID_MAX]; /* raw octets, not terminated */
};

/* From one NL80211_CMD_NEW_STATION (an entry of a NL80211_CMD_GET_STATION dump). In managed
 * mode the one station is the access point the interface is associated with. */
struct vr_nl80211_station {
    uint32_t ifindex; /* NL80211_ATTR_IFINDEX, 0 when absent */
    bool has_mac;
    uint8_t mac[6];  /* NL80211_ATTR_MAC: the peer (BSSID in managed mode) */
    bool has_signal; /* NL80211_STA_INFO_SIGNAL: last frame's signal */
    int signal_dbm;  /* (s8) */
    bool has_signal_avg;
    int signal_avg_dbm;          /* NL80211_STA_INFO_SIGNAL_AVG */
    uint32_t tx_bitrate_100kbps; /* NL80211_RATE_INFO_BITRATE32, else BITRATE (u16); 0 absent */
};

/* Parse one message. Returns 0; VR_ETRUNC when len is shorter than the headers or than the
 * message's own nlmsg_len; VR_EINVAL for a message that is not the expected command (iface:
 * NL80211_CMD_NEW_INTERFACE, station: NL80211_CMD_NEW_STATION) or has an attribute whose length
 * runs past its container or is wrong for its type (a u32 shorter than 4 bytes, an SSID
 * longer than 32, a MAC that is not 6). Unknown attributes are skipped; when one appears twice
 * the last one counts, as with libnl's nla_parse(). *out is zeroed first. */
int vr_nl80211_parse_iface(const void *msg, size_t len, struct vr_nl80211_iface *out);
int vr_nl80211_parse_station(const void *msg, size_t len, struct vr_nl80211_station *out);

/* Writes ssid (raw octets) as a printable UTF-8 string into out: valid UTF-8 other than control
 * characters is kept, '\\' and every other octet become "\\xNN" (as iw prints SSIDs), so the
 * result is valid JSON string content and unambiguous. Always terminates out when cap > 0;
 * returns the length it needed (as snprintf), so cap >= 4 * 32 + 1 never truncates. */
size_t vr_nl80211_format_ssid(const uint8_t *ssid, size_t ssid_len, char *out, size_t cap);

#endif
