/* sender: the thread that sends every stream's probes on absolute deadlines.
 *
 * Deadlines form a fixed grid t0 + offset + n * period (never re-armed from "now", which drifts).
 * The thread sleeps with clock_nanosleep(TIMER_ABSTIME) to a margin before each deadline and
 * spins the rest, which keeps wake-up error in microseconds (REFERENCE.md §8). A probe whose
 * deadline has passed is still sent, and counted as an overrun when more than 1 ms late: missed
 * deadlines are reported, never skipped. The thread touches only the sender fields of the
 * streams (stream.h). Start from the loop thread; stop/join from the loop thread. */
#ifndef VR_SENDER_H
#define VR_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "hist.h"
#include "stream.h"

#define VR_SENDER_OVERRUN_NS 1000000u

struct vr_sender_result {
    struct vr_hist deadline_err; /* how late each probe left, ns */
    uint64_t sent, overruns, send_errors;
    bool realtime; /* the thread ran with SCHED_FIFO */
};

struct vr_sender;

/* Starts the thread; streams (borrowed, must outlive the sender) all share t->period_ns.
 * Returns 0, VR_ENOMEM or -errno. */
int vr_sender_start(struct vr_stream **streams, size_t n, const struct vr_timeline *t,
                    struct vr_sender **out);
/* Asks the thread to stop after the probe it is sending. Any thread. */
void vr_sender_stop(struct vr_sender *s);
/* True once the thread has sent its last probe (or stopped). Any thread. */
bool vr_sender_done(const struct vr_sender *s);
/* Waits for the thread, copies its result into out (may be NULL) and frees s. */
void vr_sender_join(struct vr_sender *s, struct vr_sender_result *out);

#endif
