/* reflect: the reflector. Answers well-formed voiceready probes on one or more UDP listeners,
 * on a libuv loop: fills in the kernel receive time (T2), the TOS and TTL it received, its own
 * per-stream and per-interval receive counts and the transmit time (T3), marks the reply with
 * the DSCP the sender asked for, and sends back exactly as many bytes as it got.
 *
 * It is not an amplifier: malformed packets get no answer, replies are never larger than the
 * request, and each source address is rate-limited (token bucket). State is bounded: a fixed
 * stream table whose idle or oldest entries are reused.
 * Lifecycle (libuv style): vr_reflector_init, vr_reflector_listen (once per address),
 * vr_reflector_close(cb); memory is freed only after cb runs. Loop thread only. */
#ifndef VR_REFLECT_H
#define VR_REFLECT_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "err.h"

struct vr_reflect_config {
    uint32_t max_streams; /* stream table size (power of two), default 16384 */
    uint32_t rate_pps;    /* per source address, default 100000 */
};

struct vr_reflect_stats {
    uint64_t received, answered, malformed, rate_limited, send_errors, streams_evicted;
};

struct vr_reflector;
typedef void (*vr_reflector_close_cb)(void *arg);

/* Allocates a reflector on loop. Returns 0 or VR_ENOMEM. *out is owned by the caller and freed
 * by vr_reflector_close. */
int vr_reflector_init(uv_loop_t *loop, const struct vr_reflect_config *cfg,
                      struct vr_reflector **out);
/* Binds a listener to addr. Returns 0, or -errno (e.g. -EADDRINUSE) with eb naming the address. */
int vr_reflector_listen(struct vr_reflector *r, const struct sockaddr *addr, socklen_t len,
                        struct vr_errbuf *eb);
void vr_reflector_stats(const struct vr_reflector *r, struct vr_reflect_stats *out);
/* The address listener i (0 .. listeners - 1, in the order of vr_reflector_listen) is bound
 * to, as the kernel reports it (port 0 shows the port it chose): "0.0.0.0:5004", "[::]:5004".
 * Returns the number of listeners; writes buf only when i is below it. */
size_t vr_reflector_addr(const struct vr_reflector *r, size_t i, char *buf, size_t len);
/* Stops all listeners; cb(arg) runs after the memory is freed. */
void vr_reflector_close(struct vr_reflector *r, vr_reflector_close_cb cb, void *arg);

#endif
