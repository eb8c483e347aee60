/* rec_verdict: the "verdict" record (a site's verdict over a run, struct vr_verdict of score.h)
 * as JSON: its one writer (the agent's `test --json`) and its one reader. Only conversion: the
 * verdict is computed in score.h. Pure; any thread; *_to_json returns a new reference. */
#ifndef VR_REC_VERDICT_H
#define VR_REC_VERDICT_H

#include <jansson.h>

#include "jfield.h"
#include "score.h"

/* {"type":"verdict","verdict":"ready",...,"score_pct":..,"reasons":[...]}: new reference. */
json_t *vr_verdict_to_json(const struct vr_verdict *v);
/* Reads verdict, score_pct, intervals, passed and reasons (the fields the writer writes;
 * failed, warned and marks_rewritten come back 0). 0 or VR_EINVAL naming the field. */
int vr_verdict_from_json(const json_t *j, struct vr_verdict *out, struct vr_jerr *eb);

#endif
