/* recref: a borrowed reference to any record a producer hands to its consumer, so that every
 * record hook of the agent (session, capacity, capture) has one type, and a consumer that only
 * stores or prints records writes them through one call. The producer owns the record; a
 * reference is valid only during the hook call that receives it. Pure; any thread. */
#ifndef VR_RECREF_H
#define VR_RECREF_H

#include <jansson.h>

#include "rec_capacity.h"
#include "rec_capture.h"
#include "record.h"

enum vr_rec_kind {
    VR_REC_KIND_RECORD = 0, /* interval or summary: record->type says which */
    VR_REC_KIND_CAPACITY = 1,
    VR_REC_KIND_CAPTURE = 2,
};

struct vr_rec_ref {
    enum vr_rec_kind kind;
    const struct vr_record *record;         /* VR_REC_KIND_RECORD */
    const struct vr_rec_capacity *capacity; /* VR_REC_KIND_CAPACITY */
    const struct vr_rec_capture *capture;   /* VR_REC_KIND_CAPTURE */
};

/* A record hook: r and what it points to are borrowed for the call. */
typedef void (*vr_rec_cb)(void *arg, const struct vr_rec_ref *r);

/* The record's JSON through its own writer: a new reference, or NULL on allocation failure. */
json_t *vr_rec_ref_to_json(const struct vr_rec_ref *r);
/* The record's id (borrowed from the record). */
const char *vr_rec_ref_id(const struct vr_rec_ref *r);

#endif
