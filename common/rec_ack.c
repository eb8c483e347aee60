#include "rec_ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *reject_to_json(const struct vr_rec_reject *r)
{
    json_t *o = json_object();
    bool ok = o != NULL && vr_jfield_put(o, "line", json_integer((json_int_t)r->line)) &&
              vr_jfield_put(o, "id", str_or_null(r->id)) &&
              vr_jfield_put(o, "field", str_or_null(r->field)) &&
              vr_jfield_put(o, "error", json_string(r->error != NULL ? r->error : ""));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *vr_rec_ack_to_json(const char *const *ids, size_t n_stored, size_t n_duplicates,
                           const struct vr_rec_reject *rej, size_t n_rejected, uint64_t ignored)
{
    json_t *stored = json_array(), *dups = json_array(), *bad = json_array();
    bool ok = stored != NULL && dups != NULL && bad != NULL;
    for (size_t i = 0; ok && i < n_stored + n_duplicates; i++)
        ok = json_array_append_new(i < n_stored ? stored : dups, json_string(ids[i])) == 0;
    for (size_t i = 0; ok && i < n_rejected; i++) {
        json_t *o = reject_to_json(&rej[i]);
        ok = o != NULL && json_array_append_new(bad, o) == 0;
    }
    if (!ok) {
        json_decref(stored);
        json_decref(dups);
        json_decref(bad);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:o,s:I}", "stored", stored, "duplicates", dups, "rejected", bad,
                     "ignored", (json_int_t)ignored);
}

static int id_list(const json_t *j, const char *key, const char **ids, size_t *n, struct vr_jerr *e)
{
    const json_t *a = json_object_get(j, key);
    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return vr_jfield_fail(e, "", key, "expected an array of record ids");
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s == NULL)
            return vr_jfield_fail(e, "", key, "item %zu is not a string", i);
        ids[(*n)++] = s;
    }
    return 0;
}

/* An optional string of an item: "" when absent or null. */
static int opt_str(const json_t *o, const char *prefix, const char *key, const char **dst,
                   struct vr_jerr *e)
{
    const json_t *v = json_object_get(o, key);
    *dst = "";
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return vr_jfield_fail(e, prefix, key, "expected a string or null");
    *dst = json_string_value(v);
    return 0;
}

static int reject_list(const json_t *j, struct vr_rec_ack *out, struct vr_jerr *e)
{
    const json_t *a = json_object_get(j, "rejected");
    if (a == NULL || json_array_size(a) == 0)
        return 0; /* a collector before per-line replies never sends it */
    if (!json_is_array(a))
        return vr_jfield_fail(e, "", "rejected", "expected an array");
    size_t n = json_array_size(a);
    if (n > VR_REC_ACK_MAX_REJECTED)
        return vr_jfield_fail(e, "", "rejected", "more than %d items",
                              (int)VR_REC_ACK_MAX_REJECTED);
    out->rejected = calloc(n, sizeof(*out->rejected));
    if (out->rejected == NULL)
        return vr_jerr_set(e, VR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(a, i);
        struct vr_rec_reject *r = &out->rejected[i];
        int64_t line = 0;
        int rc;
        char p[32];
        snprintf(p, sizeof(p), "rejected[%zu].", i);
        if (!json_is_object(o))
            return vr_jfield_fail(e, "", "rejected", "item %zu is not an object", i);
        if ((rc = vr_jfield_int(o, p, "line", 1, INT64_MAX, VR_JFIELD_REQUIRED, 0, &line, e)) < 0 ||
            (rc = opt_str(o, p, "id", &r->id, e)) < 0 ||
            (rc = opt_str(o, p, "field", &r->field, e)) < 0 ||
            (rc = opt_str(o, p, "error", &r->error, e)) < 0)
            return rc;
        r->line = (size_t)line;
        out->n_rejected = i + 1;
    }
    return 0;
}

int vr_rec_ack_from_json(const json_t *j, struct vr_rec_ack *out, struct vr_jerr *e)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return vr_jerr_set(e, VR_EINVAL, "reply: expected a JSON object");
    size_t cap = json_array_size(json_object_get(j, "stored")) +
                 json_array_size(json_object_get(j, "duplicates"));
    out->ids = malloc((cap > 0 ? cap : 1) * sizeof(*out->ids));
    if (out->ids == NULL)
        return vr_jerr_set(e, VR_ENOMEM, "out of memory");
    int64_t ignored = 0;
    size_t n = 0;
    int rc;
    if ((rc = id_list(j, "stored", out->ids, &n, e)) < 0)
        goto fail;
    out->n_stored = n;
    if ((rc = id_list(j, "duplicates", out->ids, &n, e)) < 0 ||
        (rc = vr_jfield_int(j, "", "ignored", 0, INT64_MAX, VR_JFIELD_OPTIONAL, 0, &ignored, e)) <
            0 ||
        (rc = reject_list(j, out, e)) < 0)
        goto fail;
    out->n_duplicates = n - out->n_stored;
    out->ignored = (uint64_t)ignored;
    return 0;
fail:
    vr_rec_ack_free(out);
    return rc;
}

void vr_rec_ack_free(struct vr_rec_ack *a)
{
    free(a->ids);
    free(a->rejected);
    memset(a, 0, sizeof(*a));
}

json_t *vr_rec_error_to_json(const char *msg, size_t line, const char *field)
{
    json_t *j = json_pack("{s:s}", "error", msg);
    bool ok = j != NULL;
    if (ok && line > 0)
        ok = vr_jfield_put(j, "line", json_integer((json_int_t)line));
    if (ok && field != NULL && field[0] != '\0')
        ok = vr_jfield_put(j, "field", json_string(field));
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

void vr_rec_error_from_json(const json_t *j, char *buf, size_t len)
{
    const char *e = json_string_value(json_object_get(j, "error"));
    snprintf(buf, len, "%s", e != NULL ? e : "");
}
