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
/* A duration given in ms (the unit of the records) scaled as irtt prints it, 3 significant
 * digits in ns, µs, ms or s: "870ns", "87.3µs", "1.24ms", "12.3ms", "123ms", "1.50s"; "0s"
 * for 0, "-" for NaN or a negative value (no measurement). The one formatter of times for
 * every human-readable output of the agent; JSON keeps its ms numbers. width pads to that many
 * terminal columns, like printf's %*s (> 0 right-aligned, < 0 left-aligned, 0 none): "µs" is
 * two bytes but one column. Writes buf (VR_REPORT_MS_LEN bytes hold width up to 20) and
 * returns it. */
#define VR_REPORT_MS_LEN 32
const char *vr_report_ms(double ms, int width, char *buf, size_t len);
/* One line, rewritten in place with \r (the caller only calls it on a terminal). The elapsed
 * time never passes the total: once the test time is over (late replies, count queries) it
 * shows "total/total s, finishing". */
void vr_report_progress(FILE *f, const struct vr_session_progress *p);
/* Erases the progress line. */
void vr_report_progress_clear(FILE *f);
/* The table and the verdict. An interrupted run never reads as a bare verdict: "Verdict:
 * Interrupted after 7 of 20 s (partial: Ready on 1 interval, ...)". */
void vr_report_table(FILE *f, const struct vr_session_config *cfg,
                     const struct vr_session_result *res);

#endif
