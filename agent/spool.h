/* spool: the agent's durable queue of records waiting for the collector (DESIGN.md §8).
 *
 * Records are JSON Lines appended to segment files DIR/seg-<16-digit seq>.jsonl, each made
 * durable (write + fdatasync) before vr_spool_append() returns, so a record the daemon has
 * produced survives a crash or SIGKILL. A segment is rotated at 1 MB or 10,000 records.
 * Acknowledged record ids are appended (and fsync'd) to DIR/seg-<seq>.ack; a segment whose
 * records are all acknowledged is deleted. vr_spool_open() rebuilds the state from the files
 * and truncates a torn last line left by a crash mid-write.
 *
 * What it does not do: no network (uploader.h), no logging (it counts what it dropped or
 * skipped and the caller logs), no threads. Memory is an index per segment (16 bytes per
 * record), never the records themselves. Over max_bytes, the oldest segment is dropped.
 *
 * Ids are matched by a 64-bit FNV-1a hash of the id string; a false match needs two ids of
 * one spool colliding (about 1e-10 for 100,000 spooled records).
 *
 * Not thread-safe: call from one thread (the agent's loop thread). One process per directory. */
#ifndef VR_SPOOL_H
#define VR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define VR_SPOOL_ID_MAX          64              /* record ids are shorter (record.h) */
#define VR_SPOOL_LINE_MAX        (1024u * 1024u) /* longest record line accepted */
#define VR_SPOOL_DEFAULT_MAX     (100ull << 20)  /* 100 MB */
#define VR_SPOOL_SEGMENT_BYTES   (1024u * 1024u) /* rotate a segment at 1 MB ... */
#define VR_SPOOL_SEGMENT_RECORDS 10000u          /* ... or 10,000 records */

struct vr_spool;

/* A batch of the oldest unacknowledged records, ready to POST as application/x-ndjson. */
struct vr_spool_batch {
    char *body;                   /* the records, each line ending in '\n'; owned by the batch */
    size_t body_len;              /* bytes in body */
    size_t n;                     /* records */
    char (*ids)[VR_SPOOL_ID_MAX]; /* n ids in body order; owned by the batch */
};

struct vr_spool_stats {
    uint64_t records;    /* unacknowledged records held */
    uint64_t bytes;      /* bytes of segment files on disk (acknowledged lines included) */
    uint64_t segments;   /* segment files */
    uint64_t dropped;    /* unacknowledged records dropped by the size cap, since open */
    uint64_t skipped;    /* unreadable lines skipped at open (no id / not JSON) */
    uint64_t torn_bytes; /* bytes of torn last lines truncated at open */
};

/* Opens (creating it when absent, mode 0700) the spool directory and recovers its state.
 * max_bytes 0 means VR_SPOOL_DEFAULT_MAX. *out: caller frees with vr_spool_free().
 * Returns 0, -errno (-EWOULDBLOCK: another process has the spool open) or VR_ENOMEM. The
 * directory stays locked (flock) until vr_spool_free(). When recovery had to
 * drop, skip or truncate, vr_spool_get_stats() says how much, for the caller to log. */
int vr_spool_open(const char *dir, uint64_t max_bytes, struct vr_spool **out);

/* Closes the files and frees. NULL is a no-op. Nothing is lost: all appends were synced. */
void vr_spool_free(struct vr_spool *s);

/* Appends one record (its JSON, one line, without or with a trailing '\n'; no other newline)
 * and syncs it to disk before returning 0. id is the record's "id" (1..63 bytes; the line must
 * be a JSON object with that id, else VR_EINVAL). When the cap
 * forced dropping the oldest segment, *dropped (may be NULL) gets how many unacknowledged
 * records went with it (0 otherwise). Returns 0, -errno (the record is not stored; the file is
 * left as it was), VR_EINVAL (bad id, embedded newline) or VR_ERANGE (over VR_SPOOL_LINE_MAX). */
int vr_spool_append(struct vr_spool *s, const char *line, size_t len, const char *id,
                    uint64_t *dropped);

/* Fills *batch (contents owned by the caller: vr_spool_batch_free) with the oldest
 * unacknowledged records, at most max_records and max_bytes of body, but at least one record
 * when any is held, so that an oversized record still moves. Returns the number of records
 * (0: nothing to send; batch is then empty), -errno or VR_ENOMEM. The same records come back
 * on every peek until acknowledged. */
int vr_spool_peek(struct vr_spool *s, size_t max_records, size_t max_bytes,
                  struct vr_spool_batch *batch);

/* Frees the batch's contents (not the struct itself) and empties it. NULL is a no-op. */
void vr_spool_batch_free(struct vr_spool_batch *batch);

/* Marks every held record whose id is among ids[0..n) as delivered: ids are made durable in the
 * segments' ack files first, then segments with nothing left are deleted. Unknown ids are
 * ignored. *acked (may be NULL) gets how many records were newly acknowledged.
 * Returns 0, -errno or VR_ENOMEM. */
int vr_spool_ack(struct vr_spool *s, const char *const *ids, size_t n, size_t *acked);

/* Number of unacknowledged records held. */
uint64_t vr_spool_count(const struct vr_spool *s);

void vr_spool_get_stats(const struct vr_spool *s, struct vr_spool_stats *out);

/* Overrides the rotation limits (for tests and small devices); applies from the next append.
 * Values of 0 keep the current limit. */
void vr_spool_set_segment_limits(struct vr_spool *s, uint32_t max_bytes, uint32_t max_records);

#endif
