#include "jfield.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

int vr_jerr_set(struct vr_jerr *e, int err, const char *fmt, ...)
{
    if (e != NULL) {
        e->field[0] = '\0';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->eb.msg, sizeof(e->eb.msg), fmt, ap);
        va_end(ap);
    }
    return err;
}

int vr_jfield_fail(struct vr_jerr *eb, const char *prefix, const char *key, const char *fmt, ...)
{
    if (eb == NULL)
        return VR_EINVAL;
    snprintf(eb->field, sizeof(eb->field), "%s%s", prefix, key);
    int n = snprintf(eb->eb.msg, sizeof(eb->eb.msg), "record field \"%s\": ", eb->field);
    if (n > 0 && (size_t)n < sizeof(eb->eb.msg)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->eb.msg + n, sizeof(eb->eb.msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return VR_EINVAL;
}

int vr_jfield_missing(struct vr_jerr *eb, const char *prefix, const char *key)
{
    if (eb != NULL) {
        snprintf(eb->field, sizeof(eb->field), "%s%s", prefix, key);
        snprintf(eb->eb.msg, sizeof(eb->eb.msg), "record field \"%s\" is missing", eb->field);
    }
    return VR_EINVAL;
}

/* The value, or NULL when absent (or null and allowed); *rc < 0 when that is an error. */
static const json_t *get(const json_t *o, const char *prefix, const char *key,
                         enum vr_jfield_need need, int *rc, struct vr_jerr *eb)
{
    const json_t *v = json_object_get(o, key);
    *rc = 0;
    if (v == NULL || (json_is_null(v) && need == VR_JFIELD_NULLABLE)) {
        if (need == VR_JFIELD_REQUIRED) {
            *rc = VR_EINVAL;
            if (eb != NULL) {
                snprintf(eb->field, sizeof(eb->field), "%s%s", prefix, key);
                snprintf(eb->eb.msg, sizeof(eb->eb.msg), "record field \"%s\" is missing",
                         eb->field);
            }
        }
        return NULL;
    }
    return v;
}

int vr_jfield_str(const json_t *o, const char *prefix, const char *key, char *dst, size_t cap,
                  enum vr_jfield_need need, bool *present, struct vr_jerr *eb)
{
    int rc;
    const json_t *v = get(o, prefix, key, need, &rc, eb);
    if (present != NULL)
        *present = v != NULL;
    if (v == NULL) {
        if (dst != NULL && cap > 0)
            dst[0] = '\0';
        return rc;
    }
    if (!json_is_string(v))
        return vr_jfield_fail(eb, prefix, key, "expected a string");
    size_t len = json_string_length(v);
    if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL)
        return vr_jfield_fail(eb, prefix, key, "expected a string of at most %zu bytes", cap - 1);
    if (dst != NULL) {
        memcpy(dst, json_string_value(v), len);
        dst[len] = '\0';
    }
    return 0;
}

int vr_jfield_enum(const json_t *o, const char *prefix, const char *key, const char *const *names,
                   enum vr_jfield_need need, int *idx, struct vr_jerr *eb)
{
    char buf[32];
    bool present;
    if (idx != NULL)
        *idx = -1;
    int rc = vr_jfield_str(o, prefix, key, buf, sizeof(buf), need, &present, eb);
    if (rc < 0 || !present)
        return rc;
    char list[160];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(buf, names[i]) == 0) {
            if (idx != NULL)
                *idx = (int)i;
            return 0;
        }
        int k = snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? "|" : "", names[i]);
        if (k > 0 && (size_t)k < sizeof(list) - n)
            n += (size_t)k;
    }
    return vr_jfield_fail(eb, prefix, key, "\"%s\" is not %s", buf, list);
}

int vr_jfield_int(const json_t *o, const char *prefix, const char *key, int64_t lo, int64_t hi,
                  enum vr_jfield_need need, int64_t absent, int64_t *out, struct vr_jerr *eb)
{
    int rc;
    const json_t *v = get(o, prefix, key, need, &rc, eb);
    if (out != NULL)
        *out = absent;
    if (v == NULL)
        return rc;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return vr_jfield_fail(eb, prefix, key, "expected an integer %" PRId64 "..%" PRId64, lo, hi);
    if (out != NULL)
        *out = json_integer_value(v);
    return 0;
}

int vr_jfield_u64(const json_t *o, const char *prefix, const char *key, uint64_t max,
                  enum vr_jfield_need need, uint64_t *out, struct vr_jerr *eb)
{
    int rc;
    const json_t *v = get(o, prefix, key, need, &rc, eb);
    if (out != NULL)
        *out = 0;
    if (v == NULL)
        return rc;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return vr_jfield_fail(eb, prefix, key, "expected an integer 0..%" PRIu64, max);
    if (out != NULL)
        *out = (uint64_t)json_integer_value(v);
    return 0;
}

int vr_jfield_num(const json_t *o, const char *prefix, const char *key, double lo, double hi,
                  enum vr_jfield_need need, double *out, struct vr_jerr *eb)
{
    int rc;
    const json_t *v = get(o, prefix, key, need, &rc, eb);
    if (out != NULL)
        *out = NAN;
    if (v == NULL)
        return rc;
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi)
        return vr_jfield_fail(eb, prefix, key, "expected a number %g..%g", lo, hi);
    if (out != NULL)
        *out = d;
    return 0;
}

int vr_jfield_bool(const json_t *o, const char *prefix, const char *key, enum vr_jfield_need need,
                   bool *out, struct vr_jerr *eb)
{
    int rc;
    const json_t *v = get(o, prefix, key, need, &rc, eb);
    if (out != NULL)
        *out = false;
    if (v == NULL)
        return rc;
    if (!json_is_boolean(v))
        return vr_jfield_fail(eb, prefix, key, "expected a boolean");
    if (out != NULL)
        *out = json_is_true(v);
    return 0;
}

int vr_jfield_time(const json_t *o, const char *prefix, const char *key, uint64_t *wall_ns,
                   struct vr_jerr *eb)
{
    char s[48];
    int rc = vr_jfield_str(o, prefix, key, s, sizeof(s), VR_JFIELD_REQUIRED, NULL, eb);
    if (rc < 0)
        return rc;
    if (vr_parse_rfc3339(s, wall_ns) < 0 || *wall_ns > (uint64_t)INT64_MAX)
        return vr_jfield_fail(eb, prefix, key,
                              "\"%.40s\" is not RFC 3339 UTC, e.g. 2026-11-27T14:05:00.000Z", s);
    return 0;
}

int vr_jfield_strings(const json_t *o, const char *prefix, const char *key, size_t max, size_t len,
                      char *dst, size_t *n, struct vr_jerr *eb)
{
    const json_t *v = json_object_get(o, key);
    *n = 0;
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > max)
        return vr_jfield_fail(eb, prefix, key, "expected an array of at most %zu strings", max);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        size_t k = json_string_length(s);
        if (!json_is_string(s) || k >= len || memchr(json_string_value(s), '\0', k) != NULL)
            return vr_jfield_fail(eb, prefix, key, "item %zu is not a string of at most %zu bytes",
                                  i, len - 1);
        if (dst != NULL) {
            memcpy(dst + i * len, json_string_value(s), k);
            dst[i * len + k] = '\0';
        }
    }
    *n = json_array_size(v);
    return 0;
}

json_t *vr_jfield_real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

bool vr_jfield_put(json_t *o, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

json_t *vr_jfield_string_array(const char *src, size_t n, size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, json_string(src + i * len)) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int vr_jfield_name_index(const char *const *names, const char *s)
{
    for (int i = 0; s != NULL && names[i] != NULL; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}
