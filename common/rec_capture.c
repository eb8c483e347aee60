#include "rec_capture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfield.h"
#include "rec_head.h"

#define MAX_MS VR_REC_MAX_MS

#define REQ VR_JFIELD_REQUIRED
#define OPT VR_JFIELD_OPTIONAL
#define NUL VR_JFIELD_NULLABLE

const char *const vr_rec_capture_class_names[] = {"audio", "video", "sharing", "unknown", NULL};
const char *const vr_rec_clock_source_names[] = {"given", "inferred", "default", NULL};

void vr_rec_capture_clear(struct vr_rec_capture *r)
{
    memset(r, 0, sizeof(*r));
    r->link = 2;
    r->payload_type = r->clock_hz = r->expected = r->duplicates = -1;
    r->clock_source = -1;
    r->reorder_pct = r->jitter_max_ms = r->max_delta_ms = r->mos = NAN;
}

/* ---- writer ---------------------------------------------------------------------------------- */

json_t *vr_rec_capture_to_json(const struct vr_rec_capture *r)
{
    char start[40];
    json_t *o = json_object(), *dscp = json_object();
    bool ok = o != NULL && dscp != NULL;
    vr_format_rfc3339(r->start_wall_ns, start, sizeof(start));
    for (int i = 0; ok && i < 64; i++) {
        char k[4];
        if (r->dscp[i] == 0)
            continue;
        snprintf(k, sizeof(k), "%d", i);
        ok = vr_jfield_put(dscp, k, json_integer((json_int_t)r->dscp[i]));
    }
    ok = ok && vr_jfield_put(o, "type", json_string("capture"));
    ok = ok && vr_jfield_put(o, "schema", json_integer(1));
    ok = ok && vr_jfield_put(o, "id", json_string(r->id));
    ok = ok && vr_jfield_put(o, "agent", json_string(r->agent));
    ok = ok && vr_jfield_put(o, "site", json_string(r->site));
    if (r->source[0] != '\0')
        ok = ok && vr_jfield_put(o, "source", json_string(r->source));
    ok = ok && vr_jfield_put(o, "link", json_string(vr_rec_link_names[r->link]));
    ok = ok && vr_jfield_put(o, "start", json_string(start));
    ok = ok && vr_jfield_put(o, "duration_s", json_real(r->duration_s));
    ok = ok && vr_jfield_put(o, "src", json_string(r->src));
    ok = ok && vr_jfield_put(o, "dst", json_string(r->dst));
    if (r->ssrc[0] != '\0')
        ok = ok && vr_jfield_put(o, "ssrc", json_string(r->ssrc));
    if (r->payload_type >= 0)
        ok = ok && vr_jfield_put(o, "payload_type", json_integer(r->payload_type));
    ok = ok &&
         vr_jfield_put(o, "clock_hz", r->clock_hz >= 0 ? json_integer(r->clock_hz) : json_null());
    /* extra field: where the clock came from (payload type / option, timestamps, default) */
    if (r->clock_source >= 0)
        ok = ok && vr_jfield_put(o, "clock_source",
                                 json_string(vr_rec_clock_source_names[r->clock_source]));
    ok = ok && vr_jfield_put(o, "class", json_string(vr_rec_capture_class_names[r->cls]));
    ok = ok && vr_jfield_put(o, "packets", json_integer((json_int_t)r->packets));
    if (r->expected >= 0)
        ok = ok && vr_jfield_put(o, "expected", json_integer(r->expected));
    ok = ok && vr_jfield_put(o, "lost", json_integer((json_int_t)r->lost));
    ok = ok && vr_jfield_put(o, "loss_pct", json_real(r->loss_pct));
    if (r->duplicates >= 0)
        ok = ok && vr_jfield_put(o, "duplicates", json_integer(r->duplicates));
    ok = ok && vr_jfield_put(o, "reorder_pct", vr_jfield_real_or_null(r->reorder_pct));
    ok = ok && vr_jfield_put(o, "jitter_ms", json_real(r->jitter_ms));
    ok = ok && vr_jfield_put(o, "jitter_max_ms", vr_jfield_real_or_null(r->jitter_max_ms));
    ok = ok && vr_jfield_put(o, "max_delta_ms", vr_jfield_real_or_null(r->max_delta_ms));
    ok = ok && vr_jfield_put(o, "dscp", r->has_dscp ? json_incref(dscp) : json_null());
    ok = ok && vr_jfield_put(o, "mos", vr_jfield_real_or_null(r->mos));
    ok = ok && vr_jfield_put(o, "verdict", json_string(vr_level_name(r->verdict)));
    ok =
        ok && vr_jfield_put(o, "reasons",
                            vr_jfield_string_array(r->reasons[0], r->n_reasons, VR_REC_REASON_LEN));
    if (r->turn_channel_data)
        ok = ok && vr_jfield_put(o, "turn_channel_data", json_true()); /* relayed through TURN */
    json_decref(dscp);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- reader ---------------------------------------------------------------------------------- */

static int dscp_counts(const json_t *j, struct vr_rec_capture *r, struct vr_jerr *eb)
{
    const json_t *d = json_object_get(j, "dscp");
    if (d == NULL || json_is_null(d))
        return 0;
    if (!json_is_object(d) || json_object_size(d) > 64)
        return vr_jfield_fail(eb, "", "dscp", "expected an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)d, k, v)
    {
        char *end = NULL;
        long mark = strtol(k, &end, 10);
        if (end == k || *end != '\0' || mark < 0 || mark > 63 || !json_is_integer(v) ||
            json_integer_value(v) < 0)
            return vr_jfield_fail(eb, "", "dscp", "expected {\"0..63\": packet count}");
        r->dscp[mark] = (uint64_t)json_integer_value(v);
    }
    r->has_dscp = true;
    return 0;
}

int vr_rec_capture_from_json(const json_t *j, struct vr_rec_capture *r, struct vr_jerr *eb)
{
    vr_rec_capture_clear(r);
    int rc = vr_rec_head_read(j, "capture", r->id, r->agent, r->site, &r->link, &r->start_wall_ns,
                              &r->duration_s, &r->verdict, &r->n_reasons, r->reasons[0], eb);
    if (rc < 0)
        return rc;
    if ((rc = vr_jfield_str(j, "", "source", r->source, sizeof(r->source), OPT, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "src", r->src, sizeof(r->src), REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "dst", r->dst, sizeof(r->dst), REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "ssrc", r->ssrc, sizeof(r->ssrc), OPT, NULL, eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "payload_type", 0, 127, OPT, -1, &r->payload_type, eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "clock_hz", 0, 1000000, NUL, -1, &r->clock_hz, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "clock_source", vr_rec_clock_source_names, OPT,
                             &r->clock_source, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "class", vr_rec_capture_class_names, REQ, &r->cls, eb)) < 0 ||
        (rc = vr_jfield_u64(j, "", "packets", VR_REC_MAX_COUNT, REQ, &r->packets, eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "expected", 0, (int64_t)VR_REC_MAX_COUNT, OPT, -1, &r->expected,
                            eb)) < 0 ||
        (rc = vr_jfield_u64(j, "", "lost", VR_REC_MAX_COUNT, REQ, &r->lost, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "loss_pct", 0, 100, REQ, &r->loss_pct, eb)) < 0 ||
        (rc = vr_jfield_int(j, "", "duplicates", 0, (int64_t)VR_REC_MAX_COUNT, OPT, -1,
                            &r->duplicates, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "reorder_pct", 0, 100, NUL, &r->reorder_pct, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "jitter_ms", 0, MAX_MS, REQ, &r->jitter_ms, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "jitter_max_ms", 0, MAX_MS, NUL, &r->jitter_max_ms, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "max_delta_ms", 0, MAX_MS, NUL, &r->max_delta_ms, eb)) < 0 ||
        (rc = dscp_counts(j, r, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "mos", 1, 5, NUL, &r->mos, eb)) < 0 ||
        (rc = vr_jfield_bool(j, "", "turn_channel_data", OPT, &r->turn_channel_data, eb)) < 0)
        return rc;
    return 0;
}
