#include "mos.h"

#include <string.h>

/* Ie and Bpl: ITU-T G.113 Appendix I via secondary sources (REFERENCE.md §2). delay_ms is the
 * codec's share of mouth-to-ear delay at one packet per 20 ms (voiceready's pacing):
 * - G.711: 20 ms packetisation, no look-ahead.
 * - G.729A: 20 ms packetisation (two 10 ms frames) + 5 ms look-ahead.
 * - G.723.1: one 30 ms frame per packet + 7.5 ms look-ahead.
 * Jitter-buffer delay is added separately by vr_mos_estimate(). */
static const struct vr_codec codecs[] = {
    {"g711", 0.0, 25.1, 20.0},
    {"g711-noplc", 0.0, 4.3, 20.0},
    {"g729a", 11.0, 19.0, 25.0},
    {"g723.1", 15.0, 16.1, 37.5},
};

const struct vr_codec *vr_codec_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        if (strcmp(codecs[i].name, name) == 0)
            return &codecs[i];
    }
    return NULL;
}

double vr_mos_r(double d_ms, double ppl_pct, double burst_r, double ie, double bpl)
{
    if (d_ms < 0.0)
        d_ms = 0.0;
    if (ppl_pct > 100.0)
        ppl_pct = 100.0;
    if (!(burst_r > 0.0)) /* undefined below 0; treat a missing value as random loss */
        burst_r = 1.0;

    /* G.107 delay impairment, simplified: 0.024 per ms, plus 0.11 per ms beyond 177.3 ms where
     * conversational interactivity breaks down. */
    double id = 0.024 * d_ms;
    if (d_ms >= 177.3)
        id += 0.11 * (d_ms - 177.3);

    /* Effective equipment impairment; Ppl <= 0 short-cuts so that Bpl = 0 cannot give 0/0. */
    double ie_eff = ie;
    if (ppl_pct > 0.0)
        ie_eff = ie + (95.0 - ie) * ppl_pct / (ppl_pct / burst_r + bpl);

    return VR_MOS_R0 - id - ie_eff;
}

double vr_mos_from_r(double r)
{
    if (r <= 0.0)
        return 1.0;
    if (r >= 100.0)
        return 4.5;
    /* the G.107 cubic dips below 1 for 0 < R < 6.5 (R = 2 gives 0.99): MOS is 1 at least */
    double mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
    return mos < 1.0 ? 1.0 : mos;
}

double vr_mos_estimate(const struct vr_codec *c, double owd_ms, double jitter_ms, double loss_pct)
{
    /* Every profile uses G.711 unless it names another codec; a NULL codec means the same. */
    if (c == NULL)
        c = &codecs[0];
    if (jitter_ms < 0.0)
        jitter_ms = 0.0;
    /* A jitter buffer sized at twice the jitter hides most late packets; its delay counts. */
    double d_ms = owd_ms + 2.0 * jitter_ms + c->delay_ms;
    return vr_mos_from_r(vr_mos_r(d_ms, loss_pct, 1.0, c->ie, c->bpl));
}
