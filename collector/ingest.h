/* ingest: an upload's NDJSON body turned into the records the store takes, or the answer that
 * refuses it. Parsing only: no store, no lock, no metrics (api.c does those around it).
 *
 * Every non-blank line is one JSON object. Interval and summary records are validated
 * (vr_record_from_json) and checked against the token's site (the store judges them with the
 * site's thresholds as it stores them); capacity and capture records (xrecord.h) are validated and
 * checked the same way; an agent_status line (common/rec_agent.h) is read into the batch; any other
 * "type" is acknowledged and ignored. A bad line (not JSON, not an object, a bad field, another
 * site than the token's) is rejected on its own (struct vr_ingest_error: line, id when one could
 * be read, field, kind) and the rest of the batch is kept, so one bad record never blocks an
 * agent's uploads. Only more than VR_INGEST_MAX_LINES non-blank lines (refused before anything is
 * parsed) or running out of memory refuse a whole batch. This module speaks no HTTP: api.c maps
 * rejections and errors to a reply.
 *
 * The body is cut into chunks of whole lines that a pool (pool.h) parses side by side; the
 * result is the same as parsing it line by line in order. Records keep body order. */
#ifndef VR_INGEST_H
#define VR_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "pool.h"
#include "rec_agent.h"
#include "record.h"
#include "xrecord.h"

#define VR_INGEST_MAX_LINES 100000 /* non-blank lines per batch */

enum vr_ingest_kind {
    VR_INGEST_OK = 0,
    VR_INGEST_BAD_JSON,       /* a line is not JSON */
    VR_INGEST_NOT_OBJECT,     /* a line is JSON but not an object */
    VR_INGEST_BAD_FIELD,      /* a record's field is missing or out of bounds (field names it) */
    VR_INGEST_WRONG_SITE,     /* a record of another site than the token's (field "site") */
    VR_INGEST_TOO_MANY_LINES, /* more than VR_INGEST_MAX_LINES non-blank lines */
    VR_INGEST_NO_MEMORY,
};

struct vr_ingest_error {
    enum vr_ingest_kind kind;
    size_t line;    /* 1-based line of the body */
    char id[64];    /* the record's "id" when one could be read, else "" */
    char field[64]; /* the bad field, "" when none */
    char msg[320];  /* for the user, without the line number */
};

struct vr_ingest_batch {
    struct vr_record *recs; /* interval and summary records, body order */
    const char **raw;       /* each record's line, NUL-terminated inside the body */
    double *weight;         /* max(1, calls) */
    bool *stored;           /* for the store to fill */
    size_t n;
    struct vr_xrecord *xr; /* capacity and capture records; their raw points into the body */
    bool *xstored;
    size_t nx;
    size_t ignored;                   /* lines of other types */
    struct vr_ingest_error *rejected; /* bad lines, body order (kind is never OK) */
    size_t n_rejected;
    struct vr_agent_status status; /* the first agent_status line, when has_status */
    bool has_status;
};

/* body: len bytes plus a spare byte at body[len]; lines are NUL-terminated in place, and the
 * batch's raw pointers point into it (keep it until the batch is freed). site: the token's.
 * pool may be NULL (parse on this thread). Returns 0 with *b filled, bad lines in b->rejected
 * (free it with vr_ingest_batch_free), or VR_EINVAL (too many lines) / VR_ENOMEM with *err
 * filled and *b empty. */
int vr_ingest_parse(struct vr_pool *pool, const char *site, char *body, size_t len,
                    struct vr_ingest_batch *b, struct vr_ingest_error *err);
/* The arrays, not the body. */
void vr_ingest_batch_free(struct vr_ingest_batch *b);

#endif
