/* session: one `voiceready-agent test` run on a libuv loop. Opens one socket per stream
 * (class x call), starts the sender thread, reads the replies, keeps per-stream statistics,
 * finalises each interval (per class) once its replies are in or late, scores it, and at the end
 * asks the reflector for its final counts, then emits summaries and the verdict.
 *
 * It reports through callbacks, prints nothing. Lifecycle: vr_session_init, vr_session_start;
 * the session closes its own handles when it is done (then on_done runs and uv_run returns once
 * the caller's handles are closed too); vr_session_free after the loop has stopped.
 * Loop thread only, except the sender thread it owns. */
#ifndef VR_SESSION_H
#define VR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "err.h"
#include "profile.h"
#include "record.h"
#include "recref.h"
#include "score.h"
#include "sender.h"

struct vr_session_config {
    char target[128]; /* HOST:PORT as the user gave it */
    struct sockaddr_storage dst;
    socklen_t dst_len;
    unsigned class_mask; /* 1 << enum vr_class */
    uint32_t calls;      /* streams per class */
    /* Streams of one class when non-zero (capacity's call mix: 10 calls of audio=1,video=0.3
     * are 10 audio and 3 video streams); 0 = calls. A class in class_mask must have >= 1. */
    uint32_t class_calls[VR_CLASS_COUNT];
    char interface[32]; /* egress interface to bind (wired port vs Wi-Fi); "" = routing table */
    const struct vr_profile *profile; /* NULL: each class's default profile */
    bool teams_ports;                 /* bind Teams client source ports */
    uint64_t duration_ns, interval_ns, late_ns;
    struct vr_thresholds thr;
    char agent[64], site[64];
    /* Daemon use (defaults are those of `test`): */
    bool continuous; /* run until vr_session_stop; duration_ns is ignored */
    bool align_wall; /* start on a wall-clock multiple of interval_ns, so that every
                      * agent's intervals line up in the collector */
    bool keep_going; /* no reply is loss, not an error (the daemon must keep measuring) */
    char tag[16];    /* distinguishes concurrent runs in record ids ("c", a schedule name) */
};

struct vr_session_progress {
    double elapsed_s, total_s;
    uint64_t sent[VR_CLASS_COUNT], received[VR_CLASS_COUNT];
    double last_rtt_ms[VR_CLASS_COUNT]; /* mean RTT of the class's latest interval, -1 if none */
    unsigned class_mask;
};

struct vr_session_result {
    int error; /* 0, or the reason the run could not be measured */
    char errmsg[512];
    bool interrupted; /* stopped early by vr_session_interrupt */
    struct vr_verdict verdict;
    size_t n_summaries;
    struct vr_record summaries[VR_CLASS_COUNT];
    struct vr_sender_result sender;
    uint64_t late_after_final, bogus;
};

struct vr_session_hooks {
    vr_rec_cb on_record; /* interval, then summary records (VR_REC_KIND_RECORD) */
    void (*on_progress)(void *arg, const struct vr_session_progress *p); /* about once a second */
    void (*on_done)(void *arg, const struct vr_session_result *res);
    void *arg;
};

struct vr_session;

/* Validates cfg, opens and connects the sockets. Returns 0 or an error with eb filled (e.g. a
 * Teams port in use). *out is freed with vr_session_free, also on later failure. */
int vr_session_init(uv_loop_t *loop, const struct vr_session_config *cfg,
                    const struct vr_session_hooks *hooks, struct vr_session **out,
                    struct vr_errbuf *eb);
int vr_session_start(struct vr_session *s, struct vr_errbuf *eb);
/* Ctrl-C: stop sending, collect the replies in flight, report what was measured. */
void vr_session_interrupt(struct vr_session *s);
/* Planned end of a continuous run (daemon stop or reload): like interrupt, but the run is not
 * marked interrupted. */
void vr_session_stop(struct vr_session *s);
/* The findings (vr_score_interval's, fails first) of the record being passed to hooks.on_record,
 * so that a hook reuses the session's judgement instead of scoring the record again. *out is
 * borrowed, valid only during that call. Returns their number (0 outside on_record). */
size_t vr_session_findings(const struct vr_session *s, const struct vr_finding **out);
/* After the loop has returned. NULL is a no-op. */
void vr_session_free(struct vr_session *s);

#endif
