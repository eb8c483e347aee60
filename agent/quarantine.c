#include "quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "timefmt.h"

#define QFILE  "quarantine.jsonl"
#define RQFILE "requeue.jsonl"
#define LKFILE "quarantine.lock"

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* The lock every read-modify-write takes: a file descriptor to close, or -errno. */
static int lock_dir(const char *dir)
{
    char p[4200];
    path_of(p, sizeof(p), dir, LKFILE);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = -errno;
            close(fd);
            return e;
        }
    }
    return fd;
}

static void unlock_dir(int fd)
{
    close(fd); /* releases the flock */
}

/* The file's lines (without newlines), oldest first; a missing file is none. */
struct lines {
    char **v;
    size_t n, cap;
    uint64_t bytes;
};

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int lines_push(struct lines *l, char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 64 : l->cap * 2;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return VR_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    l->bytes += strlen(s) + 1;
    return 0;
}

static int read_lines(const char *path, struct lines *l)
{
    memset(l, 0, sizeof(*l));
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        if (n == 0)
            continue;
        char *s = strdup(buf);
        if (s == NULL || lines_push(l, s) != 0) {
            free(s);
            rc = VR_ENOMEM;
        }
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    free(buf);
    fclose(f);
    if (rc != 0)
        lines_free(l);
    return rc;
}

/* Writes lines[from..n) to path durably: a temporary file, fdatasync, rename, then the dir. */
static int write_lines(const char *dir, const char *name, const struct lines *l, size_t from)
{
    char p[4200], tmp[4300];
    path_of(p, sizeof(p), dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    if (from >= l->n) {
        if (unlink(p) != 0 && errno != ENOENT)
            return -errno;
        return 0;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        int e = -errno;
        close(fd);
        return e;
    }
    for (size_t i = from; i < l->n; i++)
        fprintf(f, "%s\n", l->v[i]);
    int rc = fflush(f) != 0 || fdatasync(fd) != 0 ? -errno : 0;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, p) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Appends lines to path and syncs them. */
static int append_durable(const char *dir, const char *name, const char *const *v, size_t n)
{
    char p[4200];
    path_of(p, sizeof(p), dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len = strlen(v[i]);
        if (write(fd, v[i], len) != (ssize_t)len || write(fd, "\n", 1) != 1)
            rc = errno != 0 ? -errno : -EIO;
    }
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static char *entry_line(uint64_t now_ns, const char *id, const char *field, const char *error,
                        const char *line, size_t len)
{
    char ts[40];
    vr_format_rfc3339(now_ns, ts, sizeof(ts));
    json_t *rec = json_loadb(line, len, 0, NULL);
    const char *type = json_is_object(rec) ? json_string_value(json_object_get(rec, "type")) : NULL;
    json_t *j = json_object();
    if (rec == NULL)
        rec = json_stringn(line, len); /* kept as text when it is not JSON */
    if (j == NULL || rec == NULL || json_object_set_new(j, "quarantined", json_string(ts)) != 0 ||
        json_object_set_new(j, "id", json_string(id)) != 0 ||
        json_object_set_new(j, "type", type != NULL ? json_string(type) : json_null()) != 0 ||
        json_object_set_new(j, "field",
                            field != NULL && field[0] ? json_string(field) : json_null()) != 0 ||
        json_object_set_new(j, "error", json_string(error)) != 0 ||
        json_object_set(j, "record", rec) != 0) {
        json_decref(rec);
        json_decref(j);
        return NULL;
    }
    json_decref(rec);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    return s;
}

int vr_quarantine_add(const char *dir, uint64_t now_ns, const char *id, const char *field,
                      const char *error, const char *line, size_t len, uint64_t *count,
                      uint64_t *dropped)
{
    if (dropped != NULL)
        *dropped = 0;
    char *s = entry_line(now_ns, id, field, error != NULL ? error : "", line, len);
    if (s == NULL)
        return VR_ENOMEM;
    int fd = lock_dir(dir);
    if (fd < 0) {
        free(s);
        return fd;
    }
    char p[4200];
    path_of(p, sizeof(p), dir, QFILE);
    struct lines l;
    int rc = read_lines(p, &l);
    if (rc == 0 && (rc = lines_push(&l, s)) == 0) {
        s = NULL;
        size_t from = 0;
        uint64_t bytes = l.bytes;
        while (l.n - from > VR_QUARANTINE_MAX_RECORDS ||
               (bytes > VR_QUARANTINE_MAX_BYTES && l.n - from > 1))
            bytes -= strlen(l.v[from++]) + 1;
        if (from > 0) {
            rc = write_lines(dir, QFILE, &l, from);
        } else {
            const char *last = l.v[l.n - 1];
            rc = append_durable(dir, QFILE, &last, 1);
        }
        if (rc == 0 && count != NULL)
            *count = l.n - from;
        if (rc == 0 && dropped != NULL)
            *dropped = from;
    }
    free(s);
    lines_free(&l);
    unlock_dir(fd);
    return rc;
}

int vr_quarantine_count(const char *dir, uint64_t *count)
{
    *count = 0;
    char p[4200];
    path_of(p, sizeof(p), dir, QFILE);
    FILE *f = fopen(p, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    int c, prev = '\n';
    while ((c = getc(f)) != EOF) {
        if (c == '\n' && prev != '\n')
            (*count)++;
        prev = c;
    }
    if (prev != '\n')
        (*count)++;
    fclose(f);
    return 0;
}

static void copy_str(char *dst, size_t len, const json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, len, "%s", s != NULL ? s : "");
}

/* One line read into e; false when it is not an entry. */
static bool parse_entry(const char *line, struct vr_quarantine_entry *e)
{
    memset(e, 0, sizeof(*e));
    json_t *j = json_loads(line, 0, NULL);
    json_t *rec = json_object_get(j, "record");
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *ts = json_string_value(json_object_get(j, "quarantined"));
    if (id == NULL || rec == NULL || strlen(id) >= sizeof(e->id)) {
        json_decref(j);
        return false;
    }
    snprintf(e->id, sizeof(e->id), "%s", id);
    copy_str(e->type, sizeof(e->type), json_object_get(j, "type"));
    copy_str(e->field, sizeof(e->field), json_object_get(j, "field"));
    copy_str(e->error, sizeof(e->error), json_object_get(j, "error"));
    if (ts == NULL || vr_parse_rfc3339(ts, &e->time_ns) != 0)
        e->time_ns = 0;
    e->record = json_is_string(rec)
                    ? strdup(json_string_value(rec))
                    : json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    return e->record != NULL;
}

int vr_quarantine_load(const char *dir, struct vr_quarantine_entry **out, size_t *n,
                       size_t *skipped)
{
    *out = NULL;
    *n = 0;
    if (skipped != NULL)
        *skipped = 0;
    int fd = lock_dir(dir);
    if (fd < 0)
        return fd == -ENOENT ? 0 : fd;
    char p[4200];
    path_of(p, sizeof(p), dir, QFILE);
    struct lines l;
    int rc = read_lines(p, &l);
    unlock_dir(fd);
    if (rc != 0)
        return rc;
    struct vr_quarantine_entry *e = calloc(l.n > 0 ? l.n : 1, sizeof(*e));
    if (e == NULL) {
        lines_free(&l);
        return VR_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (parse_entry(l.v[i], &e[k]))
            k++;
        else if (skipped != NULL)
            (*skipped)++;
    }
    lines_free(&l);
    *out = e;
    *n = k;
    return 0;
}

void vr_quarantine_entries_free(struct vr_quarantine_entry *e, size_t n)
{
    for (size_t i = 0; e != NULL && i < n; i++)
        free(e[i].record);
    free(e);
}

static bool wanted(const char *id, const char *const *ids, size_t n_ids)
{
    for (size_t i = 0; i < n_ids; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

int vr_quarantine_take(const char *dir, const char *const *ids, size_t n_ids, bool all,
                       bool requeue, size_t *taken)
{
    *taken = 0;
    int fd = lock_dir(dir);
    if (fd < 0)
        return fd;
    char p[4200];
    path_of(p, sizeof(p), dir, QFILE);
    struct lines l, keep = {0};
    int rc = read_lines(p, &l);
    const char **back = calloc(l.n > 0 ? l.n : 1, sizeof(*back));
    if (rc == 0 && back == NULL)
        rc = VR_ENOMEM;
    size_t nb = 0;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        struct vr_quarantine_entry e;
        bool ok = parse_entry(l.v[i], &e);
        if (ok && (all || wanted(e.id, ids, n_ids))) {
            back[nb] = e.record; /* owned by back now */
            e.record = NULL;
            nb++;
        } else if (lines_push(&keep, l.v[i]) == 0) {
            l.v[i] = NULL; /* owned by keep now */
        } else {
            rc = VR_ENOMEM;
        }
        free(e.record);
    }
    if (rc == 0 && requeue && nb > 0)
        rc = append_durable(dir, RQFILE, back, nb); /* first, so a crash never loses them */
    if (rc == 0 && nb > 0)
        rc = write_lines(dir, QFILE, &keep, 0);
    if (rc == 0)
        *taken = nb;
    for (size_t i = 0; i < nb; i++)
        free((char *)back[i]);
    free(back);
    lines_free(&keep);
    lines_free(&l);
    unlock_dir(fd);
    return rc;
}

int vr_requeue_take(const char *dir, struct vr_spool *s, size_t *moved)
{
    *moved = 0;
    char p[4200];
    path_of(p, sizeof(p), dir, RQFILE);
    if (access(p, F_OK) != 0)
        return 0;
    int fd = lock_dir(dir);
    if (fd < 0)
        return fd;
    struct lines l;
    int rc = read_lines(p, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        json_t *j = json_loads(l.v[i], 0, NULL);
        const char *id = json_string_value(json_object_get(j, "id"));
        /* a duplicate id already in the spool is fine: the collector deduplicates */
        if (id != NULL)
            rc = vr_spool_append(s, l.v[i], strlen(l.v[i]), id, NULL);
        json_decref(j);
        if (rc == 0 && id != NULL)
            (*moved)++;
    }
    if (rc == 0 && unlink(p) != 0 && errno != ENOENT)
        rc = -errno;
    lines_free(&l);
    unlock_dir(fd);
    return rc;
}
