/* record: interval, summary and verdict records (DESIGN.md §5) as C values and as JSON.
 *
 * The field names of the JSON are the contract with the collector and outside tests. This module
 * only converts; it does not compute metrics (agg.h) or judge them (score.h). jansson references:
 * every *_to_json returns a new reference the caller owns (json_decref). Any thread. */
#ifndef VR_RECORD_H
#define VR_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "timefmt.h"
#include "wifi.h"

/* jansson's object type and jfield's error, declared here so that the C value of a record (which
 * stores and scoring take) needs no JSON library: only the conversions below speak JSON. */
typedef struct json_t json_t;
struct vr_jerr;

enum vr_record_type {
    VR_RECORD_INTERVAL = 0,
    VR_RECORD_SUMMARY = 1,
};

enum vr_level {
    VR_LEVEL_PASS = 0,
    VR_LEVEL_WARN = 1,
    VR_LEVEL_FAIL = 2,
};

/* Distribution summary in milliseconds. */
struct vr_quantiles {
    double min, mean, p50, p95, p99, max;
};

#define VR_RECORD_MAX_REASONS 8
#define VR_RECORD_REASON_LEN  160

struct vr_record {
    enum vr_record_type type;
    char id[64]; /* unique per agent */
    char agent[64];
    char site[64];
    char target[128];       /* "host:port" as the user gave it */
    char link[16];          /* "wired" | "wifi" | "other" */
    char interface[32];     /* egress interface name, "" when unknown */
    struct vr_wifi wifi;    /* "wifi" object when link is "wifi" (unknown fields null), else null */
    char cls[16];           /* "audio", "video", "sharing", "besteffort" */
    int dscp;               /* the class's DSCP */
    char profile[24];       /* codec profile name (extra field, not in the contract) */
    uint64_t start_wall_ns; /* interval start, Unix ns UTC */
    double duration_s;
    uint32_t calls;

    uint64_t sent;         /* probes sent */
    uint64_t received;     /* replies received in time, unique */
    uint64_t fwd_received; /* probes the reflector got (extra field: "reflector_received") */
    double loss_fwd_pct, loss_rev_pct, loss_pct, burst_loss_max_pct;
    uint64_t duplicates;
    double reorder_pct;

    struct vr_quantiles rtt_ms;
    bool clock_synced;
    bool has_owd; /* owd_* are null in JSON when false; false whenever !clock_synced */
    struct vr_quantiles owd_fwd_ms, owd_rev_ms;
    double jitter_fwd_ms, jitter_rev_ms;
    struct vr_quantiles ipdv_fwd_ms, ipdv_rev_ms;

    uint64_t dscp_fwd[64], dscp_rev[64]; /* packets by DSCP as received at reflector / sender */
    uint64_t ecn_fwd[4], ecn_rev[4];     /* by ECN codepoint: not-ect, ect1, ect0, ce */

    double mos;
    uint64_t late;          /* replies that came after the late timeout (counted as lost) */
    uint64_t send_overruns; /* probes sent more than 1 ms after their deadline */

    enum vr_level verdict;
    size_t n_reasons;
    char reasons[VR_RECORD_MAX_REASONS][VR_RECORD_REASON_LEN];
    uint32_t step_calls; /* extra field "step_calls" in a capacity run's intervals; 0 absent */
};

/* Share of packets received with mark `dscp` among all received (percent); returns -1 when
 * nothing was received (JSON null). */
double vr_record_dscp_preserved_pct(const uint64_t counts[64], int dscp);
/* The most frequent DSCP other than `dscp` among counts, or -1 when there is none. */
int vr_record_dscp_top_other(const uint64_t counts[64], int dscp);

const char *vr_level_name(enum vr_level l); /* "pass" | "warn" | "fail" */

/* New reference, or NULL on allocation failure. Field order follows DESIGN.md §5. */
json_t *vr_record_to_json(const struct vr_record *r);

/* Parses and validates a record (type interval or summary) as produced by vr_record_to_json.
 * Unknown fields are ignored; missing or out-of-range required fields give VR_EINVAL with
 * eb naming the field (eb->field, and in the message). "wifi" is optional (records of agents before
 * it; unknown values then) and must be null unless link is "wifi"; its "band" is checked, then
 * derived from freq_mhz. */
int vr_record_from_json(const json_t *j, struct vr_record *out, struct vr_jerr *eb);

#endif
