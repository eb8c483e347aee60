/* timefmt: RFC 3339 UTC timestamps, the one time format of records, reasons and reports.
 * Pure conversions, no clock (clock.h reads the time); any thread. */
#ifndef VR_TIMEFMT_H
#define VR_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 UTC with milliseconds, e.g. "2026-11-27T14:05:00.000Z". buf >= 32 bytes. */
void vr_format_rfc3339(uint64_t wall_ns, char *buf, size_t len);
/* Inverse of vr_format_rfc3339 (accepts any fraction length and "Z" only). 0 or VR_EINVAL. */
int vr_parse_rfc3339(const char *s, uint64_t *wall_ns);

#endif
