/* plan: call planning for a site (issue 6 §2): the planned peak of concurrent calls from users
 * and peak concurrency (or a direct figure), growth on top, the bandwidth per direction from the
 * per-modality bitrates of REFERENCE.md §1, and the capacity rule that compares a measured call
 * capacity with the plan. Pure integer/float arithmetic; no I/O, no allocation; any thread.
 *
 * Percentages are kept in hundredths of a percent (1500 = 15 %) so that ceil() never rounds a
 * product such as 40 x 110 % = 44 up to 45 through binary floating point. */
#ifndef VR_PLAN_H
#define VR_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum vr_plan_modality {
    VR_PLAN_AUDIO = 0,
    VR_PLAN_VIDEO = 1,
    VR_PLAN_SHARING = 2,
};
#define VR_PLAN_N_MOD 3

/* Bitrate per direction of one call using each modality, bits/s (REFERENCE.md §1, Microsoft's
 * "prepare your network" bandwidth table):
 * - audio 30 kbps;
 * - video 1.2 Mbps: the table lists 500 kbps at 360p30, 1.2 Mbps at 720p30 and 1.5 Mbps at
 *   1080p30. 720p30 is what a desktop client sends in a meeting with one main video on a
 *   normal screen; 360p would under-plan any site with laptops, 1080p is rare (needs a large
 *   window and enough CPU). Planners wanting 1080p can scale the video share.
 * - sharing 100 kbps: the table gives "audio + screen sharing 130 kbps", minus audio 30 kbps.
 * The source does not say whether these figures include IP/UDP/RTP headers (REFERENCE.md only
 * says "bandwidth per direction"); VR_PLAN_BITRATE_BASIS says so in every output. A capacity
 * run reports wire rates (headers included), so its bits/s are not directly comparable. */
#define VR_PLAN_AUDIO_BPS   30000.0
#define VR_PLAN_VIDEO_BPS   1200000.0
#define VR_PLAN_SHARING_BPS 100000.0
#define VR_PLAN_BITRATE_BASIS                                                                  \
    "Microsoft's per-direction bandwidth table (REFERENCE.md section 1); the source does not " \
    "say whether IP/UDP/RTP headers are included"

#define VR_PLAN_MAX_USERS       10000000u
#define VR_PLAN_MAX_CALLS       1000000u
#define VR_PLAN_MAX_GROWTH_CPCT 100000u /* 1000 % */
/* Capacity below planned x 1.2 is At risk: 20 % headroom wanted. */
#define VR_PLAN_HEADROOM_PCT 20u

struct vr_plan_input {
    uint32_t users;            /* people at the site; 0 when peak_calls is given */
    uint32_t concurrency_cpct; /* share of users in a call at the peak, 1/100 % (1500 = 15 %) */
    uint32_t peak_calls;       /* a direct planned peak; wins over users x concurrency when > 0 */
    uint32_t growth_cpct;      /* growth on top of the peak, 1/100 % */
    double mix[VR_PLAN_N_MOD]; /* share of calls using each modality, 0..1 */
};

/* Defaults: no users, no peak, growth 0, mix audio=1, video=0, sharing=0. */
void vr_plan_input_init(struct vr_plan_input *in);
/* True when in names a plan (users and concurrency, or peak_calls). */
bool vr_plan_input_valid(const struct vr_plan_input *in);

struct vr_plan {
    bool from_users;               /* peak = ceil(users x concurrency) (else the direct figure) */
    uint32_t peak_calls;           /* planned peak without growth */
    uint32_t planned_calls;        /* ceil(peak x (1 + growth)): what capacity must carry */
    double mod_bps[VR_PLAN_N_MOD]; /* per direction at planned_calls, by modality */
    double bps_peak, bps_planned;  /* per direction, all modalities */
    double bitrate_bps[VR_PLAN_N_MOD]; /* the per-call bitrates used */
};

/* Computes the plan. 0, or VR_EINVAL with eb when in is not a plan or out of range. */
int vr_plan_compute(const struct vr_plan_input *in, struct vr_plan *out, struct vr_errbuf *eb);

/* "15", "15%", "12.5 %" (at most two decimals) into hundredths of a percent in [0, max_cpct].
 * what names the option or key for the message. 0 or VR_EINVAL. */
int vr_plan_parse_pct(const char *s, const char *what, uint32_t max_cpct, uint32_t *out,
                      struct vr_errbuf *eb);
/* "audio=1,video=0.3,sharing=0.1" (any order, any subset; classes not named are 0) into mix.
 * Each share 0..1, at most three decimals. 0 or VR_EINVAL. */
int vr_plan_parse_mix(const char *s, const char *what, double mix[VR_PLAN_N_MOD],
                      struct vr_errbuf *eb);
/* "audio=1,video=0.3,sharing=0.1" (shares with up to three decimals, zero shares left out). */
void vr_plan_format_mix(const double mix[VR_PLAN_N_MOD], char *buf, size_t len);
const char *vr_plan_modality_name(enum vr_plan_modality m); /* "audio" | "video" | "sharing" */

enum vr_capacity_status {
    VR_CAPACITY_NO_PLAN = 0,      /* rule does not apply */
    VR_CAPACITY_READY = 1,        /* capacity >= planned x 1.2 */
    VR_CAPACITY_NOT_MEASURED = 2, /* a plan but no capacity run: At risk (never passes silently) */
    VR_CAPACITY_AT_RISK = 3,      /* planned <= capacity < planned x 1.2 */
    VR_CAPACITY_NOT_READY = 4,    /* capacity < planned */
};
/* "no_plan" | "ready" | "not_measured" | "at_risk" | "not_ready" */
const char *vr_capacity_status_name(enum vr_capacity_status s);
/* The site verdict level the status asks for: 0 ready (also no plan), 1 at risk, 2 not ready
 * (the values of enum vr_site_verdict in score.h). */
int vr_capacity_status_level(enum vr_capacity_status s);

/* The capacity rule. plan NULL = no plan; measured false = no capacity run yet. reason gets
 * e.g. "capacity 18 calls < planned peak 24 (+10 % growth)". */
enum vr_capacity_status vr_plan_judge(const struct vr_plan *plan, uint32_t growth_cpct,
                                      bool measured, uint32_t capacity_calls, char *reason,
                                      size_t len);

#endif
