/* hist: fixed-memory log-linear histogram of non-negative nanosecond values, with exact count,
 * sum, min and max and interpolated percentiles.
 *
 * Precision: buckets are 1/128 of a power of two wide (HDR-histogram style), so a percentile
 * is within 0.4 % (half a bucket) of the true value for values >= 1 us; values below 128 ns are
 * exact. Values above VR_HIST_MAX_NS land in the top bucket (max stays exact). The struct is a
 * plain value (no pointers, ~16 KB): embed it, copy it, merge it. Not thread-safe. */
#ifndef VR_HIST_H
#define VR_HIST_H

#include <stdint.h>

#define VR_HIST_SUB_BITS 7
#define VR_HIST_MAX_EXP  36 /* 2^36 ns = 68.7 s */
#define VR_HIST_BUCKETS  ((VR_HIST_MAX_EXP - VR_HIST_SUB_BITS + 2) << VR_HIST_SUB_BITS)
#define VR_HIST_MAX_NS   ((UINT64_C(1) << VR_HIST_MAX_EXP) - 1)

struct vr_hist {
    uint64_t count;
    double sum_ns;
    uint64_t min_ns; /* UINT64_MAX while empty */
    uint64_t max_ns;
    uint32_t buckets[VR_HIST_BUCKETS];
};

void vr_hist_init(struct vr_hist *h);
void vr_hist_add(struct vr_hist *h, uint64_t v_ns);
/* dst += src (counts, sum, min, max). */
void vr_hist_merge(struct vr_hist *dst, const struct vr_hist *src);
/* q in [0,1]; 0 when empty. q=0 gives min, q=1 gives max, others interpolate inside the bucket
 * and are clamped to [min,max]. */
double vr_hist_quantile_ns(const struct vr_hist *h, double q);
/* 0 when empty. */
double vr_hist_mean_ns(const struct vr_hist *h);

#endif
