/* store_ckpt: WAL checkpoints of the SQLite store on a thread of their own.
 *
 * By default SQLite checkpoints in the connection that commits: every ~1,000 WAL pages the
 * writer copies them into the database file while it holds the collector's store lock, and
 * every upload waits. Measured with tests/bench/collector_http.py (1,000 sites, 8 agents): the
 * ingest rate rose 15-20 % with checkpoints taken out of the writer. Here the writer's
 * automatic checkpoints are off; its WAL hook wakes a thread that runs a PASSIVE checkpoint on
 * a second connection, which copies pages while the writer goes on appending.
 *
 * A passive checkpoint never waits for the writer, so under a steady stream of commits it may
 * never catch up to the end of the WAL, and the WAL is only rewound after a checkpoint that
 * did. So when the WAL passes VR_STORE_CKPT_LIMIT pages the writer checkpoints itself, inline,
 * between two of its transactions: the thread has copied almost everything by then, and with no
 * writer running this one reaches the end. The WAL therefore stays bounded (about 256 MB with
 * 16 KiB pages).
 *
 * Owned by one vr_store (store_sqlite.c); the hook runs on the writer's thread. */
#ifndef VR_STORE_CKPT_H
#define VR_STORE_CKPT_H

#include <sqlite3.h>

#include "err.h"

#define VR_STORE_CKPT_PAGES 1000  /* wake the thread (SQLite's own default threshold) */
#define VR_STORE_CKPT_LIMIT 16000 /* the writer checkpoints itself */

struct vr__store_ckpt;

/* Opens a second connection to path, switches db's automatic checkpoints off and installs the
 * WAL hook on db. 0, or an error in eb (db is left as it was). */
int vr__store_ckpt_start(sqlite3 *db, const char *path, struct vr__store_ckpt **out,
                         struct vr_errbuf *eb);
/* Stops the thread, restores db's automatic checkpoints (call before closing db). NULL: no-op. */
void vr__store_ckpt_stop(struct vr__store_ckpt *c, sqlite3 *db);

#endif
