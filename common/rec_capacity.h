/* rec_capacity: the "capacity" record (docs/records.md, issue 5) as a C value and as JSON: the
 * one writer (the agent's `capacity`) and the one reader (the collector's ingest).
 *
 * The struct holds every field the writer writes, so that reader(writer(r)) == r. Absent
 * optional fields read as: "" for strings, NAN for reals (null in JSON where allowed), -1 for
 * enums and counts marked so. The struct is large (the steps' reasons are bounded arrays):
 * allocate it, do not put it on a small stack. Pure; any thread; jansson: *_to_json returns a
 * new reference the caller owns. */
#ifndef VR_REC_CAPACITY_H
#define VR_REC_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jfield.h"
#include "profile.h"
#include "rec_head.h"
#include "record.h"

#define VR_REC_MAX_CALLS 100000u
#define VR_REC_MAX_STEPS 64
#define VR_REC_MAX_BPS   1e12

/* Names in the record (index = the enum's value). */
extern const char *const vr_rec_limit_names[];   /* threshold max_calls max_rate loss_stop
                                                    interrupted */
extern const char *const vr_rec_cause_names[];   /* bandwidth marking none */
extern const char *const vr_rec_metric_names[];  /* loss jitter rtt owd reorder burst_loss dscp */
extern const char *const vr_rec_dir_names[];     /* fwd rev both */
extern const char *const vr_rec_stopped_names[]; /* completed loss_stop interrupted */
extern const char *const vr_rec_class_names[];   /* audio video sharing besteffort */

struct vr_rec_capacity_step {
    uint32_t calls;
    double duration_s;       /* NAN when absent */
    double bps_fwd, bps_rev; /* NAN: null */
    enum vr_level verdict;
    double loss_fwd_pct, loss_rev_pct, jitter_fwd_ms, jitter_rev_ms, rtt_p95_ms; /* NAN: null */
    double dscp_preserved_fwd_pct, dscp_preserved_rev_pct;                       /* NAN: null */
    size_t n_reasons;
    char reasons[VR_REC_MAX_REASONS][VR_REC_REASON_LEN];
    /* extra fields */
    int64_t streams[VR_CLASS_COUNT]; /* by class; 0 is not written */
    int64_t intervals;               /* -1: absent */
    int stopped;                     /* index in vr_rec_stopped_names, -1: absent */
};

struct vr_rec_capacity_failure {
    uint32_t calls;
    int metric;              /* index in vr_rec_metric_names */
    int direction;           /* index in vr_rec_dir_names, -1: absent */
    char cls[16];            /* "" when absent */
    double value, threshold; /* NAN: null */
    char reason[VR_REC_REASON_LEN];
};

struct vr_rec_capacity {
    char id[64];
    char agent[64];
    char site[64];
    char target[128];
    int link; /* index in vr_rec_link_names; absent reads as "other" */
    char interface[32];
    uint64_t start_wall_ns;
    double duration_s;
    double mix[VR_CLASS_COUNT];        /* streams per call; NAN: the class is not in the mix */
    char profiles[VR_CLASS_COUNT][24]; /* "" when absent */
    uint64_t max_rate_bps;
    uint32_t capacity_calls;
    double capacity_bps_fwd, capacity_bps_rev;
    int limit; /* index in vr_rec_limit_names */
    bool has_first_failure;
    struct vr_rec_capacity_failure first_failure;
    int cause; /* index in vr_rec_cause_names */
    size_t n_steps;
    struct vr_rec_capacity_step steps[VR_REC_MAX_STEPS];
    enum vr_level verdict;
    size_t n_reasons;
    char reasons[VR_REC_MAX_REASONS][VR_REC_REASON_LEN];
    /* extra fields: how the ramp was run */
    char thresholds[16];                      /* "" absent */
    int ip_version;                           /* 4 | 6, 0 absent */
    double step_s, interval_s, loss_stop_pct; /* NAN absent */
    int64_t max_calls;                        /* -1 absent */
};

/* A zeroed record with every optional field absent. */
void vr_rec_capacity_clear(struct vr_rec_capacity *r);
/* New reference, or NULL on allocation failure. */
json_t *vr_rec_capacity_to_json(const struct vr_rec_capacity *r);
/* Parses and validates; 0 or VR_EINVAL with eb naming the field (eb->field). */
int vr_rec_capacity_from_json(const json_t *j, struct vr_rec_capacity *out, struct vr_jerr *eb);

#endif
