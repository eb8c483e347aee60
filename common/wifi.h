/* wifi: the pure part of a link's description that records carry: the link kind ("wired",
 * "wifi", "other") and, for Wi-Fi, the radio's state of one moment (SSID, signal, transmit
 * bitrate, frequency, band). The agent fills these from sysfs and nl80211 (agent/link.h); the
 * collector only reads them back from records (record.h). Values and names only: no I/O, no
 * allocation, no global state; any thread. */
#ifndef VR_WIFI_H
#define VR_WIFI_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum vr_link_kind {
    VR_LINK_OTHER = 0,
    VR_LINK_WIRED = 1,
    VR_LINK_WIFI = 2,
};

/* IEEE 802.11: an SSID is 0 to 32 octets, any values */
#define VR_WIFI_SSID_OCTETS 32
/* 32 SSID octets, each "\xNN" at worst, and the NUL */
#define VR_WIFI_SSID_LEN (4 * VR_WIFI_SSID_OCTETS + 1)

/* The Wi-Fi state of one moment. Unknown values: ssid "", has_signal false,
 * tx_bitrate_mbps < 0, freq_mhz 0 (vr_wifi_reset). */
struct vr_wifi {
    char ssid[VR_WIFI_SSID_LEN]; /* printable UTF-8 (vr_nl80211_format_ssid) */
    bool has_signal;
    int signal_dbm;         /* of the access point's frames, NL80211_STA_INFO_SIGNAL */
    double tx_bitrate_mbps; /* our transmit rate to the access point */
    uint32_t freq_mhz;      /* operating channel's centre frequency */
};

/* "wired" | "wifi" | "other": static strings. */
const char *vr_link_kind_name(enum vr_link_kind k);
/* 0, or VR_EINVAL for any other string. */
int vr_link_kind_by_name(const char *name, enum vr_link_kind *out);

/* "2.4GHz", "5GHz", "6GHz", "60GHz" for a centre frequency in those bands, else NULL.
 * (2400-2500, 4900-5924, 5925-7125 and 57000-71000 MHz; 6 GHz channel 2 is 5935 MHz.) */
const char *vr_wifi_band(uint32_t freq_mhz);

/* Sets every field to unknown. */
void vr_wifi_reset(struct vr_wifi *w);

#endif
