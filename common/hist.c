#include "hist.h"

#include <string.h>

/* Bucket layout, as in HDR Histogram: values below 2^SUB_BITS get one bucket each (exact); every
 * further power of two [2^e, 2^(e+1)) is cut into SUB_COUNT equal buckets of width 2^(e-SUB_BITS),
 * so no bucket is wider than 1/128 of its lower bound. Group g >= 1 of SUB_COUNT buckets covers
 * e = g + SUB_BITS - 1. */
#define SUB_COUNT (UINT64_C(1) << VR_HIST_SUB_BITS)
#define TOP_INDEX (((VR_HIST_MAX_EXP - VR_HIST_SUB_BITS) << VR_HIST_SUB_BITS) + (SUB_COUNT - 1))

/* VR_HIST_BUCKETS leaves one spare group above the bucket of VR_HIST_MAX_NS; it stays empty. */
_Static_assert(TOP_INDEX < VR_HIST_BUCKETS, "VR_HIST_BUCKETS too small for VR_HIST_MAX_NS");

static unsigned bucket_of(uint64_t v)
{
    if (v > VR_HIST_MAX_NS)
        v = VR_HIST_MAX_NS; /* clamp: the top bucket takes everything above; max stays exact */
    if (v < SUB_COUNT)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = e - VR_HIST_SUB_BITS;
    return ((shift + 1u) << VR_HIST_SUB_BITS) + (unsigned)((v >> shift) - SUB_COUNT);
}

static void bucket_range(unsigned i, uint64_t *lo, uint64_t *width)
{
    if (i < SUB_COUNT) {
        *lo = i;
        *width = 1;
        return;
    }
    unsigned shift = (i >> VR_HIST_SUB_BITS) - 1u;
    uint64_t sub = i & (SUB_COUNT - 1);
    *lo = (SUB_COUNT + sub) << shift;
    *width = UINT64_C(1) << shift;
}

static uint32_t add_sat_u32(uint32_t a, uint32_t b)
{
    /* A saturated bucket loses rank precision but never wraps to a wrong small count. */
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

void vr_hist_init(struct vr_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min_ns = UINT64_MAX;
}

void vr_hist_add(struct vr_hist *h, uint64_t v_ns)
{
    unsigned i = bucket_of(v_ns);
    h->buckets[i] = add_sat_u32(h->buckets[i], 1);
    h->count++;
    h->sum_ns += (double)v_ns;
    if (v_ns < h->min_ns)
        h->min_ns = v_ns;
    if (v_ns > h->max_ns)
        h->max_ns = v_ns;
}

void vr_hist_merge(struct vr_hist *dst, const struct vr_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < VR_HIST_BUCKETS; i++)
        dst->buckets[i] = add_sat_u32(dst->buckets[i], src->buckets[i]);
    dst->count += src->count;
    dst->sum_ns += src->sum_ns;
    if (src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
}

/* Value of the k-th smallest sample (0-based). Inside a bucket the c samples are taken as evenly
 * spread over the bucket's integers [lo, lo + width - 1], the j-th at the middle of its 1/c
 * share: unbiased for data that is smooth at bucket scale, and exact for width-1 buckets. */
static double value_at_rank(const struct vr_hist *h, uint64_t k)
{
    uint64_t cum = 0;
    for (unsigned i = 0; i < VR_HIST_BUCKETS; i++) {
        uint32_t c = h->buckets[i];
        if (c == 0)
            continue;
        if (k < cum + c) {
            uint64_t lo, width;
            bucket_range(i, &lo, &width);
            if (width == 1)
                return (double)lo;
            double pos = ((double)(k - cum) + 0.5) / (double)c;
            return (double)lo + (double)(width - 1) * pos;
        }
        cum += c;
    }
    return (double)h->max_ns; /* only when a bucket saturated */
}

/* Rank rule: the q-quantile is the sample at fractional rank q * (count - 1), interpolated
 * between the two neighbouring ranks (Hyndman & Fan type 7, the default of R and numpy), so
 * that with exact buckets it equals the quantile of the sorted samples. */
double vr_hist_quantile_ns(const struct vr_hist *h, double q)
{
    if (h->count == 0)
        return 0.0;
    if (!(q > 0.0)) /* also NaN */
        return (double)h->min_ns;
    if (q >= 1.0)
        return (double)h->max_ns;
    double rank = q * (double)(h->count - 1);
    uint64_t k = (uint64_t)rank;
    double frac = rank - (double)k;
    double v = value_at_rank(h, k);
    if (frac > 0.0 && k + 1 < h->count)
        v += frac * (value_at_rank(h, k + 1) - v);
    /* Interpolation may leave the range the exact min/max prove; e.g. clamped samples. */
    if (v < (double)h->min_ns)
        v = (double)h->min_ns;
    if (v > (double)h->max_ns)
        v = (double)h->max_ns;
    return v;
}

double vr_hist_mean_ns(const struct vr_hist *h)
{
    if (h->count == 0)
        return 0.0;
    return h->sum_ns / (double)h->count;
}
