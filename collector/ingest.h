/* ingest: an upload's NDJSON body turned into the records the store takes, or the answer that
 * refuses it. Parsing only: no store, no lock, no metrics (api.c does those around it).
 *
 * Every non-blank line is one JSON object. Interval and summary records are validated
 * (vr_record_from_json) and checked against the token's site (the store judges them with the
 * site's thresholds as it stores them); capacity and capture records (xrecord.h) are validated and
 * checked the same way; any other "type" is acknowledged and ignored. The first bad line, in body
 * order, refuses the whole batch (400 naming line and field, 403 for another site's record), so
 * nothing of it is stored; more than VR_INGEST_MAX_LINES non-blank lines are refused before
 * anything is parsed.
 *
 * The body is cut into chunks of whole lines that a pool (pool.h) parses side by side; the
 * result is the same as parsing it line by line in order. Records keep body order. */
#ifndef VR_INGEST_H
#define VR_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "pool.h"
#include "record.h"
#include "xrecord.h"

#define VR_INGEST_MAX_LINES 100000 /* non-blank lines per batch */

struct vr_ingest_batch {
    struct vr_record *recs; /* interval and summary records, body order */
    const char **raw;       /* each record's line, NUL-terminated inside the body */
    double *weight;         /* max(1, calls) */
    bool *stored;           /* for the store to fill */
    size_t n;
    struct vr_xrecord *xr; /* capacity and capture records; their raw points into the body */
    bool *xstored;
    size_t nx;
    size_t ignored; /* lines of other types */
};

/* body: len bytes plus a spare byte at body[len]; lines are NUL-terminated in place, and the
 * batch's raw pointers point into it (keep it until the batch is freed). site: the token's.
 * pool may be NULL (parse on this thread). Returns 0 with *b filled (free it with
 * vr_ingest_batch_free), or the HTTP status with resp filled and *b empty. */
unsigned vr_ingest_parse(struct vr_pool *pool, const char *site, char *body, size_t len,
                         struct vr_ingest_batch *b, struct vr_api_response *resp);
/* The arrays, not the body. */
void vr_ingest_batch_free(struct vr_ingest_batch *b);

#endif
