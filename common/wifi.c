/* wifi: link kind names and Wi-Fi values; see wifi.h. */
#include "wifi.h"

#include <string.h>

const char *vr_link_kind_name(enum vr_link_kind k)
{
    switch (k) {
    case VR_LINK_OTHER:
        return "other";
    case VR_LINK_WIRED:
        return "wired";
    case VR_LINK_WIFI:
        return "wifi";
    }
    return "other";
}

int vr_link_kind_by_name(const char *name, enum vr_link_kind *out)
{
    static const enum vr_link_kind all[] = {VR_LINK_OTHER, VR_LINK_WIRED, VR_LINK_WIFI};
    for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, vr_link_kind_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return VR_EINVAL;
}

const char *vr_wifi_band(uint32_t freq_mhz)
{
    if (freq_mhz >= 2400 && freq_mhz <= 2500)
        return "2.4GHz";
    if (freq_mhz >= 4900 && freq_mhz < 5925)
        return "5GHz";
    if (freq_mhz >= 5925 && freq_mhz <= 7125)
        return "6GHz";
    if (freq_mhz >= 57000 && freq_mhz <= 71000)
        return "60GHz";
    return NULL;
}

void vr_wifi_reset(struct vr_wifi *w)
{
    memset(w, 0, sizeof(*w));
    w->tx_bitrate_mbps = -1.0;
}
