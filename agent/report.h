/* report: how `test` shows its results to a person: the live progress line, the table per class
 * and direction, and the verdict with its reasons; and the one JSON Lines form in which every
 * agent command's --json prints its records. Writes to the FILE it is given; no state. */
#ifndef VR_AGENT_REPORT_H
#define VR_AGENT_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "session.h"

/* j (borrowed; NULL prints nothing) as one compact JSON line, fields in order, reals with 10
 * significant digits; then flushes f, so that a pipe reader sees each record as it is made. */
void vr_report_jsonl(FILE *f, const json_t *j);
/* One line, rewritten in place with \r (the caller only calls it on a terminal). */
void vr_report_progress(FILE *f, const struct vr_session_progress *p);
/* Erases the progress line. */
void vr_report_progress_clear(FILE *f);
void vr_report_table(FILE *f, const struct vr_session_config *cfg,
                     const struct vr_session_result *res);

#endif
