/* pool: a fixed set of threads that run the parts of a caller's job side by side.
 *
 * Why: libmicrohttpd binds each connection to one worker thread for its whole life, so an
 * agent's uploads are always parsed on the same thread. With a few busy agents whose connections
 * landed on one worker, that worker saturated a core while the other stayed idle (perf on
 * tests/bench/collector_http.py: one worker 62 % of the collector's samples). The ingest path
 * cuts a body into chunks and hands them to this pool, so the parse runs on every core whichever
 * worker received the request.
 *
 * vr_pool_for(p, n, fn, arg) runs fn(arg, 0) .. fn(arg, n - 1), each once, on the pool's threads
 * and on the calling thread, and returns when all have returned. Any number of threads may call
 * it at once; their jobs are served first come, first served. fn must not call vr_pool_for.
 * With p == NULL the calls run in order on the caller's thread (tests, fuzzing). */
#ifndef VR_POOL_H
#define VR_POOL_H

#include <stddef.h>

#include "err.h"

struct vr_pool;

typedef void (*vr_pool_fn)(void *arg, size_t i);

/* threads >= 1. 0 or a negative code (eb says which). Caller frees with vr_pool_free. */
int vr_pool_new(unsigned threads, struct vr_pool **out, struct vr_errbuf *eb);
/* Stops and joins the threads; no vr_pool_for may be running. NULL is a no-op. */
void vr_pool_free(struct vr_pool *p);
void vr_pool_for(struct vr_pool *p, size_t n, vr_pool_fn fn, void *arg);

#endif
