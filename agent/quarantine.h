/* quarantine: the records the collector refused, kept beside the spool with its reason
 * (issue 11): never retried on their own, listed, retried or dropped by `voiceready-agent spool`.
 *
 * Files in the spool directory:
 *   quarantine.jsonl  one line per record: {"quarantined":"RFC3339","id":"..","type":"..",
 *                     "field":".."|null,"error":"..","record":{the record as spooled}}
 *   requeue.jsonl     records `spool retry` gave back while the daemon held the spool: the
 *                     daemon's uploader moves them into the spool (vr_requeue_take)
 *   quarantine.lock   flock'd around every read-modify-write of the two, so the daemon and the
 *                     `spool` command never write them at once
 * Bounded: at most VR_QUARANTINE_MAX_RECORDS records and VR_QUARANTINE_MAX_BYTES bytes; over
 * either, the oldest go (counted for the caller to log). Every write is made durable
 * (fdatasync) before the function returns. Stateless: each call opens the files by path. */
#ifndef VR_QUARANTINE_H
#define VR_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define VR_QUARANTINE_MAX_RECORDS 10000u
#define VR_QUARANTINE_MAX_BYTES   (10u * 1024u * 1024u)

struct vr_quarantine_entry {
    uint64_t time_ns; /* when it was quarantined */
    char id[VR_SPOOL_ID_MAX];
    char type[32];
    char field[64]; /* "" when the collector named none */
    char error[400];
    char *record; /* the record's JSON, one line, no newline; owned */
};

/* Appends one refused record (line: its spooled JSON, len bytes) with the collector's field and
 * error. *count (may be NULL): records now held; *dropped (may be NULL): oldest dropped by the
 * bound. Returns 0, -errno or VR_ENOMEM. */
int vr_quarantine_add(const char *dir, uint64_t now_ns, const char *id, const char *field,
                      const char *error, const char *line, size_t len, uint64_t *count,
                      uint64_t *dropped);
/* Records held (0 when there is no quarantine file). 0 or -errno. */
int vr_quarantine_count(const char *dir, uint64_t *count);
/* Every entry, oldest first (*out: free with vr_quarantine_entries_free). Lines that cannot be
 * read are skipped and counted in *skipped (may be NULL). 0, -errno or VR_ENOMEM. */
int vr_quarantine_load(const char *dir, struct vr_quarantine_entry **out, size_t *n,
                       size_t *skipped);
void vr_quarantine_entries_free(struct vr_quarantine_entry *e, size_t n);
/* Takes the entries whose id is among ids[0..n_ids) (all of them when all) out of the file;
 * with requeue, their records are appended to requeue.jsonl in the same locked step. *taken:
 * how many. 0, -errno or VR_ENOMEM. */
int vr_quarantine_take(const char *dir, const char *const *ids, size_t n_ids, bool all,
                       bool requeue, size_t *taken);
/* Moves requeue.jsonl's records into spool s (its lock is ours) and deletes the file. *moved:
 * how many. 0 when there is none; -errno or VR_ENOMEM. */
int vr_requeue_take(const char *dir, struct vr_spool *s, size_t *moved);

#endif
