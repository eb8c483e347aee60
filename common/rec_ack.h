/* rec_ack: the collector's reply to an upload (collector/API.md), its one writer (collector/api.c)
 * and its one reader (agent/uploader.c): 200 {"stored":[ids],"duplicates":[ids],"ignored":N},
 * or an error {"error":"...", "line":N, "field":"..."} (line and field only for a bad upload
 * line). Pure; any thread. */
#ifndef VR_REC_ACK_H
#define VR_REC_ACK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jfield.h"

struct vr_rec_ack {
    const char **ids; /* stored, then duplicates; strings borrowed from the JSON read */
    size_t n_stored, n_duplicates;
    uint64_t ignored;
};

/* New reference, or NULL on allocation failure. ids[0..n_stored) were stored, the next
 * n_duplicates were already there. */
json_t *vr_rec_ack_to_json(const char *const *ids, size_t n_stored, size_t n_duplicates,
                           uint64_t ignored);
/* Reads a 200 reply; the ids stay valid while j lives; free the array with vr_rec_ack_free.
 * 0, VR_ENOMEM, or VR_EINVAL naming the field. */
int vr_rec_ack_from_json(const json_t *j, struct vr_rec_ack *out, struct vr_jerr *e);
void vr_rec_ack_free(struct vr_rec_ack *a); /* the array; NULL ids is fine */

/* {"error": msg} plus "line" when line > 0 and "field" when field is not empty. */
json_t *vr_rec_error_to_json(const char *msg, size_t line, const char *field);
/* The reply's "error" into buf (len > 0); "" when there is none. */
void vr_rec_error_from_json(const json_t *j, char *buf, size_t len);

#endif
