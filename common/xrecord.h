/* xrecord: the indexed view of a "capacity" or "capture" record, as the collector's store keeps
 * it: the fields it indexes as C values, the whole line stored raw beside them. Read through the
 * records' one reader (rec_capacity.h, rec_capture.h), so the rules and the messages are theirs:
 * `record field "capacity_calls": expected an integer 0..100000`, eb->field naming the field.
 * Unknown fields are ignored. Pure; any thread. */
#ifndef VR_XRECORD_H
#define VR_XRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jfield.h"
#include "rec_capacity.h"
#include "rec_capture.h"
#include "record.h"

#define VR_XRECORD_MAX_CALLS VR_REC_MAX_CALLS
#define VR_XRECORD_MAX_STEPS VR_REC_MAX_STEPS

enum vr_xrecord_type {
    VR_XRECORD_CAPACITY = 0,
    VR_XRECORD_CAPTURE = 1,
};

struct vr_xrecord {
    enum vr_xrecord_type type;
    char id[64];
    char agent[64];
    char site[64];
    char link[16]; /* "wired" | "wifi" | "other" */
    uint64_t start_wall_ns;
    double duration_s;
    enum vr_level verdict;
    /* capacity */
    char target[128];
    uint32_t capacity_calls;
    double bps_fwd, bps_rev; /* wire rate at capacity_calls, bits/s */
    uint64_t max_rate_bps;
    char limit[16]; /* threshold | max_calls | max_rate | loss_stop | interrupted */
    char cause[16]; /* bandwidth | marking | none */
    /* capture */
    char src[64], dst[64];
    char cls[16]; /* audio | video | sharing | unknown */
    uint64_t packets, lost;
    double loss_pct, jitter_ms, mos; /* mos NAN when null */
    const char *raw;                 /* the JSON line (set by the caller; borrowed) */
};

/* True when j is an object whose "type" is "capacity" or "capture". */
bool vr_xrecord_is_x(const json_t *j);
/* Parses and validates a capacity or capture record. 0, VR_ENOMEM, or VR_EINVAL with eb naming
 * the field. */
int vr_xrecord_from_json(const json_t *j, struct vr_xrecord *out, struct vr_jerr *eb);
/* The view of a record already read. */
void vr_xrecord_of_capacity(const struct vr_rec_capacity *c, struct vr_xrecord *out);
void vr_xrecord_of_capture(const struct vr_rec_capture *c, struct vr_xrecord *out);

#endif
