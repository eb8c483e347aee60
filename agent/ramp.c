#include "ramp.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *vr_ramp_limit_name(enum vr_ramp_limit l)
{
    switch (l) {
    case VR_RAMP_RUNNING:
        return "running";
    case VR_RAMP_THRESHOLD:
        return "threshold";
    case VR_RAMP_MAX_CALLS:
        return "max_calls";
    case VR_RAMP_MAX_RATE:
        return "max_rate";
    case VR_RAMP_LOSS_STOP:
        return "loss_stop";
    case VR_RAMP_INTERRUPTED:
        return "interrupted";
    }
    return "running";
}

uint32_t vr_ramp_streams(const struct vr_ramp_mix *m, int cls, uint32_t calls)
{
    if (cls < 0 || cls >= VR_CLASS_COUNT || !(m->share[cls] > 0.0) || calls == 0)
        return 0;
    /* 1e-9: 0.3 x 10 is 3.0000000000000004 in binary, and 0.35 x 10 must round to 4 */
    double v = floor(m->share[cls] * (double)calls + 0.5 + 1e-9);
    if (v < 1.0)
        return 1;
    return v > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void vr_ramp_rate(const struct vr_ramp_mix *m, uint32_t calls, double *fwd_bps, double *rev_bps)
{
    double fwd = 0, rev = 0;
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        uint32_t n = vr_ramp_streams(m, c, calls);
        fwd += (double)n * m->stream_bps_fwd[c];
        rev += (double)n * m->stream_bps_rev[c];
    }
    *fwd_bps = fwd;
    *rev_bps = rev;
}

uint32_t vr_ramp_rate_cap(const struct vr_ramp_mix *m, double max_rate_bps, uint32_t max_calls)
{
    /* the rate never falls as calls grow (streams only round up), so the first excess ends it */
    uint32_t best = 0;
    for (uint32_t n = 1; n <= max_calls; n++) {
        double fwd, rev;
        vr_ramp_rate(m, n, &fwd, &rev);
        if (fwd > max_rate_bps || rev > max_rate_bps)
            break;
        best = n;
    }
    return best;
}

void vr_ramp_init(struct vr_ramp *r, const struct vr_ramp_mix *m, uint32_t max_calls,
                  double max_rate_bps)
{
    uint32_t by_rate = vr_ramp_rate_cap(m, max_rate_bps, max_calls);
    memset(r, 0, sizeof(*r));
    r->max_calls = max_calls;
    r->cap = by_rate;
    r->cap_by_rate = by_rate < max_calls;
    r->limit = VR_RAMP_RUNNING;
}

uint32_t vr_ramp_next(struct vr_ramp *r)
{
    if (r->limit != VR_RAMP_RUNNING)
        return 0;
    if (r->first_fail == 0) {
        uint32_t n;
        if (r->last_pass == 0)
            n = 1;
        else
            n = r->last_pass > UINT32_MAX / 2 ? UINT32_MAX : r->last_pass * 2;
        if (n > r->cap) {
            if (r->last_pass >= r->cap) {
                r->limit = r->cap_by_rate ? VR_RAMP_MAX_RATE : VR_RAMP_MAX_CALLS;
                return 0;
            }
            n = r->cap; /* one last step at the cap: --max-rate is never exceeded */
        }
        return n;
    }
    if (r->first_fail <= r->last_pass + 1) {
        r->limit = VR_RAMP_THRESHOLD;
        return 0;
    }
    return r->last_pass + (r->first_fail - r->last_pass) / 2;
}

void vr_ramp_report(struct vr_ramp *r, uint32_t calls, enum vr_ramp_outcome o)
{
    switch (o) {
    case VR_RAMP_PASS:
        if (calls > r->last_pass)
            r->last_pass = calls;
        /* a pass at or above an earlier fail (a path that got better): search above it */
        if (r->first_fail != 0 && r->first_fail <= r->last_pass)
            r->first_fail = 0;
        break;
    case VR_RAMP_FAIL:
    case VR_RAMP_STOP_LOSS:
        if (r->first_fail == 0 || calls < r->first_fail)
            r->first_fail = calls;
        /* a fail at or below an earlier pass (the path got worse): believe the latest */
        if (r->last_pass >= r->first_fail)
            r->last_pass = r->first_fail - 1;
        if (o == VR_RAMP_STOP_LOSS && r->limit == VR_RAMP_RUNNING)
            r->limit = VR_RAMP_LOSS_STOP;
        break;
    case VR_RAMP_STOP_INTERRUPT:
        if (r->limit == VR_RAMP_RUNNING)
            r->limit = VR_RAMP_INTERRUPTED;
        break;
    }
}

/* ---- option parsers ---- */

int vr_ramp_parse_mix(const char *s, double share[VR_CLASS_COUNT], struct vr_errbuf *eb)
{
    char buf[256], *save = NULL, *part;
    bool seen[VR_CLASS_COUNT] = {false};
    bool any = false;

    for (int c = 0; c < VR_CLASS_COUNT; c++)
        share[c] = 0;
    if (strlen(s) >= sizeof(buf))
        return vr_errbuf_set(eb, VR_EINVAL, "--mix: too long (at most %zu characters)",
                             sizeof(buf) - 1);
    strcpy(buf, s);
    for (part = strtok_r(buf, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(part, '=');
        enum vr_class cls;
        double v = 1.0;
        if (eq != NULL)
            *eq = '\0';
        if (vr_class_by_name(part, &cls) != 0)
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "--mix \"%s\": unknown class \"%s\"; use audio, video, sharing or "
                                 "besteffort, e.g. audio=1,video=0.3",
                                 s, part);
        if (eq != NULL) {
            char *end;
            const char *num = eq + 1;
            /* digits first, no hex: strtod would take blanks, signs, "inf" and 0x1 */
            if (!(isdigit((unsigned char)num[0]) || num[0] == '.') || strpbrk(num, "xX"))
                goto bad_share;
            errno = 0;
            v = strtod(num, &end);
            if (end == num || *end != '\0' || errno != 0 || !isfinite(v) || v < 0 ||
                v > VR_RAMP_MIX_MAX_SHARE)
                goto bad_share;
        }
        if (seen[cls])
            return vr_errbuf_set(eb, VR_EINVAL, "--mix \"%s\": class %s given twice", s, part);
        seen[cls] = true;
        share[cls] = v;
        any |= v > 0;
        continue;
    bad_share:
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--mix \"%s\": share of %s must be a number from 0 to 16 (streams "
                             "per call), e.g. video=0.3",
                             s, part);
    }
    if (!any)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--mix \"%s\": no class with a share above 0, e.g. audio=1", s);
    return 0;
}

int vr_ramp_parse_rate(const char *s, const char *what, double *bps, struct vr_errbuf *eb)
{
    char *end;
    double v, mult = 1;

    if (!(isdigit((unsigned char)s[0]) || s[0] == '.'))
        goto bad;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || strchr(s, 'x') || strchr(s, 'X'))
        goto bad;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1e3;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1e6;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1e9;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0' && strcmp(end, "bit") != 0 && strcmp(end, "bps") != 0 &&
        strcmp(end, "bit/s") != 0)
        goto bad;
    v *= mult;
    if (v < 1e3 || v > 100e9)
        return vr_errbuf_set(eb, VR_EINVAL, "%s \"%s\": from 1k to 100G bits/s, e.g. 10M", what, s);
    *bps = v;
    return 0;
bad:
    return vr_errbuf_set(eb, VR_EINVAL,
                         "%s \"%s\": expected bits/s with an optional k, M or G, e.g. 10M, 500k "
                         "or 2.5M",
                         what, s);
}
