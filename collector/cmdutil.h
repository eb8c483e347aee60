/* cmdutil: helpers the collector's cmd_<name>.c share (see commands.h). Each prints its own
 * one-line message "PROG: ..." on stderr when it fails. No state; main thread. */
#ifndef VR_COLLECTOR_CMDUTIL_H
#define VR_COLLECTOR_CMDUTIL_H

#include <stdbool.h>

#include "config.h"
#include "store.h"

/* --config FILE into cfg, or the defaults without one (path NULL). 0, or non-zero after
 * printing why (cfg is then freed). On success the caller frees cfg (vr_config_free). */
int vr__cmd_load_config(const char *prog, const char *path, struct vr_config *cfg);

/* An unknown option or a missing argument (getopt_long returned c, ':' for a missing value),
 * named as the user typed it. Returns VR_CMD_EXIT_USAGE. */
int vr__cmd_bad_option(const char *prog, char **argv, int c);

/* Opens db into *out; with cfg, the store judges its rollups with each site's thresholds and
 * applies the capacity rule with each site's plan (cfg must outlive the store). serving:
 * checkpoints on a thread of the store's (store.h). 0, or non-zero after printing why. */
int vr__cmd_open_store(const char *prog, const char *db, const struct vr_config *cfg, bool serving,
                       struct vr_store **out);

#endif
