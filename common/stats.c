#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Serial-number distance b - a as a signed value (RFC 1982 style, as STYLE.md asks). */
static int32_t serial_diff(uint32_t b, uint32_t a)
{
    return (int32_t)(b - a);
}

void vr_jitter_init(struct vr_jitter *j)
{
    memset(j, 0, sizeof(*j));
}

double vr_jitter_update(struct vr_jitter *j, int64_t transit_ns)
{
    if (!j->have_prev) {
        j->have_prev = 1;
        j->prev_transit_ns = transit_ns;
        return j->j_ns;
    }
    /* D is a difference of transits, so a constant clock offset between the ends cancels.
     * Subtract in unsigned so that absurd inputs wrap instead of overflowing (UB). */
    int64_t d = (int64_t)((uint64_t)transit_ns - (uint64_t)j->prev_transit_ns);
    j->prev_transit_ns = transit_ns;
    /* RFC 3550 A.8: J += (|D| - J) / 16, a first-order filter with gain 1/16 that smooths noise
     * while converging reasonably fast. */
    j->j_ns += (fabs((double)d) - j->j_ns) / 16.0;
    return j->j_ns;
}

/* Window layout: a ring of cap_bits bits; sequence number s lives at bit s & (cap_bits - 1) while
 * base <= s < base + cap_bits (serial order). release() clears the bits it gives up, so the same
 * bit can later mean base + cap_bits + ... without a stale "arrived". */

static int bit_get(const struct vr_seqwin *w, uint32_t seq)
{
    uint32_t i = seq & (w->cap_bits - 1u);
    return (int)((w->bits[i >> 6] >> (i & 63u)) & 1u);
}

static void bit_set(struct vr_seqwin *w, uint32_t seq)
{
    uint32_t i = seq & (w->cap_bits - 1u);
    w->bits[i >> 6] |= UINT64_C(1) << (i & 63u);
}

static void bit_clear(struct vr_seqwin *w, uint32_t seq)
{
    uint32_t i = seq & (w->cap_bits - 1u);
    w->bits[i >> 6] &= ~(UINT64_C(1) << (i & 63u));
}

int vr_seqwin_init(struct vr_seqwin *w, uint32_t cap_pkts, uint32_t first_seq)
{
    memset(w, 0, sizeof(*w));
    /* Serial comparisons only order numbers less than 2^31 apart, so larger windows are
     * meaningless; refuse them as an allocation we will not make. */
    if (cap_pkts > (UINT32_C(1) << 31))
        return VR_ENOMEM;
    uint32_t cap = 64;
    while (cap < cap_pkts)
        cap <<= 1;
    w->bits = calloc(cap / 64u, sizeof(uint64_t));
    if (w->bits == NULL)
        return VR_ENOMEM;
    w->cap_bits = cap;
    w->base = first_seq;
    return 0;
}

void vr_seqwin_free(struct vr_seqwin *w)
{
    free(w->bits);
    memset(w, 0, sizeof(*w));
}

enum vr_seq_result vr_seqwin_mark(struct vr_seqwin *w, uint32_t seq)
{
    if (serial_diff(seq, w->base) < 0)
        return VR_SEQ_TOO_OLD;
    if (seq - w->base >= w->cap_bits)
        return VR_SEQ_TOO_NEW;
    if (bit_get(w, seq))
        return VR_SEQ_DUP;
    bit_set(w, seq);
    return VR_SEQ_NEW;
}

/* Clips the serial range [lo, hi) to the window. Returns 0 when nothing is left, else sets the
 * clipped range as offsets from base. */
static int clip(const struct vr_seqwin *w, uint32_t lo, uint32_t hi, uint32_t *a, uint32_t *b)
{
    if (serial_diff(hi, lo) <= 0)
        return 0;
    int64_t lo_off = serial_diff(lo, w->base);
    int64_t hi_off = lo_off + (int64_t)(hi - lo);
    if (lo_off < 0)
        lo_off = 0;
    if (hi_off > (int64_t)w->cap_bits)
        hi_off = (int64_t)w->cap_bits;
    if (hi_off <= lo_off)
        return 0;
    *a = (uint32_t)lo_off;
    *b = (uint32_t)hi_off;
    return 1;
}

uint32_t vr_seqwin_count(const struct vr_seqwin *w, uint32_t lo, uint32_t hi)
{
    uint32_t a, b, n = 0;
    if (w->bits == NULL || !clip(w, lo, hi, &a, &b))
        return 0;
    for (uint32_t off = a; off < b; off++)
        n += (uint32_t)bit_get(w, w->base + off);
    return n;
}

/* Arrived (1) or not (0); numbers outside the window count as not arrived, as in count(). */
static uint32_t arrived(const struct vr_seqwin *w, uint32_t seq)
{
    uint32_t off = seq - w->base;
    if (w->bits == NULL || serial_diff(seq, w->base) < 0 || off >= w->cap_bits)
        return 0;
    return (uint32_t)bit_get(w, seq);
}

uint32_t vr_seqwin_burst_max(const struct vr_seqwin *w, uint32_t lo, uint32_t hi, uint32_t span)
{
    if (span == 0 || serial_diff(hi, lo) <= 0)
        return 0;
    uint32_t n = hi - lo;
    if (n <= span)
        return n - vr_seqwin_count(w, lo, hi);
    /* Sliding sum of arrivals over [lo + i, lo + i + span): O(n) for the whole range. */
    uint32_t got = 0;
    for (uint32_t i = 0; i < span; i++)
        got += arrived(w, lo + i);
    uint32_t worst = span - got;
    for (uint32_t i = span; i < n; i++) {
        got += arrived(w, lo + i);
        got -= arrived(w, lo + i - span);
        if (span - got > worst)
            worst = span - got;
    }
    return worst;
}

void vr_seqwin_release(struct vr_seqwin *w, uint32_t upto)
{
    if (serial_diff(upto, w->base) <= 0)
        return;
    uint32_t n = upto - w->base;
    if (w->bits != NULL) {
        if (n >= w->cap_bits) {
            memset(w->bits, 0, (size_t)(w->cap_bits / 64u) * sizeof(uint64_t));
        } else {
            for (uint32_t off = 0; off < n; off++)
                bit_clear(w, w->base + off);
        }
    }
    w->base = upto;
}

void vr_reorder_init(struct vr_reorder *r)
{
    memset(r, 0, sizeof(*r));
}

int vr_reorder_update(struct vr_reorder *r, uint32_t seq)
{
    /* RFC 4737 §3.3: NextExp starts at the first sequence number seen. */
    if (!r->started) {
        r->started = 1;
        r->next_exp = seq + 1u;
        return 0;
    }
    if (serial_diff(seq, r->next_exp) >= 0) {
        r->next_exp = seq + 1u;
        return 0;
    }
    return 1;
}
