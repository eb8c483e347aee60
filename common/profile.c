#include "profile.h"

#include <string.h>

#include "err.h"

static const struct vr_class_info classes[VR_CLASS_COUNT] = {
    {VR_CLASS_AUDIO, "audio", 46, "EF", 50000, "teams-audio"},
    {VR_CLASS_VIDEO, "video", 34, "AF41", 50020, "teams-video"},
    {VR_CLASS_SHARING, "sharing", 18, "AF21", 50040, "teams-sharing"},
    {VR_CLASS_BESTEFFORT, "besteffort", 0, "CS0", 0, "teams-audio"},
};

/* Sizes are UDP payloads (RTP header included) at 20 ms pacing. teams-audio approximates a
 * SILK/Satin wideband frame plus SRTP overhead; the video and sharing rows give roughly the
 * per-direction rates of Microsoft's bandwidth table (REFERENCE.md §1) at 50 packets/s. */
static const struct vr_profile profiles[] = {
    {"teams-audio", 100, 20000000u, 111, 16000, "g711"},
    {"g711", 172, 20000000u, 0, 8000, "g711"},
    {"teams-video", 1200, 20000000u, 122, 90000, "g711"},
    {"teams-sharing", 300, 20000000u, 123, 90000, "g711"},
};

const struct vr_class_info *vr_class_get(enum vr_class cls)
{
    return &classes[cls];
}

int vr_class_by_name(const char *name, enum vr_class *out)
{
    for (size_t i = 0; i < VR_CLASS_COUNT; i++) {
        if (strcmp(classes[i].name, name) == 0) {
            *out = classes[i].cls;
            return 0;
        }
    }
    return VR_EINVAL;
}

const char *vr_dscp_name(unsigned dscp)
{
    static const struct {
        unsigned v;
        const char *n;
    } names[] = {{0, "CS0"},   {8, "CS1"},   {10, "AF11"}, {12, "AF12"}, {14, "AF13"}, {16, "CS2"},
                 {18, "AF21"}, {20, "AF22"}, {22, "AF23"}, {24, "CS3"},  {26, "AF31"}, {28, "AF32"},
                 {30, "AF33"}, {32, "CS4"},  {34, "AF41"}, {36, "AF42"}, {38, "AF43"}, {40, "CS5"},
                 {44, "VA"},   {46, "EF"},   {48, "CS6"},  {56, "CS7"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].v == dscp)
            return names[i].n;
    }
    return NULL;
}

const struct vr_profile *vr_profile_find(const char *name)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    }
    return NULL;
}

const char *vr_profile_names(void)
{
    return "teams-audio, g711, teams-video, teams-sharing";
}

double vr_profile_ip_bps(const struct vr_profile *p, int ipv6)
{
    double hdr = ipv6 ? 48.0 : 28.0;
    return ((double)p->payload_len + hdr) * 8.0 * 1e9 / (double)p->period_ns;
}
