/* uploader: sends the spool's records to the collector and acknowledges what it stored.
 *
 * libcurl multi driven by the libuv loop (CURLMOPT_SOCKETFUNCTION with a uv_poll_t per socket,
 * CURLMOPT_TIMERFUNCTION with a uv_timer_t), so uploads never block the probes. One request in
 * flight: POST URL/api/v1/records, `Authorization: Bearer TOKEN`, application/x-ndjson, with a
 * batch of the oldest spooled records (collector/API.md), after one agent_status line. Records
 * are acknowledged in the spool when their id is in the reply's "stored" or "duplicates"; a line
 * the reply rejects moves its record to the quarantine (quarantine.h) with the collector's
 * reason, one log line each, and the upload goes on with the rest. Before each batch, records
 * `spool retry` gave back (requeue.jsonl) return to the spool. On a network error, a 5xx or a
 * refusal of the whole request (400/401/403/413/415) nothing is deleted, one line is logged (with
 * the collector's "error" message) and the next try waits an exponential backoff with jitter (1 s
 * doubling up to 5 min). A 413 also halves the batch.
 *
 * Does not: produce records, decide when the daemon stops, or retry forever within a request.
 * The spool is borrowed and must outlive the uploader. Loop thread only. Lifecycle per libuv:
 * init, start, stop, close(cb); memory is freed in the close callback path. curl_global_init is
 * called by init (reference-counted by libcurl >= 7.84). */
#ifndef VR_UPLOADER_H
#define VR_UPLOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "err.h"
#include "rec_agent.h"
#include "spool.h"

struct vr_uploader;

/* One log line (no newline), for the daemon's log. */
typedef void (*vr_uploader_log_cb)(void *arg, const char *line);
/* After each request: status is the HTTP status, or 0 when none came (network error); acked is
 * how many spooled records it acknowledged. For the daemon's metrics and for tests. */
typedef void (*vr_uploader_done_cb)(void *arg, long status, size_t acked);
/* Fills the agent-status line sent first in every body (common/rec_agent.h): agent, site,
 * version, clock_sync, links. The uploader sets time, spool_records and quarantined itself. */
typedef void (*vr_uploader_status_cb)(void *arg, struct vr_agent_status *out);
/* When the uploader is closed and freed. */
typedef void (*vr_uploader_close_cb)(void *arg);

struct vr_uploader_config {
    const char *url;              /* collector base URL: "/api/v1/records" is appended; copied */
    const char *token;            /* copied */
    const char *ca_file;          /* NULL or "": the system's CA store; copied */
    bool insecure;                /* skip TLS peer and host verification: tests only */
    size_t batch_records;         /* records per request; 0: 1000 */
    size_t batch_bytes;           /* body bytes per request; 0: 1 MiB (collector limit: 4 MiB) */
    uint64_t backoff_min_ms;      /* 0: 1000 */
    uint64_t backoff_max_ms;      /* 0: 300000 */
    long connect_timeout_ms;      /* 0: 10000 */
    long timeout_ms;              /* whole request; 0: 60000 */
    vr_uploader_log_cb log;       /* NULL: lines go to stderr */
    vr_uploader_done_cb on_done;  /* may be NULL */
    vr_uploader_status_cb status; /* NULL: no status line is sent */
    const char *spool_dir;        /* the spool's directory, for the quarantine; copied */
    void *arg;                    /* for log and on_done */
};

struct vr_uploader_stats {
    uint64_t requests;        /* finished requests */
    uint64_t acked;           /* records acknowledged */
    uint64_t failures;        /* requests that acknowledged nothing */
    unsigned failures_in_row; /* 0 after a success */
    long last_status;         /* HTTP status of the last request, 0 when none came */
    uint64_t backoff_ms;      /* the current wait before the next try, 0 when none */
    uint64_t quarantined;     /* records in the quarantine (quarantine.h) */
};

/* Creates the uploader on loop for spool (borrowed). *out: free it with vr_uploader_close().
 * Returns 0, VR_EINVAL (eb: which setting and the fix), VR_ENOMEM, or a libuv error. */
int vr_uploader_init(uv_loop_t *loop, struct vr_spool *spool, const struct vr_uploader_config *cfg,
                     struct vr_uploader **out, struct vr_errbuf *eb);

/* Begins sending whatever the spool holds. Returns 0. */
int vr_uploader_start(struct vr_uploader *u);

/* Records were appended: send soon. Does nothing while a request is in flight (the next batch
 * follows it) or while backing off (the wait protects a struggling collector). */
void vr_uploader_kick(struct vr_uploader *u);

/* Sends now, ignoring the current backoff: for a planned stop, when only seconds are left.
 * Does nothing while a request is in flight. */
void vr_uploader_flush(struct vr_uploader *u);

/* No further request; the one in flight is abandoned and its records stay spooled (sent again
 * later: the collector deduplicates by id). */
void vr_uploader_stop(struct vr_uploader *u);

/* Stops, closes the libuv handles and frees u, then calls cb(arg) (cb may be NULL). u must not
 * be used after this call. */
void vr_uploader_close(struct vr_uploader *u, vr_uploader_close_cb cb, void *arg);

void vr_uploader_get_stats(const struct vr_uploader *u, struct vr_uploader_stats *out);

#endif
