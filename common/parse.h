/* parse: command-line and config values (durations, counts, host:port, class lists), each with
 * a message that names the input and the fix. Pure; any thread. */
#ifndef VR_PARSE_H
#define VR_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "60s", "500ms", "2m", "1h", "90" (seconds). what names the option for the message.
 * Returns 0 or VR_EINVAL with eb set. */
int vr_parse_duration_ns(const char *s, const char *what, uint64_t *out, struct vr_errbuf *eb);
/* Decimal integer in [min, max]. */
int vr_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 struct vr_errbuf *eb);
/* Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address into host and port
 * (default_port when absent). host must hold hostlen bytes. */
int vr_parse_hostport(const char *s, uint16_t default_port, char *host, size_t hostlen,
                      uint16_t *port, struct vr_errbuf *eb);
/* "audio", "all" or "audio,besteffort" into a bit mask of (1 << enum vr_class). */
int vr_parse_classes(const char *s, unsigned *mask, struct vr_errbuf *eb);

/* INI files: cuts an inline comment ("key = value   # why") from a line read from a config
 * file. A '#' or ';' starts a comment at the start of the line or after a space or tab, so
 * values such as "https://host/#x" keep theirs. In place; the line keeps its newline. */
void vr_ini_strip_comment(char *line);

#endif
