/* mos: simplified ITU-T G.107 E-model (R factor and MOS), REFERENCE.md §2. Base R0 = 93.2.
 * Pure functions; any thread. */
#ifndef VR_MOS_H
#define VR_MOS_H

#define VR_MOS_R0 93.2

struct vr_codec {
    const char *name; /* "g711", "g711-noplc", "g729a", "g723.1" */
    double ie;        /* equipment impairment */
    double bpl;       /* packet-loss robustness */
    double delay_ms;  /* codec + packetisation delay added to the network one-way delay */
};

/* Borrowed, static; NULL when unknown. */
const struct vr_codec *vr_codec_find(const char *name);

/* d_ms: one-way mouth-to-ear delay; ppl_pct: packet loss in %; burst_r: 1 for random loss. */
double vr_mos_r(double d_ms, double ppl_pct, double burst_r, double ie, double bpl);
/* MOS from R: 1 for R <= 0, 4.5 for R >= 100, else 1 + 0.035R + R(R-60)(100-R)*7e-6. */
double vr_mos_from_r(double r);

/* The MOS voiceready reports for an interval: d = one-way network delay (owd if clocks are
 * synced, else RTT/2) + 2 x jitter (a jitter buffer of twice the jitter) + codec delay. */
double vr_mos_estimate(const struct vr_codec *c, double owd_ms, double jitter_ms, double loss_pct);

#endif
