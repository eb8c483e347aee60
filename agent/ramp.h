/* ramp: the pure decisions of a capacity ramp (`voiceready-agent capacity`): how many streams of
 * each class N calls of a mix are, their wire rate per direction, the largest call count that
 * --max-rate allows, and which call count to try next from the history of passes and fails
 * (doubling 1, 2, 4, 8... until a step fails, then a binary search between the last pass and the
 * first fail), and why the ramp stopped. Also the parsers of --mix and --max-rate.
 *
 * It runs nothing and measures nothing (capacity.c does, with one session per step). No I/O, no
 * clock, no allocation; any thread, one struct vr_ramp per ramp. */
#ifndef VR_RAMP_H
#define VR_RAMP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "profile.h"

/* Why the ramp stopped (the "limit" of the capacity record). */
enum vr_ramp_limit {
    VR_RAMP_RUNNING = 0,
    VR_RAMP_THRESHOLD,   /* the binary search closed: last pass + 1 failed a threshold */
    VR_RAMP_MAX_CALLS,   /* --max-calls passed */
    VR_RAMP_MAX_RATE,    /* the largest call count within --max-rate passed */
    VR_RAMP_LOSS_STOP,   /* a step lost more than the safety limit (5 %): stopped at once */
    VR_RAMP_INTERRUPTED, /* Ctrl-C or a planned stop */
};
/* "threshold", "max_calls", "max_rate", "loss_stop", "interrupted" ("running" while running). */
const char *vr_ramp_limit_name(enum vr_ramp_limit l);

enum vr_ramp_outcome {
    VR_RAMP_PASS,      /* every interval of the step passed or warned */
    VR_RAMP_FAIL,      /* an interval failed a threshold */
    VR_RAMP_STOP_LOSS, /* an interval lost more than the safety limit: a fail that ends the ramp */
    VR_RAMP_STOP_INTERRUPT, /* ends the ramp; report the step's FAIL first if it had one */
};

#define VR_RAMP_MIX_MAX_SHARE 16.0 /* streams of one class per call */
#define VR_RAMP_CALLS_LIMIT   5000u

/* The call mix: streams per call by class, and the wire rate (IP + UDP + RTP + payload, bits/s)
 * of one stream of the class in each direction. */
struct vr_ramp_mix {
    double share[VR_CLASS_COUNT]; /* 0: class not in the mix */
    double stream_bps_fwd[VR_CLASS_COUNT], stream_bps_rev[VR_CLASS_COUNT];
};

/* Streams of class cls for `calls` calls: round(share x calls), at least 1 when share > 0;
 * 0 when the class is not in the mix or calls is 0. */
uint32_t vr_ramp_streams(const struct vr_ramp_mix *m, int cls, uint32_t calls);
/* Wire rate of `calls` calls per direction (bits/s). */
void vr_ramp_rate(const struct vr_ramp_mix *m, uint32_t calls, double *fwd_bps, double *rev_bps);
/* The largest call count <= max_calls whose rate stays <= max_rate_bps in both directions;
 * 0 when even one call exceeds it. */
uint32_t vr_ramp_rate_cap(const struct vr_ramp_mix *m, double max_rate_bps, uint32_t max_calls);

struct vr_ramp {
    uint32_t max_calls;
    uint32_t cap;        /* min(max_calls, rate cap) */
    bool cap_by_rate;    /* the cap comes from --max-rate */
    uint32_t last_pass;  /* largest passing call count, 0 = none */
    uint32_t first_fail; /* smallest failing call count, 0 = none */
    enum vr_ramp_limit limit;
};

void vr_ramp_init(struct vr_ramp *r, const struct vr_ramp_mix *m, uint32_t max_calls,
                  double max_rate_bps);
/* The call count of the next step, or 0 when the ramp is over (r->limit says why; the capacity
 * is r->last_pass). */
uint32_t vr_ramp_next(struct vr_ramp *r);
/* The outcome of the step that ran `calls` calls. */
void vr_ramp_report(struct vr_ramp *r, uint32_t calls, enum vr_ramp_outcome o);

/* "audio=1,video=0.3,sharing=0.1" (classes audio, video, sharing, besteffort; shares in
 * (0, 16], a class at most once; a bare class name means 1). Fills share[] (others 0).
 * 0 or VR_EINVAL with eb naming the part and the fix. */
int vr_ramp_parse_mix(const char *s, double share[VR_CLASS_COUNT], struct vr_errbuf *eb);
/* "10M", "500k", "2.5M", "1G", "64000" (bits/s; optional "bit", "bps" or "bit/s" after the
 * suffix), from 1 kbit/s to 100 Gbit/s. what names the option. 0 or VR_EINVAL. */
int vr_ramp_parse_rate(const char *s, const char *what, double *bps, struct vr_errbuf *eb);

#endif
