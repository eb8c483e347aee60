/* capacity: the engine of `voiceready-agent capacity`. Runs a ramp of steps on one libuv loop,
 * each step one vr_session with the streams of N calls of the mix for --step, judges each step
 * by its interval records (a step passes when no interval fails), asks ramp.c for the next call
 * count, stops the ramp at once when an interval loses more than the safety limit, and at the end
 * builds the "capacity" record (docs/records.md).
 *
 * It prints nothing: records, steps, progress and the result go to the hooks, so that the
 * command and (later) the daemon share it. Lifecycle: vr_capacity_init, vr_capacity_start; when
 * the ramp is over the engine closes its handles and then calls on_done (uv_run returns once the
 * caller's handles are closed too); vr_capacity_free after the loop has stopped.
 * Loop thread only. */
#ifndef VR_CAPACITY_H
#define VR_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "err.h"
#include "ramp.h"
#include "record.h"
#include "recref.h"
#include "score.h"
#include "session.h"

struct vr_capacity_config {
    /* target, dst, thr, agent, site, interface and profile (NULL = each class's default) are
     * used as given; class_mask, class_calls, calls, duration, interval, late timeout and tag
     * are set per step */
    struct vr_session_config session;
    double mix[VR_CLASS_COUNT];    /* streams per call by class, see vr_ramp_parse_mix */
    uint32_t max_calls;            /* 1..VR_RAMP_CALLS_LIMIT */
    double max_rate_bps;           /* never exceeded in either direction */
    double loss_stop_pct;          /* an interval losing more stops the ramp at once (5) */
    uint64_t step_ns, interval_ns; /* step >= 2 intervals */
    uint64_t pause_ns;             /* quiet time between steps, so that queues drain */
};

#define VR_CAPACITY_MAX_STEPS   64
#define VR_CAPACITY_MAX_REASONS 8
#define VR_CAPACITY_REASON_LEN  224

/* The worst finding of an interval, with its class and its wording. */
struct vr_capacity_failure {
    struct vr_finding f;
    char cls[16];
    char reason[VR_CAPACITY_REASON_LEN]; /* "loss 2.2 % forward, audio (threshold 1 %)" */
};

struct vr_capacity_step {
    uint32_t index; /* 0-based */
    uint32_t calls;
    uint32_t streams[VR_CLASS_COUNT];
    double bps_fwd, bps_rev; /* wire rate per direction, computed before the step */
    double duration_s;       /* measured: the intervals' total */
    uint32_t intervals;      /* interval records (all classes) */
    enum vr_level verdict;   /* worst interval */
    bool loss_stop, interrupted;
    /* worst over the step's intervals and classes; dscp: lowest preserved share of a marked
     * class, -1 when none was measured */
    double loss_fwd_pct, loss_rev_pct, jitter_fwd_ms, jitter_rev_ms, rtt_p95_ms;
    double dscp_fwd_pct, dscp_rev_pct;
    /* the latest interval, for live progress */
    double last_loss_fwd_pct, last_loss_rev_pct, last_jitter_fwd_ms, last_jitter_rev_ms;
    size_t n_reasons;
    char reasons[VR_CAPACITY_MAX_REASONS][VR_CAPACITY_REASON_LEN];
    bool has_failure; /* the first failing interval's worst failing finding */
    struct vr_capacity_failure failure;
    bool marking_lost; /* a marked class kept its mark on < the threshold in a direction */
    char marking_cls[16];
    enum vr_dir marking_dir;
    int marking_dscp, marking_seen; /* sent, most frequent other mark seen (-1 none) */
};

struct vr_capacity_progress {
    const struct vr_capacity_step *step; /* borrowed, the running step */
    double elapsed_s, total_s;           /* within the step */
};

struct vr_capacity_result {
    int error; /* 0, or why the ramp could not run (what was measured is still reported) */
    char errmsg[512];
    uint32_t capacity_calls;
    double capacity_bps_fwd, capacity_bps_rev;
    enum vr_ramp_limit limit;
    const char *cause;                            /* "bandwidth" | "marking" | "none" */
    const struct vr_capacity_step *first_failure; /* borrowed; NULL when nothing failed */
    size_t n_steps;
    const struct vr_capacity_step *steps; /* borrowed, valid until vr_capacity_free */
    enum vr_level verdict;
    size_t n_reasons;
    char reasons[VR_CAPACITY_MAX_REASONS][VR_CAPACITY_REASON_LEN];
    int ipv6;
    /* borrowed "capacity" record, valid until vr_capacity_free; NULL on error */
    const struct vr_rec_capacity *record;
};

struct vr_capacity_hooks {
    /* borrowed for the call: each step's interval records (with their step_calls), then the
     * capacity record (VR_REC_KIND_CAPACITY) */
    vr_rec_cb on_record;
    void (*on_step)(void *arg, const struct vr_capacity_step *st, bool finished); /* start/end */
    void (*on_progress)(void *arg, const struct vr_capacity_progress *p);         /* about 1/s */
    void (*on_done)(void *arg, const struct vr_capacity_result *res);
    void *arg;
};

struct vr_capacity;

/* Validates cfg (eb names the problem: e.g. --max-rate below one call). *out is freed with
 * vr_capacity_free, also on failure. */
int vr_capacity_init(uv_loop_t *loop, const struct vr_capacity_config *cfg,
                     const struct vr_capacity_hooks *hooks, struct vr_capacity **out,
                     struct vr_errbuf *eb);
/* Starts the first step (opening its sockets: errors such as a bad interface come back here). */
int vr_capacity_start(struct vr_capacity *c, struct vr_errbuf *eb);
/* Ctrl-C: stop the running step at once, report what was measured (limit "interrupted"). */
void vr_capacity_interrupt(struct vr_capacity *c);
/* After the loop has returned. NULL is a no-op. */
void vr_capacity_free(struct vr_capacity *c);

/* The wire rate of one stream of each class of the config's mix and address family. */
void vr_capacity_mix(const struct vr_capacity_config *cfg, struct vr_ramp_mix *m);
/* Names in the record's first_failure: "loss", "jitter", ... and "fwd", "rev", "both". */
const char *vr_capacity_metric_name(enum vr_metric m);
const char *vr_capacity_dir_name(enum vr_dir d);

#endif
