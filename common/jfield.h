/* jfield: bounded readers of one JSON object's fields, shared by every record reader (record.h,
 * rec_capacity.h, rec_capture.h, rec_ack.h).
 *
 * Each reader takes the object, a prefix ("" or e.g. "steps[3].", so that messages name nested
 * fields) and the key, checks type and bounds and copies the value out. A failure returns
 * VR_EINVAL with err->field set to the full field name (prefix + key) and eb->eb.msg worded
 * `record field "NAME": ...`, so that a caller can report the field without parsing the message.
 * Missing fields: REQUIRED fails, OPTIONAL and NULLABLE (which also accepts null) give the
 * documented "absent" value. Unknown fields are not looked at. Pure; any thread. */
#ifndef VR_JFIELD_H
#define VR_JFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* A reader's failure: the message for the user and, apart, the field it names. */
struct vr_jerr {
    struct vr_errbuf eb;
    char field[64]; /* "" when the failure is not one field's (e.g. not an object) */
};

/* Sets the message (printf-style) with no field. Returns err. e may be NULL. */
int vr_jerr_set(struct vr_jerr *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum vr_jfield_need {
    VR_JFIELD_OPTIONAL = 0, /* may be absent (not null) */
    VR_JFIELD_REQUIRED = 1, /* must be present */
    VR_JFIELD_NULLABLE = 2, /* may be absent or null */
};

/* Sets eb->field to prefix+key and eb->eb.msg to `record field "prefix+key": ` and the rest.
 * Returns VR_EINVAL. eb may be NULL. */
int vr_jfield_fail(struct vr_jerr *eb, const char *prefix, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets eb->field and the message `record field "prefix+key" is missing`. Returns VR_EINVAL. */
int vr_jfield_missing(struct vr_jerr *eb, const char *prefix, const char *key);

/* A string shorter than cap bytes without NUL bytes, copied to dst (may be NULL: only checked).
 * Absent or null (when allowed): dst = "" and *present (may be NULL) = false. */
int vr_jfield_str(const json_t *o, const char *prefix, const char *key, char *dst, size_t cap,
                  enum vr_jfield_need need, bool *present, struct vr_jerr *eb);
/* One of the names in `names` (NULL-terminated); *idx (may be NULL) = its index, -1 when absent
 * (allowed). */
int vr_jfield_enum(const json_t *o, const char *prefix, const char *key, const char *const *names,
                   enum vr_jfield_need need, int *idx, struct vr_jerr *eb);
/* A JSON integer (never a real) in [lo, hi]; absent (or null when allowed): *out = absent. */
int vr_jfield_int(const json_t *o, const char *prefix, const char *key, int64_t lo, int64_t hi,
                  enum vr_jfield_need need, int64_t absent, int64_t *out, struct vr_jerr *eb);
/* The same for a count 0..max. */
int vr_jfield_u64(const json_t *o, const char *prefix, const char *key, uint64_t max,
                  enum vr_jfield_need need, uint64_t *out, struct vr_jerr *eb);
/* A finite number (integer or real) in [lo, hi]; absent or null: *out = NAN. */
int vr_jfield_num(const json_t *o, const char *prefix, const char *key, double lo, double hi,
                  enum vr_jfield_need need, double *out, struct vr_jerr *eb);
/* A boolean; absent: *out = false. */
int vr_jfield_bool(const json_t *o, const char *prefix, const char *key, enum vr_jfield_need need,
                   bool *out, struct vr_jerr *eb);
/* An RFC 3339 UTC time string (vr_parse_rfc3339) within 0..INT64_MAX ns. */
int vr_jfield_time(const json_t *o, const char *prefix, const char *key, uint64_t *wall_ns,
                   struct vr_jerr *eb);
/* An array of at most max strings, each shorter than len bytes, into dst[max][len]; absent: 0.
 * dst may be NULL (only checked). */
int vr_jfield_strings(const json_t *o, const char *prefix, const char *key, size_t max, size_t len,
                      char *dst, size_t *n, struct vr_jerr *eb);

/* The index of s in names (NULL-terminated), or -1. */
int vr_jfield_name_index(const char *const *names, const char *s);

/* Writer helpers: new references, NULL on allocation failure. */
json_t *vr_jfield_real_or_null(double v); /* null when NaN (or infinite) */
/* Sets o[key] = v (stealing v); false when v is NULL or the set fails. */
bool vr_jfield_put(json_t *o, const char *key, json_t *v);
/* A new array of n strings from src[n][len]. */
json_t *vr_jfield_string_array(const char *src, size_t n, size_t len);

#endif
