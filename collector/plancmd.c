#include "plancmd.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define N_STEPS 3

/* 1500 -> "15", 1250 -> "12.5" */
static void pct_text(uint32_t cpct, char *buf, size_t len)
{
    snprintf(buf, len, "%g", (double)cpct / 100.0);
}

/* 16800000 -> "16.80 Mbit/s", 30000 -> "30 kbit/s" */
static void rate_text(double bps, char *buf, size_t len)
{
    if (bps >= 1e6)
        snprintf(buf, len, "%.2f Mbit/s", bps / 1e6);
    else
        snprintf(buf, len, "%g kbit/s", round(bps / 100.0) / 10.0);
}

/* The arithmetic in words, the same lines in text and JSON. */
static void steps(const struct vr_plan_input *in, const struct vr_plan *p, char out[N_STEPS][200])
{
    char c[16], g[16];
    pct_text(in->concurrency_cpct, c, sizeof(c));
    pct_text(in->growth_cpct, g, sizeof(g));
    if (p->from_users)
        snprintf(out[0], 200, "peak calls = ceil(%u users x %s %%) = ceil(%.10g) = %u", in->users,
                 c, (double)in->users * in->concurrency_cpct / 10000.0, p->peak_calls);
    else
        snprintf(out[0], 200, "peak calls = %u (given directly)", p->peak_calls);
    snprintf(out[1], 200, "planned peak = ceil(%u x (1 + %s %%)) = ceil(%.10g) = %u", p->peak_calls,
             g, (double)p->peak_calls * (10000.0 + in->growth_cpct) / 10000.0, p->planned_calls);
    char r[32];
    rate_text(p->bps_planned, r, sizeof(r));
    snprintf(out[2], 200,
             "bandwidth per direction = sum over modalities of %u calls x share x bitrate = %s",
             p->planned_calls, r);
}

/* Capacity needed for each verdict of the capacity rule. */
static uint32_t ready_from(const struct vr_plan *p)
{
    return (uint32_t)(((uint64_t)p->planned_calls * (100u + VR_PLAN_HEADROOM_PCT) + 99u) / 100u);
}

static int write_json(const struct vr_plan_input *in, const struct vr_plan *p,
                      char st[N_STEPS][200], FILE *out)
{
    json_t *o = json_object(), *mix = json_object(), *rates = json_object(), *bw = json_object(),
           *sa = json_array();
    if (o == NULL || mix == NULL || rates == NULL || bw == NULL || sa == NULL) {
        json_decref(o);
        json_decref(mix);
        json_decref(rates);
        json_decref(bw);
        json_decref(sa);
        return VR_ENOMEM;
    }
    for (int i = 0; i < VR_PLAN_N_MOD; i++) {
        const char *m = vr_plan_modality_name((enum vr_plan_modality)i);
        json_object_set_new(mix, m, json_real(round(in->mix[i] * 1000.0) / 1000.0));
        json_object_set_new(rates, m, json_real(p->bitrate_bps[i]));
        json_object_set_new(bw, m, json_real(round(p->mod_bps[i])));
    }
    json_object_set_new(bw, "peak", json_real(round(p->bps_peak)));
    json_object_set_new(bw, "planned", json_real(round(p->bps_planned)));
    for (int i = 0; i < N_STEPS; i++)
        json_array_append_new(sa, json_string(st[i]));
    json_object_set_new(o, "type", json_string("plan"));
    json_object_set_new(o, "users", p->from_users ? json_integer(in->users) : json_null());
    json_object_set_new(o, "peak_concurrency_pct",
                        p->from_users ? json_real(in->concurrency_cpct / 100.0) : json_null());
    json_object_set_new(o, "peak_calls", json_integer(p->peak_calls));
    json_object_set_new(o, "growth_pct", json_real(in->growth_cpct / 100.0));
    json_object_set_new(o, "planned_peak_calls", json_integer(p->planned_calls));
    json_object_set_new(o, "mix", mix);
    json_object_set_new(o, "bitrates_bps", rates);
    json_object_set_new(o, "bandwidth_bps_fwd", json_real(round(p->bps_planned)));
    json_object_set_new(o, "bandwidth_bps_rev", json_real(round(p->bps_planned)));
    json_object_set_new(o, "bandwidth_bps", bw);
    json_object_set_new(o, "bitrate_basis", json_string(VR_PLAN_BITRATE_BASIS));
    json_object_set_new(o, "not_ready_below_calls", json_integer(p->planned_calls));
    json_object_set_new(o, "ready_from_calls", json_integer(ready_from(p)));
    json_object_set_new(o, "steps", sa);
    int rc = json_dumpf(o, out, JSON_INDENT(2));
    json_decref(o);
    if (rc < 0 || fputc('\n', out) == EOF)
        return VR_EINVAL;
    return 0;
}

int vr_plancmd_write(const struct vr_plan_input *in, const struct vr_plan *p, bool json, FILE *out)
{
    char st[N_STEPS][200];
    steps(in, p, st);
    if (json)
        return write_json(in, p, st, out) < 0 || fflush(out) != 0 ? VR_EINVAL : 0;
    char c[16], g[16];
    pct_text(in->concurrency_cpct, c, sizeof(c));
    pct_text(in->growth_cpct, g, sizeof(g));
    fprintf(out, "Planned peak\n");
    if (p->from_users)
        fprintf(out, "  users %u, peak concurrency %s %%\n", in->users, c);
    fprintf(out, "  %s\n  %s\n\n", st[0], st[1]);
    fprintf(out, "Bandwidth per direction at %u calls (the same each way)\n", p->planned_calls);
    fprintf(out, "  %-9s %6s %14s   %-28s %14s\n", "modality", "share", "bitrate/call",
            "calls x share x bitrate", "total");
    for (int i = 0; i < VR_PLAN_N_MOD; i++) {
        char rate[32], tot[32], expr[64];
        rate_text(p->bitrate_bps[i], rate, sizeof(rate));
        rate_text(p->mod_bps[i], tot, sizeof(tot));
        snprintf(expr, sizeof(expr), "%u x %g x %s", p->planned_calls, in->mix[i], rate);
        fprintf(out, "  %-9s %6g %14s   %-28s %14s\n",
                vr_plan_modality_name((enum vr_plan_modality)i), in->mix[i], rate, expr, tot);
    }
    char tot[32], peak[32];
    rate_text(p->bps_planned, tot, sizeof(tot));
    rate_text(p->bps_peak, peak, sizeof(peak));
    fprintf(out, "  %-9s %6s %14s   %-28s %14s\n", "total", "", "", "", tot);
    fprintf(out, "  (at the peak without growth, %u calls: %s)\n\n", p->peak_calls, peak);
    fprintf(out,
            "Bitrates: audio 30 kbit/s; video 1.2 Mbit/s (720p30); screen sharing 100 kbit/s\n"
            "(audio + sharing 130 kbit/s minus audio), from Microsoft's per-direction bandwidth\n"
            "table (REFERENCE.md section 1). The source does not say whether IP/UDP/RTP headers\n"
            "are included; `voiceready-agent capacity` reports wire rates, headers included.\n\n");
    fprintf(out,
            "Capacity rule: a measured capacity under %u calls is Not ready, %u to %u calls is "
            "At risk\n(less than %u %% headroom), %u calls or more passes.\n",
            p->planned_calls, p->planned_calls, ready_from(p) - 1, VR_PLAN_HEADROOM_PCT,
            ready_from(p));
    return fflush(out) != 0 ? VR_EINVAL : 0;
}
