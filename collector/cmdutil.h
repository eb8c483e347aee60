/* cmdutil: helpers the collector's cmd_<name>.c share (see commands.h). Each prints its own
 * one-line message "PROG: ..." on stderr when it fails. No state; main thread. */
#ifndef VR_COLLECTOR_CMDUTIL_H
#define VR_COLLECTOR_CMDUTIL_H

#include <pthread.h>
#include <stdbool.h>

#include "config.h"
#include "store.h"

/* --config FILE into cfg, or the defaults without one (path NULL). 0, or non-zero after
 * printing why (cfg is then freed). On success the caller frees cfg (vr_config_free). */
int vr__cmd_load_config(const char *prog, const char *path, struct vr_config *cfg);

/* An unknown option or a missing argument (getopt_long returned c, ':' for a missing value),
 * named as the user typed it. Returns VR_CMD_EXIT_USAGE. */
int vr__cmd_bad_option(const char *prog, char **argv, int c);

/* The config in force while serving, swapped by SIGHUP. Readers (HTTP threads, the store's
 * callbacks) take the current pointer under the lock; a swapped-out config is kept, not
 * freed, until vr__cmd_cfg_free at exit, so a reader still using it never sees it freed (a
 * few KB per reload). */
struct vr__cmd_cfg {
    pthread_mutex_t lock;
    struct vr_config *cur;
    struct vr_config **kept; /* every config installed, cur included */
    size_t n_kept;
};
/* Takes over cfg's contents (cfg is left empty). 0, or -1 out of memory. */
int vr__cmd_cfg_init(struct vr__cmd_cfg *h, struct vr_config *cfg);
const struct vr_config *vr__cmd_cfg_get(struct vr__cmd_cfg *h);
/* Installs cfg (contents taken over) as the current config. 0, or -1 out of memory. */
int vr__cmd_cfg_swap(struct vr__cmd_cfg *h, struct vr_config *cfg);
void vr__cmd_cfg_free(struct vr__cmd_cfg *h);
/* Logs "PROG: reload FILE: ..." lines for what differs from old to new (sites, thresholds,
 * plans, silent_after, retention, max_body; listen/db/TLS as "restart to apply"), or "no
 * change". Returns how many differences. */
size_t vr__cmd_cfg_log_changes(const char *prog, const char *file, const struct vr_config *old,
                               const struct vr_config *cur);

/* Opens db into *out; with cfg, the store judges its rollups with each site's thresholds and
 * applies the capacity rule with each site's plan (cfg must outlive the store). serving:
 * checkpoints on a thread of the store's (store.h). 0, or non-zero after printing why. */
int vr__cmd_open_store(const char *prog, const char *db, const struct vr_config *cfg, bool serving,
                       struct vr_store **out);
/* token add --db PATH: opens PATH, creating the database when it is missing but its directory
 * exists (the path was named on purpose, and the new database holds the token added). */
int vr__cmd_create_store(const char *prog, const char *db, struct vr_store **out);
/* The same with the config behind a holder (serve): every callback reads the current one. */
int vr__cmd_open_store_held(const char *prog, const char *db, struct vr__cmd_cfg *h, bool serving,
                            struct vr_store **out);

#endif
