/* agg: accumulates one class's probe results over one interval (or a whole run) and turns them
 * into the metric fields of a vr_record.
 *
 * The caller (the agent's session) owns per-stream state (stats.h) and feeds each reply as a
 * vr_sample, plus the per-interval counts it derives from sequence windows. Fixed memory
 * (a few histograms); plain value struct, embed or allocate it; not thread-safe. */
#ifndef VR_AGG_H
#define VR_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"
#include "mos.h"
#include "record.h"

/* One reply, already matched to its probe. All times in ns. */
struct vr_sample {
    int64_t rtt_ns;       /* (T4 - T1) - (T3 - T2) */
    int64_t owd_fwd_ns;   /* T2 - T1 (clock offset included) */
    int64_t owd_rev_ns;   /* T4 - T3 */
    bool clock_synced;    /* both ends synced (or same host): owd is meaningful */
    double jitter_fwd_ns; /* the stream's RFC 3550 estimate after this packet */
    double jitter_rev_ns;
    bool has_ipdv;       /* previous sender seq of the stream also arrived */
    int64_t ipdv_fwd_ns; /* signed; |value| goes into the histogram */
    int64_t ipdv_rev_ns;
    uint8_t tos_fwd; /* TOS byte the reflector received */
    uint8_t tos_rev; /* TOS byte the sender received */
    bool tos_fwd_valid, tos_rev_valid;
};

struct vr_agg {
    uint64_t sent, fwd_received, received, duplicates, late, reordered, send_overruns;
    double burst_loss_max_pct;
    uint64_t synced_samples, unsynced_samples;
    double jitter_fwd_sum_ns, jitter_rev_sum_ns; /* summed per sample: mean J over packets */
    uint64_t jitter_n;
    struct vr_hist rtt, owd_fwd, owd_rev, ipdv_fwd, ipdv_rev;
    uint64_t dscp_fwd[64], dscp_rev[64];
    uint64_t ecn_fwd[4], ecn_rev[4];
};

void vr_agg_init(struct vr_agg *a);
void vr_agg_add_sample(struct vr_agg *a, const struct vr_sample *s);
/* Merge src into dst: counters add, histograms merge, burst_loss_max_pct is the max. */
void vr_agg_merge(struct vr_agg *dst, const struct vr_agg *src);

/* Fills the metric fields of r (sent ... send_overruns, rtt/owd/ipdv quantiles, jitter,
 * dscp/ecn counts, mos) from a. Identity fields (id, agent, class, start, ...) and verdict are
 * left untouched. Loss: loss_fwd = (sent - fwd_received)/sent; loss_rev = (fwd_received -
 * received)/fwd_received; loss = (sent - received)/sent; all 0 when the denominator is 0.
 * has_owd and clock_synced are true only when every sample was synced. MOS uses codec c with
 * owd p50 (synced) or rtt p50 / 2, the mean jitter of both directions' worse one, and loss. */
void vr_agg_to_record(const struct vr_agg *a, const struct vr_codec *c, struct vr_record *r);

#endif
