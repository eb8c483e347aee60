#include "xrecord.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vr_xrecord_is_x(const json_t *j)
{
    const char *t = json_string_value(json_object_get(j, "type"));
    return t != NULL && (strcmp(t, "capacity") == 0 || strcmp(t, "capture") == 0);
}

static void common_view(struct vr_xrecord *x, enum vr_xrecord_type type, const char *id,
                        const char *agent, const char *site, int link, uint64_t start,
                        double duration_s, enum vr_level verdict)
{
    memset(x, 0, sizeof(*x));
    x->type = type;
    snprintf(x->id, sizeof(x->id), "%s", id);
    snprintf(x->agent, sizeof(x->agent), "%s", agent);
    snprintf(x->site, sizeof(x->site), "%s", site);
    snprintf(x->link, sizeof(x->link), "%s", vr_rec_link_names[link]);
    x->start_wall_ns = start;
    x->duration_s = duration_s;
    x->verdict = verdict;
    x->mos = NAN;
}

void vr_xrecord_of_capacity(const struct vr_rec_capacity *c, struct vr_xrecord *x)
{
    common_view(x, VR_XRECORD_CAPACITY, c->id, c->agent, c->site, c->link, c->start_wall_ns,
                c->duration_s, c->verdict);
    snprintf(x->target, sizeof(x->target), "%s", c->target);
    x->capacity_calls = c->capacity_calls;
    x->bps_fwd = c->capacity_bps_fwd;
    x->bps_rev = c->capacity_bps_rev;
    x->max_rate_bps = c->max_rate_bps;
    snprintf(x->limit, sizeof(x->limit), "%s", vr_rec_limit_names[c->limit]);
    snprintf(x->cause, sizeof(x->cause), "%s", vr_rec_cause_names[c->cause]);
}

void vr_xrecord_of_capture(const struct vr_rec_capture *c, struct vr_xrecord *x)
{
    common_view(x, VR_XRECORD_CAPTURE, c->id, c->agent, c->site, c->link, c->start_wall_ns,
                c->duration_s, c->verdict);
    snprintf(x->src, sizeof(x->src), "%s", c->src);
    snprintf(x->dst, sizeof(x->dst), "%s", c->dst);
    snprintf(x->cls, sizeof(x->cls), "%s", vr_rec_capture_class_names[c->cls]);
    x->packets = c->packets;
    x->lost = c->lost;
    x->loss_pct = c->loss_pct;
    x->jitter_ms = c->jitter_ms;
    x->mos = c->mos;
}

int vr_xrecord_from_json(const json_t *j, struct vr_xrecord *out, struct vr_jerr *eb)
{
    memset(out, 0, sizeof(*out));
    out->mos = NAN;
    if (!json_is_object(j))
        return vr_jerr_set(eb, VR_EINVAL, "expected one JSON object per line");
    const char *t = json_string_value(json_object_get(j, "type"));
    int rc;
    if (t != NULL && strcmp(t, "capture") == 0) {
        struct vr_rec_capture *c = malloc(sizeof(*c));
        if (c == NULL)
            return vr_jerr_set(eb, VR_ENOMEM, "out of memory reading a capture record");
        if ((rc = vr_rec_capture_from_json(j, c, eb)) == 0)
            vr_xrecord_of_capture(c, out);
        free(c);
        return rc;
    }
    /* the capacity reader names a missing or unknown type */
    struct vr_rec_capacity *c = malloc(sizeof(*c));
    if (c == NULL)
        return vr_jerr_set(eb, VR_ENOMEM, "out of memory reading a capacity record");
    if ((rc = vr_rec_capacity_from_json(j, c, eb)) == 0)
        vr_xrecord_of_capacity(c, out);
    free(c);
    return rc;
}
