/* rec_roundtrip: every line of the given JSON Lines files (records the agent wrote) is read with
 * its type's one reader and written back with its one writer; the two objects must match field
 * by field (same keys, same JSON types, same values; reals within 1e-9 relative). Then each
 * file, as one upload body, must be accepted by the collector's vr_ingest_parse. A writer and a
 * reader that disagree on a field's name or type fail here. Exit 0 ok, 1 mismatch, 2 usage. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingest.h"
#include "rec_capacity.h"
#include "rec_capture.h"
#include "rec_verdict.h"
#include "record.h"

static int failures;

static const char *type_name(const json_t *v)
{
    static const char *const names[] = {"object", "array", "string", "integer",
                                        "real",   "true",  "false",  "null"};
    return names[json_typeof(v)];
}

static void mismatch(const char *where, const char *path, const char *fmt, const char *a,
                     const char *b)
{
    fprintf(stderr, "FAIL %s: field \"%s\": ", where, path);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    failures++;
}

/* a: the agent's line, b: reader then writer. */
static void compare(const char *where, const char *path, const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b)) {
        mismatch(where, path, "the agent wrote %s, the round trip gives %s", type_name(a),
                 type_name(b));
        return;
    }
    char p[256];
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
            const json_t *w = json_object_get(b, k);
            if (w == NULL)
                mismatch(where, p, "written by the agent%s, lost by the reader or writer%s", "",
                         "");
            else
                compare(where, p, v, w);
        }
        json_object_foreach((json_t *)b, k, v)
        {
            snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
            if (json_object_get(a, k) == NULL)
                mismatch(where, p, "not written by the agent%s, added by the round trip%s", "", "");
        }
        break;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            mismatch(where, path, "array length differs%s%s", "", "");
            return;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            compare(where, p, json_array_get(a, i), json_array_get(b, i));
        }
        break;
    case JSON_STRING:
        if (strcmp(json_string_value(a), json_string_value(b)) != 0)
            mismatch(where, path, "\"%s\" became \"%s\"", json_string_value(a),
                     json_string_value(b));
        break;
    case JSON_INTEGER:
        if (json_integer_value(a) != json_integer_value(b)) {
            char x[32], y[32];
            snprintf(x, sizeof(x), "%lld", (long long)json_integer_value(a));
            snprintf(y, sizeof(y), "%lld", (long long)json_integer_value(b));
            mismatch(where, path, "%s became %s", x, y);
        }
        break;
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        if (fabs(x - y) > 1e-9 * fmax(fabs(x), fabs(y))) {
            char s[40], t[40];
            snprintf(s, sizeof(s), "%.17g", x);
            snprintf(t, sizeof(t), "%.17g", y);
            mismatch(where, path, "%s became %s", s, t);
        }
        break;
    }
    default:
        break;
    }
}

/* The line read and written back, or NULL with the reader's message printed. */
static json_t *round_trip(const char *where, const json_t *j)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    struct vr_jerr e = {{{0}}, {0}};
    json_t *out = NULL;
    int rc = -1;
    if (type == NULL) {
        snprintf(e.eb.msg, sizeof(e.eb.msg), "no \"type\"");
    } else if (strcmp(type, "interval") == 0 || strcmp(type, "summary") == 0) {
        struct vr_record *r = calloc(1, sizeof(*r));
        if (r != NULL && (rc = vr_record_from_json(j, r, &e)) == 0)
            out = vr_record_to_json(r);
        free(r);
    } else if (strcmp(type, "capacity") == 0) {
        struct vr_rec_capacity *r = malloc(sizeof(*r));
        if (r != NULL && (rc = vr_rec_capacity_from_json(j, r, &e)) == 0)
            out = vr_rec_capacity_to_json(r);
        free(r);
    } else if (strcmp(type, "capture") == 0) {
        struct vr_rec_capture *r = malloc(sizeof(*r));
        if (r != NULL && (rc = vr_rec_capture_from_json(j, r, &e)) == 0)
            out = vr_rec_capture_to_json(r);
        free(r);
    } else if (strcmp(type, "verdict") == 0) {
        struct vr_verdict *r = malloc(sizeof(*r));
        struct vr_rec_sender snd;
        bool has_snd = false;
        if (r != NULL && (rc = vr_verdict_from_json(j, r, &snd, &has_snd, &e)) == 0)
            out = vr_verdict_to_json(r, has_snd ? &snd : NULL);
        free(r);
    } else {
        snprintf(e.eb.msg, sizeof(e.eb.msg), "unknown type \"%s\"", type);
    }
    if (out == NULL) {
        fprintf(stderr, "FAIL %s: the reader refuses the agent's %s record (rc %d): %s\n", where,
                type != NULL ? type : "?", rc, e.eb.msg);
        failures++;
    }
    return out;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf != NULL && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void check_file(const char *path, size_t *n_by_type)
{
    size_t len = 0;
    char *body = slurp(path, &len);
    if (body == NULL) {
        fprintf(stderr, "FAIL %s: cannot read\n", path);
        failures++;
        return;
    }
    body[len] = '\0';
    char site[64] = "";
    size_t lineno = 0;
    for (char *line = body, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        size_t n = next != NULL ? (size_t)(next - line) : strlen(line);
        if (next != NULL)
            next++;
        lineno++;
        if (n == 0)
            continue;
        char where[300];
        snprintf(where, sizeof(where), "%s:%zu", path, lineno);
        json_error_t je;
        json_t *j = json_loadb(line, n, 0, &je);
        if (j == NULL) {
            fprintf(stderr, "FAIL %s: not JSON: %s\n", where, je.text);
            failures++;
            continue;
        }
        const char *type = json_string_value(json_object_get(j, "type"));
        n_by_type[type == NULL                    ? 0
                  : strcmp(type, "interval") == 0 ? 1
                  : strcmp(type, "summary") == 0  ? 2
                  : strcmp(type, "capacity") == 0 ? 3
                  : strcmp(type, "capture") == 0  ? 4
                  : strcmp(type, "verdict") == 0  ? 5
                                                  : 0]++;
        if (site[0] == '\0' && json_is_string(json_object_get(j, "site")))
            snprintf(site, sizeof(site), "%s", json_string_value(json_object_get(j, "site")));
        json_t *back = round_trip(where, j);
        if (back != NULL)
            compare(where, "", j, back);
        json_decref(back);
        json_decref(j);
    }
    /* the same lines as one upload: the collector's parser must take the whole batch */
    free(body);
    body = slurp(path, &len);
    struct vr_ingest_batch b;
    struct vr_ingest_error err;
    if (body != NULL && vr_ingest_parse(NULL, site, body, len, &b, &err) != 0) {
        fprintf(stderr, "FAIL %s: vr_ingest_parse refuses line %zu, field \"%s\": %s\n", path,
                err.line, err.field, err.msg);
        failures++;
    } else if (body != NULL) {
        vr_ingest_batch_free(&b);
    }
    free(body);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rec_roundtrip FILE.jsonl...\n");
        return 2;
    }
    static const char *const names[] = {"other",    "interval", "summary",
                                        "capacity", "capture",  "verdict"};
    size_t n_by_type[6] = {0};
    for (int i = 1; i < argc; i++)
        check_file(argv[i], n_by_type);
    for (size_t i = 0; i < 6; i++)
        printf("%s %zu\n", names[i], n_by_type[i]);
    if (failures > 0)
        fprintf(stderr, "%d mismatch(es)\n", failures);
    return failures > 0 ? 1 : 0;
}
