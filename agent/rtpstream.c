#include "rtpstream.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mos.h"

/* RFC 3550 A.1 */
#define MAX_DROPOUT  3000
#define MAX_MISORDER 100
#define NO_BAD_SEQ   0x10000u /* RTP_SEQ_MOD + 1: no big jump pending */

uint32_t vr_rtp_static_clock_hz(uint8_t pt)
{
    switch (pt) {
    case 0:  /* PCMU */
    case 3:  /* GSM */
    case 4:  /* G723 */
    case 5:  /* DVI4 */
    case 7:  /* LPC */
    case 8:  /* PCMA */
    case 9:  /* G722: 8000 by RFC 3551 §4.5.2, although it samples at 16 kHz */
    case 12: /* QCELP */
    case 13: /* CN */
    case 15: /* G728 */
    case 18: /* G729 */
        return 8000;
    case 6: /* DVI4 16 kHz */
        return 16000;
    case 10: /* L16 stereo */
    case 11: /* L16 mono */
        return 44100;
    case 16:
        return 11025;
    case 17:
        return 22050;
    case 14: /* MPA */
    case 25: /* CelB */
    case 26: /* JPEG */
    case 28: /* nv */
    case 31: /* H261 */
    case 32: /* MPV */
    case 33: /* MP2T */
    case 34: /* H263 */
        return 90000;
    default:
        return 0;
    }
}

const char *vr_rtp_class(int dscp, uint16_t sport, uint16_t dport)
{
    if (dscp == 46)
        return "audio";
    if (dscp == 34)
        return "video";
    if (dscp == 18)
        return "sharing";
    uint16_t ports[2] = {sport, dport};
    for (int i = 0; i < 2; i++) {
        uint16_t p = ports[i];
        if ((p >= 50000 && p <= 50019) || p == 3479)
            return "audio";
        if ((p >= 50020 && p <= 50039) || p == 3480)
            return "video";
        if ((p >= 50040 && p <= 50059) || p == 3481)
            return "sharing";
    }
    return "unknown";
}

static const uint32_t candidates[VR_RTP_CLOCK_CANDIDATES] = {8000,  16000, 24000,
                                                             32000, 48000, 90000};

void vr_rtpstream_init(struct vr_rtpstream *s, uint8_t pt, uint32_t clock_hz)
{
    memset(s, 0, sizeof(*s));
    s->pt = pt;
    s->infer = clock_hz == 0;
    s->clock_hz = clock_hz > 0 ? clock_hz : VR_RTP_DYNAMIC_CLOCK_HZ;
    for (int i = 0; i < VR_RTP_CLOCK_CANDIDATES; i++)
        vr_jitter_init(&s->cand[i]);
    s->probation = VR_RTPSTREAM_MIN_SEQUENTIAL - 1;
    s->bad_seq = NO_BAD_SEQ;
    vr_jitter_init(&s->jitter);
    vr_reorder_init(&s->reorder);
}

static uint32_t ext_max(const struct vr_rtpstream *s)
{
    return s->cycles + s->max_seq;
}

static void dup_set(struct vr_rtpstream *s, uint32_t ext)
{
    uint32_t i = ext % VR_RTPSTREAM_DUP_WINDOW;
    s->dup_bits[i / 64] |= UINT64_C(1) << (i % 64);
}

static int dup_get(const struct vr_rtpstream *s, uint32_t ext)
{
    uint32_t i = ext % VR_RTPSTREAM_DUP_WINDOW;
    return (int)((s->dup_bits[i / 64] >> (i % 64)) & 1u);
}

static void dup_clear(struct vr_rtpstream *s, uint32_t ext)
{
    uint32_t i = ext % VR_RTPSTREAM_DUP_WINDOW;
    s->dup_bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* The highest sequence number moves from old to new: the window forgets what it slides past, so
 * a bit means "arrived" only for numbers within the window below the new maximum. */
static void dup_advance(struct vr_rtpstream *s, uint32_t old, uint32_t new_ext)
{
    uint32_t d = new_ext - old;
    if (d >= VR_RTPSTREAM_DUP_WINDOW) {
        memset(s->dup_bits, 0, sizeof(s->dup_bits));
        return;
    }
    for (uint32_t k = 1; k <= d; k++)
        dup_clear(s, old + k);
}

static void init_seq(struct vr_rtpstream *s, uint16_t seq)
{
    s->base_ext = seq;
    s->max_seq = seq;
    s->cycles = 0;
    s->bad_seq = NO_BAD_SEQ;
    memset(s->dup_bits, 0, sizeof(s->dup_bits));
    vr_reorder_init(&s->reorder);
    dup_set(s, seq);
    (void)vr_reorder_update(&s->reorder, seq);
}

/* Ticks of a clock_hz clock to ns without overflowing for long captures. */
static int64_t ticks_to_ns(int64_t ticks, uint32_t clock_hz)
{
    int64_t q = ticks / (int64_t)clock_hz, r = ticks % (int64_t)clock_hz;
    return q * 1000000000 + r * 1000000000 / (int64_t)clock_hz;
}

static enum vr_rtpstream_seq update_seq(struct vr_rtpstream *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta == 0) {
        s->duplicates++;
        return VR_RTPSTREAM_DUPLICATE;
    }
    if (udelta < MAX_DROPOUT) {
        uint32_t old = ext_max(s);
        if (seq < s->max_seq)
            s->cycles += 65536u; /* sequence number wrapped */
        s->max_seq = seq;
        s->bad_seq = NO_BAD_SEQ;
        dup_advance(s, old, ext_max(s));
        dup_set(s, ext_max(s));
        (void)vr_reorder_update(&s->reorder, ext_max(s));
        return VR_RTPSTREAM_IN_ORDER;
    }
    if (udelta <= 65536 - MAX_MISORDER) {
        /* A big jump: the sender restarted, or this is a stray. Only the next packet continuing
         * from it proves a restart (A.1); then the counts so far are kept and a new segment
         * starts. */
        if (seq == s->bad_seq) {
            s->expected_prior += (uint64_t)(ext_max(s) - s->base_ext) + 1u;
            s->bad_seq_pkts--; /* the packet that started the jump belongs to the new segment */
            init_seq(s, (uint16_t)(seq - 1));
            s->base_ext = (uint16_t)(seq - 1);
            return update_seq(s, seq);
        }
        s->bad_seq = (uint32_t)((seq + 1u) & 0xffffu);
        s->bad_seq_pkts++;
        return VR_RTPSTREAM_BAD_SEQ;
    }
    /* Within MAX_MISORDER below the maximum: late or duplicate. */
    uint32_t back = (uint16_t)(s->max_seq - seq);
    uint32_t ext = ext_max(s) - back;
    if (back < VR_RTPSTREAM_DUP_WINDOW) {
        if (dup_get(s, ext)) {
            s->duplicates++;
            return VR_RTPSTREAM_DUPLICATE;
        }
        dup_set(s, ext);
    }
    if (vr_reorder_update(&s->reorder, ext))
        s->reordered++;
    return VR_RTPSTREAM_REORDERED;
}

enum vr_rtpstream_seq vr_rtpstream_add(struct vr_rtpstream *s, uint64_t arrival_ns, uint16_t seq,
                                       uint32_t ts, uint8_t dscp)
{
    enum vr_rtpstream_seq res = VR_RTPSTREAM_IN_ORDER;
    if (s->packets == 0) {
        init_seq(s, seq);
        s->first_ns = s->last_ns = arrival_ns;
        s->last_ts = ts;
        s->ts_ext = 0;
    } else {
        if (s->probation > 0) {
            uint16_t d = (uint16_t)(seq - s->max_seq);
            if (d == 0 || d > VR_RTPSTREAM_PROBE_GAP) {
                /* Not a consistent successor: whatever came before was not this stream's RTP
                 * (or the stream restarted while unproven). Start again from this packet. */
                uint8_t pt = s->pt;
                uint32_t clock = s->infer ? 0 : s->clock_hz;
                vr_rtpstream_init(s, pt, clock);
                return vr_rtpstream_add(s, arrival_ns, seq, ts, dscp);
            }
            s->probation--;
        }
        uint64_t segments = s->expected_prior;
        res = update_seq(s, seq);
        if (res == VR_RTPSTREAM_BAD_SEQ) {
            /* a stray (or the first packet of a restart): counted, but its timestamp belongs to
             * no timeline of this stream, so it stays out of jitter and gaps */
            s->packets++;
            s->dscp[dscp & 63]++;
            return res;
        }
        uint64_t delta = arrival_ns >= s->last_ns ? arrival_ns - s->last_ns : 0;
        if (delta > s->max_delta_ns)
            s->max_delta_ns = delta;
        s->last_ns = arrival_ns;
        if (s->expected_prior != segments) {
            /* restarted: a new media clock origin; the jitter filter keeps its value (and the
             * maximum) but takes the next difference from this packet */
            s->jitter.have_prev = 0;
            for (int i = 0; i < VR_RTP_CLOCK_CANDIDATES; i++)
                s->cand[i].have_prev = 0;
        } else {
            s->ts_ext += (int32_t)(ts - s->last_ts);
        }
        s->last_ts = ts;
    }
    s->packets++;
    s->dscp[dscp & 63]++;
    /* RFC 3550 A.8 in arrival order on transit = arrival - RTP time; both relative to the first
     * packet, which cancels the unknown offset between the sender's media clock and ours. */
    int64_t rel = (int64_t)(arrival_ns - s->first_ns);
    double j = vr_jitter_update(&s->jitter, rel - ticks_to_ns(s->ts_ext, s->clock_hz));
    if (j > s->jitter_max_ns)
        s->jitter_max_ns = j;
    if (s->infer) {
        for (int i = 0; i < VR_RTP_CLOCK_CANDIDATES; i++) {
            j = vr_jitter_update(&s->cand[i], rel - ticks_to_ns(s->ts_ext, candidates[i]));
            if (j > s->cand_max_ns[i])
                s->cand_max_ns[i] = j;
        }
    }
    return res;
}

void vr_rtpstream_result(const struct vr_rtpstream *s, struct vr_rtpstream_result *out)
{
    memset(out, 0, sizeof(*out));
    out->packets = s->packets;
    out->duplicates = s->duplicates;
    out->dscp_top = -1;
    if (s->packets == 0)
        return;
    out->expected = s->expected_prior + (uint64_t)(ext_max(s) - s->base_ext) + 1u;
    uint64_t unique = s->packets - s->duplicates - s->bad_seq_pkts;
    out->lost = out->expected > unique ? out->expected - unique : 0;
    out->loss_pct = out->expected > 0 ? 100.0 * (double)out->lost / (double)out->expected : 0.0;
    out->reorder_pct = unique > 0 ? 100.0 * (double)s->reordered / (double)unique : 0.0;
    out->jitter_ms = s->jitter.j_ns / 1e6;
    out->jitter_max_ms = s->jitter_max_ns / 1e6;
    out->clock_hz = s->clock_hz;
    out->clock_source = s->infer ? VR_CLOCK_DEFAULT : VR_CLOCK_GIVEN;
    /* capture files can step back in time (merged or re-stamped captures): no negative span */
    uint64_t span = s->last_ns > s->first_ns ? s->last_ns - s->first_ns : 0;
    if (s->infer && span >= VR_RTP_CLOCK_MIN_SPAN_NS && s->ts_ext > 0) {
        /* ticks per second of the stream's own timestamps, against capture time */
        double rate = (double)s->ts_ext * 1e9 / (double)span;
        int best = -1;
        double best_dev = VR_RTP_CLOCK_MAX_DEVIATION;
        for (int i = 0; i < VR_RTP_CLOCK_CANDIDATES; i++) {
            double dev = fabs(rate / candidates[i] - 1.0);
            if (dev < best_dev) {
                best_dev = dev;
                best = i;
            }
        }
        if (best >= 0) {
            out->clock_hz = candidates[best];
            out->clock_source = VR_CLOCK_INFERRED;
            out->jitter_ms = s->cand[best].j_ns / 1e6;
            out->jitter_max_ms = s->cand_max_ns[best] / 1e6;
        }
    }
    out->max_delta_ms = (double)s->max_delta_ns / 1e6;
    out->duration_s = (double)span / 1e9;
    uint32_t best = 0;
    for (int i = 0; i < 64; i++) {
        if (s->dscp[i] > best) {
            best = s->dscp[i];
            out->dscp_top = i;
        }
    }
}

/* Judges one metric with the shared rule and wording of score.c; a reason when not a pass. */
static enum vr_level check(const struct vr_thresholds *t, enum vr_metric m, double value,
                           double threshold, char (*reasons)[VR_RECORD_REASON_LEN], size_t max,
                           size_t *n)
{
    enum vr_level l = vr_score_level(t, m, value, threshold);
    if (l != VR_LEVEL_PASS && *n < max) {
        struct vr_finding f = {m, VR_DIR_ROUND, l, value, threshold, -1};
        vr_score_fmt_reason(&f, 0, false, reasons[(*n)++], VR_RECORD_REASON_LEN);
    }
    return l;
}

enum vr_level vr_rtpstream_judge(const struct vr_rtpstream_result *r, uint8_t pt,
                                 const struct vr_thresholds *t, double *mos,
                                 char (*reasons)[VR_RECORD_REASON_LEN], size_t max,
                                 size_t *n_reasons)
{
    const char *codec = "g711";
    if (pt == 18)
        codec = "g729a";
    else if (pt == 4)
        codec = "g723.1";
    *mos = vr_mos_estimate(vr_codec_find(codec), 0.0, r->jitter_ms, r->loss_pct);
    *n_reasons = 0;
    /* fails are listed first */
    enum vr_level lo = VR_LEVEL_PASS, lj = VR_LEVEL_PASS;
    char tmp[2][VR_RECORD_REASON_LEN];
    size_t nl = 0, nj = 0;
    lo = check(t, VR_METRIC_LOSS, r->loss_pct, t->loss_pct, tmp, 1, &nl);
    lj = check(t, VR_METRIC_JITTER, r->jitter_ms, t->jitter_ms, tmp + 1, 1, &nj);
    if (nl > 0 && nj > 0 && lj > lo) {
        if (*n_reasons < max)
            memcpy(reasons[(*n_reasons)++], tmp[1], VR_RECORD_REASON_LEN);
        nj = 0;
    }
    if (nl > 0 && *n_reasons < max)
        memcpy(reasons[(*n_reasons)++], tmp[0], VR_RECORD_REASON_LEN);
    if (nj > 0 && *n_reasons < max)
        memcpy(reasons[(*n_reasons)++], tmp[1], VR_RECORD_REASON_LEN);
    return lo > lj ? lo : lj;
}
