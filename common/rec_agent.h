/* rec_agent: the agent-status line (docs/records.md), its one writer (agent/uploader.c puts it
 * first in every upload body) and its one reader (collector/ingest.c). It is not a measurement:
 * it has no id, is never spooled nor stored as a record, and tells the collector about the
 * agent that sent the batch, for the site page's agent list and the liveness state:
 *   {"type":"agent_status","schema":1,"agent":"a","site":"s","version":"0.9.0",
 *    "time":"2026-12-03T13:02:00Z","spool_records":12,"quarantined":1,
 *    "clock_sync":"synced|unsynced|unknown","links":["wired","wifi"]}
 * Pure; any thread. */
#ifndef VR_REC_AGENT_H
#define VR_REC_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jfield.h"

#define VR_REC_AGENT_TYPE      "agent_status"
#define VR_REC_AGENT_MAX_LINKS 3 /* one of each kind of vr_rec_link_names */

enum vr_clock_sync {
    VR_CLOCK_UNKNOWN = 0,
    VR_CLOCK_SYNCED = 1,
    VR_CLOCK_UNSYNCED = 2,
};
extern const char *const vr_clock_sync_names[]; /* unknown synced unsynced */

struct vr_agent_status {
    char agent[64], site[64];
    char version[32];
    uint64_t time_wall_ns;  /* when the agent sent it */
    uint64_t spool_records; /* records waiting in its spool (this batch included) */
    uint64_t quarantined;   /* records in its quarantine */
    enum vr_clock_sync clock_sync;
    size_t n_links;
    int links[VR_REC_AGENT_MAX_LINKS]; /* indexes in vr_rec_link_names, no repeats */
};

/* New reference, or NULL on allocation failure. */
json_t *vr_agent_status_to_json(const struct vr_agent_status *s);
/* Reads a line whose "type" is VR_REC_AGENT_TYPE. 0 or VR_EINVAL naming the field. */
int vr_agent_status_from_json(const json_t *j, struct vr_agent_status *out, struct vr_jerr *eb);

#endif
