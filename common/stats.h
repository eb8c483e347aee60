/* stats: per-stream streaming statistics that need state between packets.
 *
 * - vr_jitter: RFC 3550 §6.4.1 / A.8 interarrival jitter on transit times, fed in arrival order.
 * - vr_seqwin: which sender sequence numbers (u32, serial arithmetic) of one stream arrived,
 *   over a sliding window: tells new from duplicate from too-old, counts what arrived in a
 *   range, and finds the worst burst of missing packets in a range (burst loss in any 200 ms).
 * - vr_reorder: RFC 4737 §3.3 NextExp reorder test.
 * No I/O; not thread-safe; memory fixed at init. */
#ifndef VR_STATS_H
#define VR_STATS_H

#include <stddef.h>
#include <stdint.h>

struct vr_jitter {
    int have_prev;
    int64_t prev_transit_ns;
    double j_ns;
};

void vr_jitter_init(struct vr_jitter *j);
/* Feeds one packet's transit time (arrival - send, any constant clock offset allowed).
 * Returns the updated estimate J in ns (0 after the first packet). RFC 3550 A.8:
 * J += (|D| - J) / 16. */
double vr_jitter_update(struct vr_jitter *j, int64_t transit_ns);

enum vr_seq_result {
    VR_SEQ_NEW = 0,     /* first arrival of this sequence number */
    VR_SEQ_DUP = 1,     /* seen before */
    VR_SEQ_TOO_OLD = 2, /* below the window base: already accounted, treat as late */
    VR_SEQ_TOO_NEW = 3, /* beyond base + capacity: caller must release old ranges first */
};

struct vr_seqwin {
    uint32_t base;     /* lowest sequence number still tracked */
    uint32_t cap_bits; /* window capacity, power of two */
    uint64_t *bits;    /* owned */
};

/* cap_pkts is rounded up to a power of two (>= 64). Starts with base = first_seq.
 * Returns 0 or VR_ENOMEM. */
int vr_seqwin_init(struct vr_seqwin *w, uint32_t cap_pkts, uint32_t first_seq);
void vr_seqwin_free(struct vr_seqwin *w); /* no-op on a zeroed struct */
enum vr_seq_result vr_seqwin_mark(struct vr_seqwin *w, uint32_t seq);
/* Arrived in [lo, hi) (serial order; the part of the range outside the window counts 0). */
uint32_t vr_seqwin_count(const struct vr_seqwin *w, uint32_t lo, uint32_t hi);
/* Largest number of missing sequence numbers in any run of `span` consecutive numbers that lies
 * inside [lo, hi); when hi - lo < span, the whole range is the only run. */
uint32_t vr_seqwin_burst_max(const struct vr_seqwin *w, uint32_t lo, uint32_t hi, uint32_t span);
/* Forgets everything below upto (serial); base becomes upto if it was lower. */
void vr_seqwin_release(struct vr_seqwin *w, uint32_t upto);

struct vr_reorder {
    int started;
    uint32_t next_exp;
};

void vr_reorder_init(struct vr_reorder *r);
/* Feed each non-duplicate arrival. Returns 1 when the packet is reordered (seq < NextExp in
 * serial arithmetic), else 0 and advances NextExp to seq + 1. */
int vr_reorder_update(struct vr_reorder *r, uint32_t seq);

#endif
