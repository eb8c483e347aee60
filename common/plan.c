#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const mod_names[VR_PLAN_N_MOD] = {"audio", "video", "sharing"};
static const double mod_bps[VR_PLAN_N_MOD] = {VR_PLAN_AUDIO_BPS, VR_PLAN_VIDEO_BPS,
                                              VR_PLAN_SHARING_BPS};

const char *vr_plan_modality_name(enum vr_plan_modality m)
{
    return (unsigned)m < VR_PLAN_N_MOD ? mod_names[m] : "?";
}

void vr_plan_input_init(struct vr_plan_input *in)
{
    memset(in, 0, sizeof(*in));
    in->mix[VR_PLAN_AUDIO] = 1.0;
}

bool vr_plan_input_valid(const struct vr_plan_input *in)
{
    return in->peak_calls > 0 || (in->users > 0 && in->concurrency_cpct > 0);
}

/* A decimal with at most `decimals` digits after the point, scaled to an integer:
 * ("12.5", 2) -> 1250. Skips blanks around it. end points after the number. */
static int fixed_point(const char *s, unsigned decimals, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    unsigned digits = 0, frac = 0;
    bool point = false;
    while (*s == ' ' || *s == '\t')
        s++;
    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            if (point && frac == decimals)
                return VR_EINVAL;
            if (v > UINT64_MAX / 20)
                return VR_EINVAL;
            v = v * 10 + (uint64_t)(*s - '0');
            digits++;
            if (point)
                frac++;
        } else if (*s == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (digits == 0)
        return VR_EINVAL;
    for (; frac < decimals; frac++)
        v *= 10;
    while (*s == ' ' || *s == '\t')
        s++;
    *out = v;
    *end = s;
    return 0;
}

int vr_plan_parse_pct(const char *s, const char *what, uint32_t max_cpct, uint32_t *out,
                      struct vr_errbuf *eb)
{
    uint64_t v = 0;
    const char *end = NULL;
    if (s == NULL || fixed_point(s, 2, &v, &end) < 0)
        goto bad;
    if (*end == '%') {
        end++;
        while (*end == ' ' || *end == '\t')
            end++;
    }
    if (*end != '\0' || v > max_cpct)
        goto bad;
    *out = (uint32_t)v;
    return 0;
bad:
    return vr_errbuf_set(eb, VR_EINVAL,
                         "%s \"%.32s\": expected a percentage 0..%u with at most two decimals, "
                         "e.g. 15%%",
                         what, s != NULL ? s : "", max_cpct / 100);
}

int vr_plan_parse_mix(const char *s, const char *what, double mix[VR_PLAN_N_MOD],
                      struct vr_errbuf *eb)
{
    double m[VR_PLAN_N_MOD] = {0};
    bool seen[VR_PLAN_N_MOD] = {false};
    const char *p = s;
    if (s == NULL || *s == '\0')
        goto bad;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, "=,");
        int k = -1;
        for (int i = 0; i < VR_PLAN_N_MOD; i++)
            if (strlen(mod_names[i]) == n && strncmp(p, mod_names[i], n) == 0)
                k = i;
        if (k < 0 || p[n] != '=') {
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "%s \"%.48s\": expected CLASS=SHARE pairs of audio, video and "
                                 "sharing, e.g. audio=1,video=0.3,sharing=0.1",
                                 what, s);
        }
        if (seen[k])
            return vr_errbuf_set(eb, VR_EINVAL, "%s: %s is given twice", what, mod_names[k]);
        seen[k] = true;
        uint64_t v = 0;
        const char *end = NULL;
        if (fixed_point(p + n + 1, 3, &v, &end) < 0 || v > 1000 || (*end != ',' && *end != 0))
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "%s: %s: expected a share of calls 0..1 with at most three "
                                 "decimals, e.g. %s=0.3",
                                 what, mod_names[k], mod_names[k]);
        m[k] = (double)v / 1000.0;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    memcpy(mix, m, sizeof(m));
    return 0;
bad:
    return vr_errbuf_set(
        eb, VR_EINVAL, "%s: expected CLASS=SHARE pairs, e.g. audio=1,video=0.3,sharing=0.1", what);
}

void vr_plan_format_mix(const double mix[VR_PLAN_N_MOD], char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < VR_PLAN_N_MOD && o < len; i++) {
        if (!(mix[i] > 0.0))
            continue;
        int k = snprintf(buf + o, len - o, "%s%s=%g", o > 0 ? "," : "", mod_names[i],
                         round(mix[i] * 1000.0) / 1000.0);
        if (k < 0 || (size_t)k >= len - o)
            break;
        o += (size_t)k;
    }
    if (o == 0)
        snprintf(buf, len, "none");
}

/* ceil(a x b / 10000) without overflow for our bounds. */
static uint64_t ceil_cpct(uint64_t a, uint64_t b)
{
    return (a * b + 9999u) / 10000u;
}

int vr_plan_compute(const struct vr_plan_input *in, struct vr_plan *out, struct vr_errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    if (!vr_plan_input_valid(in))
        return vr_errbuf_set(eb, VR_EINVAL,
                             "no plan: give users and peak concurrency, or a planned peak of "
                             "calls");
    if (in->users > VR_PLAN_MAX_USERS || in->concurrency_cpct > 10000u ||
        in->peak_calls > VR_PLAN_MAX_CALLS || in->growth_cpct > VR_PLAN_MAX_GROWTH_CPCT)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "plan out of range: users <= %u, concurrency <= 100 %%, peak calls "
                             "<= %u, growth <= 1000 %%",
                             VR_PLAN_MAX_USERS, VR_PLAN_MAX_CALLS);
    for (int i = 0; i < VR_PLAN_N_MOD; i++)
        if (!(in->mix[i] >= 0.0 && in->mix[i] <= 1.0))
            return vr_errbuf_set(eb, VR_EINVAL, "mix: %s share must be 0..1", mod_names[i]);
    uint64_t peak = in->peak_calls;
    if (peak == 0) {
        peak = ceil_cpct(in->users, in->concurrency_cpct);
        out->from_users = true;
    }
    uint64_t planned = ceil_cpct(peak, 10000u + (uint64_t)in->growth_cpct);
    out->peak_calls = (uint32_t)peak;       /* <= 10^7 */
    out->planned_calls = (uint32_t)planned; /* <= 1.1 x 10^8 */
    double per_call = 0.0;
    for (int i = 0; i < VR_PLAN_N_MOD; i++) {
        out->bitrate_bps[i] = mod_bps[i];
        out->mod_bps[i] = (double)planned * in->mix[i] * mod_bps[i];
        out->bps_planned += out->mod_bps[i];
        per_call += in->mix[i] * mod_bps[i];
    }
    out->bps_peak = (double)peak * per_call;
    return 0;
}

const char *vr_capacity_status_name(enum vr_capacity_status s)
{
    switch (s) {
    case VR_CAPACITY_NO_PLAN:
        return "no_plan";
    case VR_CAPACITY_READY:
        return "ready";
    case VR_CAPACITY_NOT_MEASURED:
        return "not_measured";
    case VR_CAPACITY_AT_RISK:
        return "at_risk";
    case VR_CAPACITY_NOT_READY:
        return "not_ready";
    }
    return "no_plan";
}

int vr_capacity_status_level(enum vr_capacity_status s)
{
    switch (s) {
    case VR_CAPACITY_NO_PLAN:
    case VR_CAPACITY_READY:
        return 0;
    case VR_CAPACITY_NOT_MEASURED:
    case VR_CAPACITY_AT_RISK:
        return 1;
    case VR_CAPACITY_NOT_READY:
        return 2;
    }
    return 0;
}

/* "planned peak 24 (+10 % growth)" or "planned peak 24" without growth. */
static void planned_text(const struct vr_plan *p, uint32_t growth_cpct, char *buf, size_t len)
{
    if (growth_cpct == 0) {
        snprintf(buf, len, "planned peak %u", p->planned_calls);
        return;
    }
    snprintf(buf, len, "planned peak %u (+%g %% growth)", p->planned_calls,
             (double)growth_cpct / 100.0);
}

enum vr_capacity_status vr_plan_judge(const struct vr_plan *plan, uint32_t growth_cpct,
                                      bool measured, uint32_t capacity_calls, char *reason,
                                      size_t len)
{
    char pt[96];
    if (plan == NULL || plan->planned_calls == 0) {
        snprintf(reason, len, "no plan");
        return VR_CAPACITY_NO_PLAN;
    }
    planned_text(plan, growth_cpct, pt, sizeof(pt));
    if (!measured) {
        snprintf(reason, len, "capacity not measured (%s)", pt);
        return VR_CAPACITY_NOT_MEASURED;
    }
    uint64_t cap = capacity_calls, want = plan->planned_calls;
    if (cap < want) {
        snprintf(reason, len, "capacity %u calls < %s", capacity_calls, pt);
        return VR_CAPACITY_NOT_READY;
    }
    /* cap < want x 1.2, in integers */
    if (cap * 100u < want * (100u + VR_PLAN_HEADROOM_PCT)) {
        snprintf(reason, len, "capacity %u calls is within %u %% of %s", capacity_calls,
                 VR_PLAN_HEADROOM_PCT, pt);
        return VR_CAPACITY_AT_RISK;
    }
    snprintf(reason, len, "capacity %u calls >= %s + %u %% headroom", capacity_calls, pt,
             VR_PLAN_HEADROOM_PCT);
    return VR_CAPACITY_READY;
}
