/* daemon: `voiceready-agent run --config FILE`, the unattended agent. Keeps an always-on
 * low-rate test running against every target (intervals aligned to wall-clock multiples), starts
 * peak-load tests in their scheduled windows, appends every record to the durable spool before
 * anything else happens to it, and lets the uploader deliver the spool to the collector.
 * A record is deleted only when the collector acknowledged its id (spool.h, uploader.h).
 *
 * Lifecycle: vr_daemon_init, vr_daemon_start; vr_daemon_reload (SIGHUP) swaps in a new config
 * once the running tests have stopped; vr_daemon_stop (SIGTERM) stops the tests, gives the
 * uploader a few seconds to deliver what is spooled (the rest stays on disk), closes every handle
 * and then calls cb. vr_daemon_free after the loop has returned. Loop thread only. */
#ifndef VR_DAEMON_H
#define VR_DAEMON_H

#include <uv.h>

#include "err.h"

struct vr_daemon;
typedef void (*vr_daemon_stopped_cb)(void *arg);

/* Loads and checks the config, opens the spool. Returns 0 or an error with eb filled. *out is
 * freed by vr_daemon_free, also on failure. */
int vr_daemon_init(uv_loop_t *loop, const char *config_path, struct vr_daemon **out,
                   struct vr_errbuf *eb);
int vr_daemon_start(struct vr_daemon *d, struct vr_errbuf *eb);
void vr_daemon_reload(struct vr_daemon *d);
void vr_daemon_stop(struct vr_daemon *d, vr_daemon_stopped_cb cb, void *arg);
void vr_daemon_free(struct vr_daemon *d);

#endif
