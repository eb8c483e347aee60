/* api: the routes of collector/API.md, independent of the HTTP library. server.c turns an
 * HTTP request into a struct vr_api_request and sends back the struct vr_api_response.
 *
 * Ingest (POST /api/v1/records) parses and validates the NDJSON body (ingest.h, on the parse
 * pool when one is set) and stores the batch in one call, the store judging each interval with
 * its site's thresholds; any bad line rejects the whole batch (400 naming line and field), so
 * nothing of it is stored. A record weighs max(1, calls) in the site's score. Capacity and capture
 * records (xrecord.h) are validated the same way and stored in the same transaction; they are not
 * scored (the store applies the capacity rule when the verdict is read). Threads: without a lock
 * (vr_api_set_lock), one caller at a time. With one, any number of threads may call vr_api_precheck
 * and vr_api_handle at once: the api holds the lock around every use of the store and the metrics,
 * and parses and validates an ingest body outside it, so that several server threads parse while
 * one writes (JSON parsing, not SQLite, is most of an upload's cost). The api
 * borrows store and metrics; they must outlive it. */
#ifndef VR_API_H
#define VR_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ingest.h"
#include "metrics.h"
#include "pool.h"
#include "store.h"

#define VR_API_WINDOW_NS  (24ull * 3600 * 1000000000ull) /* default scoring window */
#define VR_API_MAX_WINDOW (400ull * 24 * 3600 * 1000000000ull)

struct vr_api;

/* Looks up a query-string argument; NULL when absent. */
typedef const char *(*vr_api_arg_cb)(void *ctx, const char *key);

struct vr_api_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path without the query string */
    vr_api_arg_cb arg;  /* may be NULL: no arguments */
    void *arg_ctx;
    const char *authorization; /* header value or NULL */
    const char *content_type;  /* header value or NULL */
    const char *body;          /* body_len bytes, not NUL-terminated; NULL for none */
    size_t body_len;
};

struct vr_api_response {
    unsigned status;
    const char *content_type; /* static string */
    char *body;               /* caller frees with free() */
    size_t len;
};

/* NULL on allocation failure. */
struct vr_api *vr_api_new(struct vr_store *store, struct vr_metrics *metrics);
void vr_api_free(struct vr_api *api);
/* The mutex that guards the store and the metrics (borrowed; NULL: the caller serialises). */
void vr_api_set_lock(struct vr_api *api, pthread_mutex_t *lock);
/* The threads that parse upload bodies (borrowed; NULL: the handling thread parses alone). */
void vr_api_set_pool(struct vr_api *api, struct vr_pool *pool);
/* A second handle on the store's database for token lookups, which the api serialises on a
 * mutex of its own (borrowed; NULL: lookups use the store under the lock). Authenticating an
 * upload then never waits for another upload's write. */
void vr_api_set_token_store(struct vr_api *api, struct vr_store *tokens);

/* True when the request (headers only, before its body is read) can already be answered: then
 * resp is filled (401, 404, 405, 415 ...). Lets the server refuse an unauthenticated upload
 * without buffering it. */
bool vr_api_precheck(struct vr_api *api, const struct vr_api_request *req,
                     struct vr_api_response *resp);

/* Answers the complete request. resp->body is always set (possibly to an error document);
 * returns 0, or VR_ENOMEM when even the error document could not be built (then the server
 * answers 500 itself). */
int vr_api_handle(struct vr_api *api, const struct vr_api_request *req, uint64_t now_wall_ns,
                  struct vr_api_response *resp);

/* resp = j as compact JSON with status. Takes ownership of j (a new reference; NULL gives
 * VR_ENOMEM). Safe inside a jarena scope: the body is allocated with malloc. */
int vr_api_reply_json(struct vr_api_response *resp, unsigned status, json_t *j);
/* An error document {"error":msg} with status; used by the server for its own 413 etc. */
int vr_api_error(struct vr_api_response *resp, unsigned status, const char *msg);
/* The answer to an upload that ingest refused (ingest.h): 400 {"error":"line N: msg","line":N,
 * "field":F} for a bad line, 403 for another site's record, 500 out of memory. Returns the
 * status (500 when the body could not be built). */
unsigned vr_api_ingest_error(struct vr_api_response *resp, const struct vr_ingest_error *e);

#endif
