/* rec_ack: the collector's reply to an upload (collector/API.md), its one writer (collector/api.c)
 * and its one reader (agent/uploader.c): 200 {"stored":[ids],"duplicates":[ids],
 * "rejected":[{"line":N,"id":"x"|null,"field":"f"|null,"error":"why"}],"ignored":N}: every
 * valid record of a batch is stored, every bad line is named with its 1-based body line, the
 * record's id when one could be read, the bad field and the reason. Or a whole-request error
 * {"error":"..."} (401, 413, 503, ...). Pure; any thread. */
#ifndef VR_REC_ACK_H
#define VR_REC_ACK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jfield.h"

#define VR_REC_ACK_MAX_REJECTED 100000 /* as many as a batch has lines (ingest.h) */

/* One refused line of a batch. Strings: for the writer, the caller's; for the reader, borrowed
 * from the JSON read. id and field are "" when unknown. */
struct vr_rec_reject {
    size_t line; /* 1-based line of the upload body */
    const char *id;
    const char *field;
    const char *error;
};

struct vr_rec_ack {
    const char **ids; /* stored, then duplicates; strings borrowed from the JSON read */
    size_t n_stored, n_duplicates;
    struct vr_rec_reject *rejected; /* body order */
    size_t n_rejected;
    uint64_t ignored;
};

/* New reference, or NULL on allocation failure. ids[0..n_stored) were stored, the next
 * n_duplicates were already there; rej[0..n_rejected) were refused (rej may be NULL when
 * n_rejected is 0). */
json_t *vr_rec_ack_to_json(const char *const *ids, size_t n_stored, size_t n_duplicates,
                           const struct vr_rec_reject *rej, size_t n_rejected, uint64_t ignored);
/* Reads a 200 reply; the ids stay valid while j lives; free the array with vr_rec_ack_free.
 * 0, VR_ENOMEM, or VR_EINVAL naming the field. */
int vr_rec_ack_from_json(const json_t *j, struct vr_rec_ack *out, struct vr_jerr *e);
void vr_rec_ack_free(struct vr_rec_ack *a); /* the arrays; NULL ones are fine */

/* {"error": msg} plus "line" when line > 0 and "field" when field is not empty. */
json_t *vr_rec_error_to_json(const char *msg, size_t line, const char *field);
/* The reply's "error" into buf (len > 0); "" when there is none. */
void vr_rec_error_from_json(const json_t *j, char *buf, size_t len);

#endif
