/* stream: one probe stream of a test (one call of one class), shared by the sender thread and
 * the loop thread of the session, and the test's timeline.
 *
 * Ownership: the session allocates and frees streams. Fields are split by who may touch them:
 * immutable after setup; written by the sender thread only (published through atomics); owned
 * by the loop thread. Agent-internal header. */
#ifndef VR_STREAM_H
#define VR_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "profile.h"
#include "stats.h"

/* Per-stream counters are kept per interval in a ring; an interval is finalised at most
 * late_ns (<= 10 s) after it ends and intervals are >= 1 s, so 16 slots never collide. */
#define VR_EPOCH_RING 16

struct vr_timeline {
    uint64_t t0_mono_ns;  /* first deadline grid origin */
    uint64_t t0_wall_ns;  /* wall clock at t0, for record start times */
    uint64_t period_ns;   /* packet pacing, the same for every stream */
    uint64_t interval_ns; /* aggregation interval */
    uint64_t duration_ns;
};

struct vr_stream {
    /* immutable after setup */
    void *owner; /* the session */
    int fd;
    int family;
    enum vr_class cls;
    const struct vr_profile *prof;
    uint32_t ssrc;
    uint8_t dscp;
    uint64_t offset_ns; /* phase inside the period: spreads streams evenly */
    uint32_t count;     /* probes this stream sends in the whole run */

    /* sender thread only */
    uint8_t *txbuf;

    /* written by the sender thread, read by the loop */
    _Atomic uint32_t sent; /* probes sent so far: seqs [0, sent) */
    _Atomic uint32_t overruns[VR_EPOCH_RING];
    _Atomic uint32_t send_errors;

    /* loop thread only */
    uv_poll_t poll;
    struct vr_seqwin win;
    struct vr_jitter jit_fwd, jit_rev;
    struct vr_reorder reorder;
    bool have_last;
    uint32_t last_seq;
    int64_t last_owd_fwd_ns, last_owd_rev_ns;
    uint32_t fwd_rx[VR_EPOCH_RING]; /* reflector's count of this epoch's probes (max seen) */
    uint32_t dups[VR_EPOCH_RING];
    uint32_t late[VR_EPOCH_RING];
    uint32_t reordered[VR_EPOCH_RING];
    uint64_t replies;
    bool count_answered;
};

/* Epoch (interval index) of the stream's probe number seq. */
static inline uint32_t vr_stream_epoch(const struct vr_stream *s, const struct vr_timeline *t,
                                       uint32_t seq)
{
    return (uint32_t)((s->offset_ns + (uint64_t)seq * t->period_ns) / t->interval_ns);
}

/* First probe number whose deadline falls in epoch e (clamped to count). */
static inline uint32_t vr_stream_first_seq(const struct vr_stream *s, const struct vr_timeline *t,
                                           uint32_t e)
{
    uint64_t start = (uint64_t)e * t->interval_ns;
    uint64_t n;
    if (start <= s->offset_ns)
        return 0;
    n = (start - s->offset_ns + t->period_ns - 1) / t->period_ns;
    return n > s->count ? s->count : (uint32_t)n;
}

#endif
