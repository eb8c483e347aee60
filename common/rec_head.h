/* rec_head: what the capacity and capture records (rec_capacity.h, rec_capture.h) share: the
 * names of verdict levels and link kinds, and the reader of their common fields (type, schema,
 * id, agent, site, link, start, duration_s, verdict, reasons). Pure; any thread. */
#ifndef VR_REC_HEAD_H
#define VR_REC_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jfield.h"
#include "record.h"

#define VR_REC_MAX_REASONS 32 /* per record or step */
/* The ranges of durations and of times in milliseconds that the readers accept: a producer
 * caps a measurement at these (a value past them is garbage in, e.g. RTP timestamps that jump),
 * so that every record it writes reads back. */
#define VR_REC_MAX_DUR_S  1e7
#define VR_REC_MAX_MS     1e7
#define VR_REC_REASON_LEN 400 /* bytes with the NUL */

/* Names in the records (index = the value), NULL-terminated. */
extern const char *const vr_rec_level_names[]; /* pass warn fail */
extern const char *const vr_rec_link_names[];  /* wired wifi other */

/* Reads the common fields of a record whose "type" must be `type`: id, agent and site into
 * 64-byte buffers, *link an index in vr_rec_link_names (absent: "other"), reasons into
 * reasons[VR_REC_MAX_REASONS][VR_REC_REASON_LEN]. 0 or VR_EINVAL naming the field. */
int vr_rec_head_read(const json_t *j, const char *type, char *id, char *agent, char *site,
                     int *link, uint64_t *start, double *duration_s, enum vr_level *verdict,
                     size_t *n_reasons, char *reasons, struct vr_jerr *eb);

#endif
