/* profile: the traffic classes (DSCP marks) and codec profiles (packet size, pacing, RTP clock)
 * that make a probe stream look like Teams media. Pure tables; no I/O; any thread. */
#ifndef VR_PROFILE_H
#define VR_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum vr_class {
    VR_CLASS_AUDIO = 0,      /* EF, DSCP 46 */
    VR_CLASS_VIDEO = 1,      /* AF41, DSCP 34 */
    VR_CLASS_SHARING = 2,    /* AF21, DSCP 18 */
    VR_CLASS_BESTEFFORT = 3, /* CS0, DSCP 0: the unmarked control */
};
#define VR_CLASS_COUNT 4

struct vr_class_info {
    enum vr_class cls;
    const char *name;       /* "audio", ... as in records */
    uint8_t dscp;           /* 46, 34, 18, 0 */
    const char *dscp_name;  /* "EF", "AF41", "AF21", "CS0" */
    uint16_t teams_port_lo; /* first Teams client source port of the modality (besteffort: 0) */
    const char *profile;    /* default codec profile name */
};

/* Borrowed, static. cls must be a valid enum value. */
const struct vr_class_info *vr_class_get(enum vr_class cls);
/* Looks a class up by record name; returns 0 or VR_EINVAL. */
int vr_class_by_name(const char *name, enum vr_class *out);
/* "EF", "AF41", "CS0", ... or NULL when the value has no standard name. */
const char *vr_dscp_name(unsigned dscp);

struct vr_profile {
    const char *name;      /* "teams-audio", "g711", "teams-video", "teams-sharing" */
    size_t payload_len;    /* UDP payload bytes per packet (RTP header included) */
    uint32_t period_ns;    /* pacing: 20 ms */
    uint8_t rtp_pt;        /* RTP payload type */
    uint32_t rtp_clock_hz; /* RTP timestamp rate */
    const char *codec;     /* E-model codec row used for MOS, see mos.h */
};

/* Borrowed, static; NULL when unknown. */
const struct vr_profile *vr_profile_find(const char *name);
/* Comma-separated names of all profiles, for help and error messages. Static. */
const char *vr_profile_names(void);

/* Bits per second on the IP layer (IPv4: 20 + 8 header bytes) of one stream of the profile. */
double vr_profile_ip_bps(const struct vr_profile *p, int ipv6);

#endif
