/* rec_capture: the "capture" record (docs/records.md, issue 6) as a C value and as JSON: the one
 * writer (the agent's `capture`, one record per RTP stream) and the one reader (the collector's
 * ingest). The struct holds every field the writer writes, so that reader(writer(r)) == r;
 * absent optional fields read as "" / NAN / -1 as noted. Pure; any thread; *_to_json returns a
 * new reference the caller owns. */
#ifndef VR_REC_CAPTURE_H
#define VR_REC_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jfield.h"
#include "rec_head.h"
#include "record.h"

#define VR_REC_MAX_COUNT 1000000000000ull

extern const char *const vr_rec_capture_class_names[]; /* audio video sharing unknown */
extern const char *const vr_rec_clock_source_names[];  /* given inferred default */

struct vr_rec_capture {
    char id[64];
    char agent[64];
    char site[64];
    char source[128]; /* interface or file name, "" absent */
    int link;         /* index in vr_rec_link_names; absent reads as "other" */
    uint64_t start_wall_ns;
    double duration_s;
    char src[64], dst[64]; /* "addr:port" / "[addr]:port" */
    char ssrc[16];         /* "0x%08x", "" absent */
    int64_t payload_type;  /* -1 absent */
    int64_t clock_hz;      /* -1 null */
    int clock_source;      /* index in vr_rec_clock_source_names, -1 absent */
    int cls;               /* index in vr_rec_capture_class_names */
    uint64_t packets;
    int64_t expected; /* -1 absent */
    uint64_t lost;
    double loss_pct;
    int64_t duplicates;                                         /* -1 absent */
    double reorder_pct, jitter_ms, jitter_max_ms, max_delta_ms; /* NAN: null (not jitter_ms) */
    bool has_dscp;                                              /* "dscp" object present */
    uint64_t dscp[64];                                          /* packets by mark; 0 not written */
    double mos;                                                 /* NAN: null */
    enum vr_level verdict;
    size_t n_reasons;
    char reasons[VR_REC_MAX_REASONS][VR_REC_REASON_LEN];
    bool turn_channel_data; /* extra field, written only when true */
};

void vr_rec_capture_clear(struct vr_rec_capture *r);
json_t *vr_rec_capture_to_json(const struct vr_rec_capture *r);
/* 0 or VR_EINVAL with eb naming the field (eb->field). */
int vr_rec_capture_from_json(const json_t *j, struct vr_rec_capture *out, struct vr_jerr *eb);

#endif
