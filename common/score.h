/* score: thresholds, the judgement of one interval record, and the verdict of a run or a site
 * over many records (DESIGN.md §6). The same code serves `agent test` and the collector.
 * Pure logic; no I/O; not thread-safe per object. */
#ifndef VR_SCORE_H
#define VR_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "record.h"

struct vr_thresholds {
    char name[16];         /* "client" | "edge" | "custom" */
    double rtt_ms;         /* mean RTT of the interval must be below */
    double owd_ms;         /* p50 one-way delay per direction, only when clocks are synced */
    double loss_pct;       /* loss_pct, loss_fwd_pct, loss_rev_pct */
    double burst_loss_pct; /* burst_loss_max_pct (any 200 ms) */
    double jitter_ms;      /* jitter_fwd_ms and jitter_rev_ms */
    double reorder_pct;
    double dscp_preserved_pct; /* per direction, marked classes only (dscp != 0) */
    double warn_fraction;      /* 0.8: a metric at >= 80 % of its threshold warns */
};

/* Fills t with a named built-in set ("client" = Microsoft's client targets, "edge" = customer
 * edge targets, REFERENCE.md §1). 0 or VR_EINVAL (eb says which names exist). */
int vr_thresholds_by_name(const char *name, struct vr_thresholds *t, struct vr_errbuf *eb);

enum vr_metric {
    VR_METRIC_RTT = 0,
    VR_METRIC_OWD,
    VR_METRIC_LOSS,
    VR_METRIC_BURST_LOSS,
    VR_METRIC_JITTER,
    VR_METRIC_REORDER,
    VR_METRIC_DSCP,
};
#define VR_METRIC_COUNT 7

enum vr_dir {
    VR_DIR_ROUND = 0, /* round trip or both directions together */
    VR_DIR_FWD = 1,   /* agent -> reflector */
    VR_DIR_REV = 2,   /* reflector -> agent */
};

struct vr_finding {
    enum vr_metric metric;
    enum vr_dir dir;
    enum vr_level level; /* warn or fail */
    double value;        /* in the metric's unit (ms or %); for DSCP the preserved % */
    double threshold;
    int dscp_seen; /* DSCP: the mark that arrived instead (-1 if none) */
};

#define VR_SCORE_MAX_FINDINGS 16

/* The threshold rule of one metric, the only one in the tree: fail at or above the threshold
 * (burst loss only above it), warn at or above t->warn_fraction of it (the warn band), else pass.
 * A threshold that is not a positive finite number, or a value that is not finite, passes. */
enum vr_level vr_score_level(const struct vr_thresholds *t, enum vr_metric m, double value,
                             double threshold);

/* A value for people, the one rounding rule of every reason: 3 significant-ish digits, no
 * trailing zeros ("3.1", "100", "0.05", "0.123"). Writes a NUL-terminated string into buf. */
void vr_score_fmt_num(double v, char *buf, size_t len);

/* The reason line of finding f of an interval of mark dscp: "near threshold: loss 0.85 % forward
 * (threshold 1 %)", "DSCP EF rewritten to CS0 on 100 % of packets, reverse". with_dir false
 * leaves the direction out (a captured stream has only one). */
void vr_score_fmt_reason(const struct vr_finding *f, int dscp, bool with_dir, char *buf,
                         size_t len);

/* Judges r against t: fills up to max findings (warns and fails), sets r->verdict and
 * r->reasons (fails first, then warns, e.g. "loss 3.1 % forward (threshold 1 %)",
 * "DSCP EF rewritten to CS0 on 100 % of packets, reverse"). Returns the number of findings. */
size_t vr_score_interval(struct vr_record *r, const struct vr_thresholds *t, struct vr_finding *out,
                         size_t max);

enum vr_site_verdict {
    VR_VERDICT_READY = 0,
    VR_VERDICT_AT_RISK = 1,
    VR_VERDICT_NOT_READY = 2,
    /* no results for longer than silent_after (vr_verdict_apply_liveness): never Ready */
    VR_VERDICT_SILENT = 3,
};
/* "ready" | "at_risk" | "not_ready" | "silent" */
const char *vr_site_verdict_name(enum vr_site_verdict v);
/* "Ready" | "At risk" | "Not ready" | "Silent" */
const char *vr_site_verdict_label(enum vr_site_verdict v);

/* The verdict over many interval records: Ready when >= 99 % of counted intervals pass and no
 * mark was rewritten, At risk when >= 95 %, else Not ready. Intervals carry a weight (1 for
 * ordinary ones; peak-load windows weigh more in the collector). Intervals of the besteffort
 * class (dscp 0) are shown but not counted when any marked class is present: it is the
 * unmarked control that shows what voice would suffer without QoS. Reasons group failing
 * intervals by metric, direction and class, the most frequent first, and count them against the
 * counted intervals of that class (not of every class):
 *   "loss 3.1 % forward, audio, 14:05–14:20 UTC, 6 of 60 audio intervals"
 *   "loss 3.1 % forward, audio, 2 episodes, worst 14:05–14:20 UTC, latest 15:40–15:45 UTC,
 *    9 of 60 audio intervals"
 * (worst value, its episode, the latest episode, count). An episode is a run of failing
 * intervals of one group with no gap between them (the episode rule of vr_verdict_group_merge).
 * A range runs from the first interval's start to the last one's end, with seconds when both
 * fall in one minute ("13:51:00–13:51:10 UTC"). Opaque; caller frees. */
struct vr_verdict_acc;

struct vr_verdict_acc *vr_verdict_acc_new(void); /* NULL on allocation failure */
void vr_verdict_acc_free(struct vr_verdict_acc *acc);
/* r must already be scored (vr_score_interval) with these findings. */
void vr_verdict_acc_add(struct vr_verdict_acc *acc, const struct vr_record *r,
                        const struct vr_finding *f, size_t nf, double weight);

#define VR_VERDICT_MAX_REASONS 8
struct vr_verdict {
    enum vr_site_verdict verdict;
    double score_pct; /* weighted share of counted intervals that passed; 100 if none */
    uint64_t intervals, passed, failed, warned; /* counted intervals */
    bool marks_rewritten;
    size_t n_reasons;
    char reasons[VR_VERDICT_MAX_REASONS][200];
};

void vr_verdict_acc_result(const struct vr_verdict_acc *acc, struct vr_verdict *out);
/* Clears acc for reuse (cheaper than free + new when judging many sites in a row). */
void vr_verdict_acc_reset(struct vr_verdict_acc *acc);

/* The same verdict rebuilt from stored aggregates (the collector's hourly rollups) instead of
 * interval by interval, so that the rules and the wording live only here. `marked`: the
 * intervals are of a marked class (dscp != 0), as vr_verdict_acc_add tells them apart. */
struct vr_verdict_counts {
    uint64_t intervals, passed, failed, warned;
    double weight, weight_passed;
    bool marks_rewritten;
};
void vr_verdict_acc_add_counts(struct vr_verdict_acc *acc, bool marked,
                               const struct vr_verdict_counts *c);
/* The denominator of the reasons of class cls: `intervals` more counted intervals of that class
 * (vr_verdict_acc_add does this itself; a store adds its per-class sums, e.g. of path_hour). */
void vr_verdict_acc_add_class(struct vr_verdict_acc *acc, bool marked, const char *cls,
                              uint64_t intervals);

/* Failing (or warning) intervals of one metric, direction and class over some span: a plain
 * value, so that stores can keep and merge groups themselves (the collector's hourly rows). */
struct vr_verdict_group {
    char cls[16]; /* record class name */
    enum vr_metric metric;
    enum vr_dir dir;
    enum vr_level level; /* warn or fail */
    uint64_t count;
    double worst;                         /* as vr_finding.value */
    double severity;                      /* vr_finding_severity() of the worst finding */
    uint64_t first_start_ns, last_end_ns; /* the whole span: first start, last end */
    int dscp, dscp_seen;                  /* DSCP groups: the mark sent and the one seen instead */
    /* Episodes (runs of failing intervals, vr_verdict_group_merge): how many, the end of the
     * first, the start of the latest (it ends at last_end_ns), the one of the worst value, and
     * the longest interval length seen, which sets the gap that splits episodes. */
    uint64_t episodes;
    uint64_t first_end_ns, last_start_ns;
    uint64_t worst_start_ns, worst_end_ns;
    uint64_t step_ns;
};
/* Merges g into the accumulator's group of the same key (see vr_verdict_group_merge). */
void vr_verdict_acc_add_group(struct vr_verdict_acc *acc, bool marked,
                              const struct vr_verdict_group *g);
/* The group of one: finding f of interval record r. */
void vr_verdict_group_from_finding(struct vr_verdict_group *g, const struct vr_record *r,
                                   const struct vr_finding *f);
/* into += g, both of the same key: counts add, the span widens, the most severe worst value is
 * kept, on ties the earlier one in time (the one of the earlier first start; into's when they
 * start together); the class name is into's when into is not empty. An empty into (count 0)
 * becomes a copy of g.
 * The episode rule: the later part's first episode continues the earlier part's latest one when
 * it starts no more than half an interval length (step_ns / 2) after that one ends; else it is a
 * new episode. A passing interval of the group's class and path between two failing ones, or a
 * missing one (the agent was down), leaves a gap of a whole interval and so splits them; the
 * half-interval slack absorbs the jitter of interval start times and intervals of several
 * targets of one class that overlap. Exact when merged in time order (the agent does, and so do
 * the store's hourly rows per agent); parts that interleave in time (several agents' uploads
 * arriving out of order) join at most once per merge, so the episode count may be high then. */
void vr_verdict_group_merge(struct vr_verdict_group *into, const struct vr_verdict_group *g);

/* What one scored interval adds to a verdict, the rule of vr_verdict_acc_add: whether it counts
 * at all, which set it goes to (marked, or the unmarked control), the counts of one interval and
 * one group per distinct metric, direction and level of its findings; counts.intervals is also
 * what it adds to the count of its class r->cls (vr_verdict_acc_add_class). A store that keeps
 * counts and groups itself (the collector's hourly rows) adds exactly these, so that it and the
 * agent judge an interval alike. r must already be scored (vr_score_interval) with these findings.
 */
struct vr_verdict_step {
    bool counted; /* false when nothing was sent or the weight is not positive: adds nothing */
    bool marked;  /* dscp != 0: as the `marked` of vr_verdict_acc_add_counts/_group */
    struct vr_verdict_counts counts;
    size_t n_groups;
    struct vr_verdict_group groups[VR_SCORE_MAX_FINDINGS];
};
void vr_verdict_step_of(struct vr_verdict_step *out, const struct vr_record *r,
                        const struct vr_finding *f, size_t nf, double weight);

/* How far past its threshold a finding is, for ordering reasons (1 = at the threshold). */
double vr_finding_severity(const struct vr_finding *f);
/* The capacity rule on a site verdict v (common/plan.h vr_plan_judge gives status and reason
 * from the capacity calls measured, the planned peak and its growth): when v counted intervals
 * and the status asks for at least At risk, v becomes at least that level, and reason joins
 * the reasons, first when the rule decides the verdict, else after the interval reasons (the
 * last is dropped when they are full). A verdict without intervals is left as it is. */
void vr_verdict_apply_capacity(struct vr_verdict *v, enum vr_capacity_status status,
                               const char *reason);

/* ---- liveness: a site (or agent) that stopped reporting is never Ready ---------------------
 * The collector notes the wall time of every upload it receives (per agent; a site's is the
 * latest of its agents'). Silent: nothing for longer than silent_after (the collector config's
 * `silent_after`, default 5 minutes). Never reported: configured, but no upload yet. */
enum vr_liveness {
    VR_LIVENESS_LIVE = 0,
    VR_LIVENESS_SILENT = 1,
    VR_LIVENESS_NEVER_REPORTED = 2,
};
#define VR_LIVENESS_DEFAULT_SILENT_AFTER_NS (300ull * 1000000000ull) /* 5 minutes */

const char *vr_liveness_name(enum vr_liveness l); /* "live" | "silent" | "never_reported" */
/* The rule: never reported when last_upload_ns is 0, silent when now_ns is more than
 * silent_after_ns (0 = the default) after it, else live. */
enum vr_liveness vr_liveness_of(uint64_t last_upload_ns, uint64_t now_ns, uint64_t silent_after_ns);
/* An age for people, rounded down: "45 s", "12 min", "6 h", "3 days". */
void vr_liveness_fmt_age(uint64_t age_ns, char *buf, size_t len);
/* "no results since 13:02 UTC, 6 h ago"; the date too when last_ns is not on now_ns's UTC day:
 * "no results since 2026-12-01 13:02 UTC, 2 days ago". */
void vr_liveness_fmt_reason(uint64_t last_ns, uint64_t now_ns, char *buf, size_t len);
/* The liveness rule on a site verdict v (after vr_verdict_apply_capacity): a silent site's
 * verdict becomes VR_VERDICT_SILENT (its score and counts stay as they are) and the reason of
 * vr_liveness_fmt_reason goes first; a never-reported one gets the reason "never reported" first
 * (its verdict left alone: it has no intervals). The last reason is dropped when they are full.
 * Returns the liveness. */
enum vr_liveness vr_verdict_apply_liveness(struct vr_verdict *v, uint64_t last_upload_ns,
                                           uint64_t now_ns, uint64_t silent_after_ns);

#endif
