/* server: the HTTP(S) front of the collector on libmicrohttpd. It owns the MHD daemon and
 * nothing else: it bounds what a client can cost (connection limit, per-IP connection limit,
 * inactivity timeout, request body cap, header memory cap), accumulates POST bodies up to the cap,
 * and hands each complete request to api.c. A watchdog thread shuts down connections whose
 * request takes longer than the request timeout to arrive (MHD's timeout is for inactivity).
 *
 * Threading: one internal polling thread (MHD_USE_POLL_INTERNAL_THREAD) calls into api (and
 * through it the store, which is not thread-safe) under the server's api lock; vr_server_run runs
 * other work on the store (the hourly prune) under the same lock, serialised with requests. TLS:
 * MHD_USE_TLS needs libmicrohttpd built with GnuTLS (Debian's is); vr_server_start says so when the
 * library lacks it. The server borrows api; it must outlive the server. */
#ifndef VR_SERVER_H
#define VR_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "err.h"

struct vr_server;

struct vr_server_options {
    const char *listen;       /* "ADDR:PORT", "[v6]:PORT" (numeric addresses) */
    size_t max_body;          /* bytes; bigger POST bodies get 413 */
    unsigned max_connections; /* 0 = default 512 */
    unsigned max_per_ip;      /* 0 = default 64 */
    unsigned threads;         /* HTTP worker threads; 0 = two per core (at most 16) */
    unsigned timeout_s;       /* inactivity timeout; 0 = default 10 */
    /* headers and body of one request must arrive within this, however slowly they trickle
     * (slowloris); 0 = default 60 */
    unsigned request_timeout_s;
    const char *tls_cert; /* PEM file or NULL */
    const char *tls_key;  /* PEM file or NULL */
};

/* Checks that listen can be bound (then closes it again), so that `serve` fails on a port in
 * use before it creates anything. 0, or an error with eb naming the address and the fix. */
int vr_server_check_listen(const char *listen, struct vr_errbuf *eb);

/* Starts listening and serving on its own thread. 0, or an error with eb naming the address
 * and the fix (e.g. the port is in use). *out: free with vr_server_stop. */
int vr_server_start(const struct vr_server_options *opt, struct vr_api *api,
                    struct vr_metrics *metrics, struct vr_server **out, struct vr_errbuf *eb);
/* The port actually bound (useful with port 0). */
uint16_t vr_server_port(const struct vr_server *s);
/* True when the address is loopback (127/8, ::1). */
int vr_server_is_loopback(const struct vr_server *s);
/* Work for vr_server_run: returns what vr_server_run returns. */
typedef int (*vr_server_work_cb)(void *arg);
/* Runs fn(arg) on the calling thread under the lock that serialises requests' calls into api, so
 * fn may use the store that api borrows; requests wait until fn returns. Returns fn's result. */
int vr_server_run(struct vr_server *s, vr_server_work_cb fn, void *arg);
/* Stops the thread, closes every connection and frees s. NULL is a no-op. */
void vr_server_stop(struct vr_server *s);

#endif
