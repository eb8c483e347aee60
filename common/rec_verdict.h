/* rec_verdict: the "verdict" record (a site's verdict over a run, struct vr_verdict of score.h)
 * as JSON: its one writer (the agent's `test --json`) and its one reader. Only conversion: the
 * verdict is computed in score.h. Pure; any thread; *_to_json returns a new reference. */
#ifndef VR_REC_VERDICT_H
#define VR_REC_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "jfield.h"
#include "score.h"

/* The "sender" object of `test`'s verdict record: the probe's own timing quality, so that its
 * noise can be told from the network's (tests/bench reads it). */
struct vr_rec_sender {
    double deadline_error_us_mean, deadline_error_us_p99, deadline_error_us_max;
    uint64_t overruns, send_errors;
    bool realtime, interrupted;
};

/* {"type":"verdict","verdict":"ready",...,"score_pct":..,"reasons":[...],"sender":{...}}: new
 * reference. sender NULL: no "sender" object. */
json_t *vr_verdict_to_json(const struct vr_verdict *v, const struct vr_rec_sender *sender);
/* Reads verdict, score_pct, intervals, passed and reasons (the fields the writer writes;
 * failed, warned and marks_rewritten come back 0) and, into sender (may be NULL), the optional
 * "sender" object; *has_sender (may be NULL) says whether it was there. 0 or VR_EINVAL naming
 * the field. */
int vr_verdict_from_json(const json_t *j, struct vr_verdict *out, struct vr_rec_sender *sender,
                         bool *has_sender, struct vr_jerr *eb);

#endif
