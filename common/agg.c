#include "agg.h"

#include <string.h>

#define NS_PER_MS 1e6

/* Histograms take non-negative values: a negative delay is clock error or a reflector that
 * timestamps badly, and the nearest meaningful value is 0. */
static uint64_t clamp_ns(int64_t v)
{
    return v < 0 ? 0 : (uint64_t)v;
}

/* |v| without the overflow of llabs(INT64_MIN). */
static uint64_t abs_ns(int64_t v)
{
    return v < 0 ? UINT64_C(0) - (uint64_t)v : (uint64_t)v;
}

void vr_agg_init(struct vr_agg *a)
{
    memset(a, 0, sizeof(*a));
    vr_hist_init(&a->rtt);
    vr_hist_init(&a->owd_fwd);
    vr_hist_init(&a->owd_rev);
    vr_hist_init(&a->ipdv_fwd);
    vr_hist_init(&a->ipdv_rev);
}

void vr_agg_add_sample(struct vr_agg *a, const struct vr_sample *s)
{
    vr_hist_add(&a->rtt, clamp_ns(s->rtt_ns));
    /* Unsynced one-way delays carry the clock offset: counting them would mix nonsense into the
     * distribution, so only the number of such samples is kept (DESIGN.md §3). */
    if (s->clock_synced) {
        a->synced_samples++;
        vr_hist_add(&a->owd_fwd, clamp_ns(s->owd_fwd_ns));
        vr_hist_add(&a->owd_rev, clamp_ns(s->owd_rev_ns));
    } else {
        a->unsynced_samples++;
    }
    /* IPDV (RFC 3393/5481) is signed; its magnitude is what a jitter buffer must absorb. */
    if (s->has_ipdv) {
        vr_hist_add(&a->ipdv_fwd, abs_ns(s->ipdv_fwd_ns));
        vr_hist_add(&a->ipdv_rev, abs_ns(s->ipdv_rev_ns));
    }
    a->jitter_fwd_sum_ns += s->jitter_fwd_ns;
    a->jitter_rev_sum_ns += s->jitter_rev_ns;
    a->jitter_n++;
    /* TOS byte = DSCP << 2 | ECN (RFC 2474, RFC 3168). */
    if (s->tos_fwd_valid) {
        a->dscp_fwd[s->tos_fwd >> 2]++;
        a->ecn_fwd[s->tos_fwd & 3u]++;
    }
    if (s->tos_rev_valid) {
        a->dscp_rev[s->tos_rev >> 2]++;
        a->ecn_rev[s->tos_rev & 3u]++;
    }
}

void vr_agg_merge(struct vr_agg *dst, const struct vr_agg *src)
{
    dst->sent += src->sent;
    dst->fwd_received += src->fwd_received;
    dst->received += src->received;
    dst->duplicates += src->duplicates;
    dst->late += src->late;
    dst->reordered += src->reordered;
    dst->send_overruns += src->send_overruns;
    if (src->burst_loss_max_pct > dst->burst_loss_max_pct)
        dst->burst_loss_max_pct = src->burst_loss_max_pct;
    dst->synced_samples += src->synced_samples;
    dst->unsynced_samples += src->unsynced_samples;
    dst->jitter_fwd_sum_ns += src->jitter_fwd_sum_ns;
    dst->jitter_rev_sum_ns += src->jitter_rev_sum_ns;
    dst->jitter_n += src->jitter_n;
    vr_hist_merge(&dst->rtt, &src->rtt);
    vr_hist_merge(&dst->owd_fwd, &src->owd_fwd);
    vr_hist_merge(&dst->owd_rev, &src->owd_rev);
    vr_hist_merge(&dst->ipdv_fwd, &src->ipdv_fwd);
    vr_hist_merge(&dst->ipdv_rev, &src->ipdv_rev);
    for (size_t i = 0; i < 64; i++) {
        dst->dscp_fwd[i] += src->dscp_fwd[i];
        dst->dscp_rev[i] += src->dscp_rev[i];
    }
    for (size_t i = 0; i < 4; i++) {
        dst->ecn_fwd[i] += src->ecn_fwd[i];
        dst->ecn_rev[i] += src->ecn_rev[i];
    }
}

static void quantiles_ms(const struct vr_hist *h, struct vr_quantiles *q)
{
    /* The histogram gives 0 for every statistic when empty. */
    q->min = vr_hist_quantile_ns(h, 0.0) / NS_PER_MS;
    q->mean = vr_hist_mean_ns(h) / NS_PER_MS;
    q->p50 = vr_hist_quantile_ns(h, 0.50) / NS_PER_MS;
    q->p95 = vr_hist_quantile_ns(h, 0.95) / NS_PER_MS;
    q->p99 = vr_hist_quantile_ns(h, 0.99) / NS_PER_MS;
    q->max = vr_hist_quantile_ns(h, 1.0) / NS_PER_MS;
}

/* 100 * (expected - got) / expected, 0 when nothing was expected, never negative: duplicates or
 * counters read at slightly different instants can make got exceed expected, which means no loss.
 */
static double pct_lost(uint64_t expected, uint64_t got)
{
    if (expected == 0 || got >= expected)
        return 0.0;
    return 100.0 * (double)(expected - got) / (double)expected;
}

void vr_agg_to_record(const struct vr_agg *a, const struct vr_codec *c, struct vr_record *r)
{
    r->sent = a->sent;
    r->fwd_received = a->fwd_received;
    r->received = a->received;
    r->duplicates = a->duplicates;
    r->late = a->late;
    r->send_overruns = a->send_overruns;
    r->burst_loss_max_pct = a->burst_loss_max_pct;

    r->loss_fwd_pct = pct_lost(a->sent, a->fwd_received);
    r->loss_rev_pct = pct_lost(a->fwd_received, a->received);
    r->loss_pct = pct_lost(a->sent, a->received);
    /* RFC 4737 reorder ratio: reordered / received, duplicates excluded (received is unique). */
    r->reorder_pct = a->received == 0 ? 0.0 : 100.0 * (double)a->reordered / (double)a->received;

    /* One unsynced sample makes the whole interval's one-way figures unreliable. */
    r->clock_synced = a->synced_samples > 0 && a->unsynced_samples == 0;
    r->has_owd = r->clock_synced;

    quantiles_ms(&a->rtt, &r->rtt_ms);
    memset(&r->owd_fwd_ms, 0, sizeof(r->owd_fwd_ms));
    memset(&r->owd_rev_ms, 0, sizeof(r->owd_rev_ms));
    if (r->has_owd) {
        quantiles_ms(&a->owd_fwd, &r->owd_fwd_ms);
        quantiles_ms(&a->owd_rev, &r->owd_rev_ms);
    }
    quantiles_ms(&a->ipdv_fwd, &r->ipdv_fwd_ms);
    quantiles_ms(&a->ipdv_rev, &r->ipdv_rev_ms);

    r->jitter_fwd_ms = 0.0;
    r->jitter_rev_ms = 0.0;
    if (a->jitter_n > 0) {
        r->jitter_fwd_ms = a->jitter_fwd_sum_ns / (double)a->jitter_n / NS_PER_MS;
        r->jitter_rev_ms = a->jitter_rev_sum_ns / (double)a->jitter_n / NS_PER_MS;
    }

    memcpy(r->dscp_fwd, a->dscp_fwd, sizeof(r->dscp_fwd));
    memcpy(r->dscp_rev, a->dscp_rev, sizeof(r->dscp_rev));
    memcpy(r->ecn_fwd, a->ecn_fwd, sizeof(r->ecn_fwd));
    memcpy(r->ecn_rev, a->ecn_rev, sizeof(r->ecn_rev));

    /* The call is only as good as its worse direction. Without synced clocks RTT/2 assumes a
     * symmetric path, the usual fallback. */
    double owd_ms;
    if (r->has_owd)
        owd_ms = r->owd_fwd_ms.p50 > r->owd_rev_ms.p50 ? r->owd_fwd_ms.p50 : r->owd_rev_ms.p50;
    else
        owd_ms = r->rtt_ms.p50 / 2.0;
    double jitter_ms = r->jitter_fwd_ms > r->jitter_rev_ms ? r->jitter_fwd_ms : r->jitter_rev_ms;
    r->mos = vr_mos_estimate(c, owd_ms, jitter_ms, r->loss_pct);
}
