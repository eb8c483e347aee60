/* capture: the passive RTP analysis engine behind `voiceready-agent capture`. It reads frames
 * from libpcap (a live interface or a pcap/pcapng file), parses them (rtpparse.h), finds RTP
 * streams (5-tuple + SSRC, confirmed after VR_RTPSTREAM_MIN_SEQUENTIAL consistent packets), keeps
 * their statistics (rtpstream.h) in a bounded table, and emits one "capture" record per stream
 * (docs/records.md) when the stream goes idle, when the capture's duration ends, or when it stops.
 *
 * It does not print and does not upload: records go to the caller's callback, which borrows the
 * JSON object only for the call (json_incref it to keep it). That serves both the command (a
 * table or JSON Lines) and the daemon (spool and upload).
 *
 * Three ways to drive it:
 *  - offline: vr_capture_new() with cfg.file, then vr_capture_run_file() reads to the end (or
 *    cfg.duration of capture time) and flushes every stream. Blocking, no loop.
 *  - live: vr_capture_new() with cfg.interface, then vr_capture_start() on a libuv loop: a
 *    uv_poll on pcap_get_selectable_fd() in non-blocking mode, and a 1 s timer that closes idle
 *    streams and ends the capture after cfg.duration. vr_capture_stop() flushes every stream
 *    and stops (done_cb runs once, from the loop); then vr_capture_close() releases the handles
 *    and vr_capture_free() from its callback.
 *  - fed: neither file nor interface: the caller hands frames to vr_capture_feed() (tests and
 *    the fuzz harness), then vr_capture_flush().
 *
 * Memory is bounded whatever the traffic: cfg.max_streams entries of fixed size (default 4,096,
 * about 1 KB each), allocated once; a new flow that finds the table full evicts the oldest
 * unconfirmed candidate, or is dropped and counted (vr_capture_counters). Time is capture time
 * (packet timestamps), so files replay with their own idle timeouts.
 * One loop / one thread per engine; not thread-safe. */
#ifndef VR_CAPTURE_H
#define VR_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "err.h"
#include "recref.h"
#include "rtpparse.h"
#include "score.h"

#define VR_CAPTURE_MAX_STREAMS_DEFAULT 4096
#define VR_CAPTURE_IDLE_DEFAULT_NS     (UINT64_C(10) * 1000000000u)
#define VR_CAPTURE_SNAPLEN             256 /* headers up to RTP with room for tags and TURN */

struct vr_capture;

/* The live capture ended: by its duration, by vr_capture_stop(), or by an error (err < 0, with
 * a message in msg). Every stream has been flushed to on_record before this runs. */
typedef void (*vr_capture_done_cb)(void *arg, int err, const char *msg);
typedef void (*vr_capture_close_cb)(struct vr_capture *c, void *arg);

struct vr_capture_config {
    const char *interface;  /* live capture, or NULL */
    const char *file;       /* pcap or pcapng file, or NULL */
    const char *filter;     /* BPF expression, or NULL */
    uint64_t duration_ns;   /* 0: to the end of the file / until stopped */
    uint64_t idle_ns;       /* 0: VR_CAPTURE_IDLE_DEFAULT_NS */
    size_t max_streams;     /* 0: VR_CAPTURE_MAX_STREAMS_DEFAULT */
    uint32_t clock_hz[128]; /* per PT override; 0 = RFC 3551 table, else inferred, else 48k */
    struct vr_thresholds thresholds;
    const char *agent, *site; /* for the records; NULL = "" */
    vr_rec_cb on_record;      /* one capture record (VR_REC_KIND_CAPTURE) per stream */
    vr_capture_done_cb on_done;
    void *arg;
};

/* Copies cfg (strings too) and, for a file or an interface, opens it with libpcap and applies
 * the filter. Live capture without CAP_NET_RAW fails with -EPERM and a message naming
 * `setcap cap_net_raw,cap_net_admin+ep`. Caller frees with vr_capture_free(). */
int vr_capture_new(const struct vr_capture_config *cfg, struct vr_capture **out,
                   struct vr_errbuf *eb);
void vr_capture_free(struct vr_capture *c); /* NULL is a no-op; live: only after close */

/* Offline: reads the whole file (or cfg.duration of it) and flushes. 0, or VR_EINVAL with eb
 * naming the file when it is corrupt or cut mid-record (then no record is emitted: the
 * command fails with one line). */
int vr_capture_run_file(struct vr_capture *c, struct vr_errbuf *eb);

/* Live: starts polling on loop. 0 or a negative error with eb set. */
int vr_capture_start(struct vr_capture *c, uv_loop_t *loop, struct vr_errbuf *eb);
/* Flushes every stream, stops polling and calls on_done(arg, 0, NULL) once. Idempotent. */
void vr_capture_stop(struct vr_capture *c);
/* Closes the libuv handles (after stop); cb runs when they are closed, then free is allowed. */
void vr_capture_close(struct vr_capture *c, vr_capture_close_cb cb, void *arg);

/* Fed mode: one frame of the given link type (rtpparse.h VR_LINK_*), capture time ts_wall_ns
 * (Unix ns), caplen bytes as captured. */
void vr_capture_feed(struct vr_capture *c, int linktype, uint64_t ts_wall_ns, const uint8_t *frame,
                     size_t caplen);
/* Emits records for every confirmed stream still open (ordered by first packet) and empties
 * the table. */
void vr_capture_flush(struct vr_capture *c);

struct vr_capture_counters {
    uint64_t frames;                          /* frames looked at */
    uint64_t by_status[VR_RTPP_STATUS_COUNT]; /* by enum vr_rtpparse_status */
    uint64_t truncated;                       /* headers cut before the RTP fixed header */
    uint64_t streams_reported;                /* records emitted */
    uint64_t candidates_evicted;              /* unconfirmed flows pushed out of a full table */
    uint64_t table_full_drops; /* packets of new flows dropped: table full of real streams */
    uint64_t kernel_drops;     /* live: pcap_stats ps_drop + ps_ifdrop */
    uint64_t rtp_packets;      /* packets counted into reported or open streams */
};
void vr_capture_counters(const struct vr_capture *c, struct vr_capture_counters *out);

#endif
