/* err: the project's error codes and the caller-owned error buffer.
 *
 * Functions return int: >= 0 on success, -errno for system-call failures, or a VR_E* code
 * (all <= -1000) for our own. vr_strerror() names both. No allocation, no I/O, any thread. */
#ifndef VR_ERR_H
#define VR_ERR_H

#include <stddef.h>

enum vr_err {
    VR_EINVAL = -1000,   /* malformed input (user or network) */
    VR_ETRUNC = -1001,   /* input shorter than its format needs */
    VR_EMAGIC = -1002,   /* not a voiceready packet */
    VR_EVERSION = -1003, /* voiceready packet of a version we do not speak */
    VR_ERANGE = -1004,   /* a value outside its allowed range */
    VR_ENOMEM = -1005,   /* allocation failed */
    VR_ETIMEDOUT = -1006,
    VR_ENOTFOUND = -1007, /* name resolution or lookup found nothing */
    VR_EFULL = -1008,     /* a bounded buffer or table is full */
    VR_EAUTH = -1009,     /* authentication failed */
};

/* Human-readable name of err (a VR_E* code or a negative errno). Never NULL; static storage. */
const char *vr_strerror(int err);

/* A message for the user about bad input, filled by the function that found the problem. */
#define VR_ERRBUF_SIZE 256
struct vr_errbuf {
    char msg[VR_ERRBUF_SIZE];
};

/* printf-style; truncates silently to VR_ERRBUF_SIZE. eb may be NULL (then nothing happens).
 * Returns err so that callers can write `return vr_errbuf_set(eb, VR_EINVAL, "...")`. */
int vr_errbuf_set(struct vr_errbuf *eb, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
