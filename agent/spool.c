/* spool: append-only, fsync'd segments of JSON Lines; see spool.h for the contract. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "hash.h"

#define ACKED_BIT 0x80000000u /* in rec.len_flags: lines are at most VR_SPOOL_LINE_MAX + 1 */

/* 16 bytes per record: the index is all we keep in memory, the lines stay on disk. */
struct rec {
    uint32_t off;       /* byte offset of the line in the segment file */
    uint32_t len_flags; /* line length including '\n', | ACKED_BIT */
    uint64_t hash;      /* id_hash() of the record id, never 0 */
};

struct seg {
    uint64_t seq;
    struct rec *recs;
    size_t n, cap;
    size_t n_acked;
    size_t first_unacked; /* no unacknowledged record before this index */
    uint64_t size;        /* bytes of the .jsonl file */
    struct seg *next;
};

struct vr_spool {
    int dir_fd;
    uint64_t max_bytes;
    uint32_t seg_max_bytes, seg_max_records;
    struct seg *head, *tail; /* oldest first */
    struct seg *active;      /* the segment appends go to (created by this process), or NULL */
    int active_fd;
    uint64_t next_seq;
    uint64_t records, bytes, segments, dropped, skipped, torn_bytes;
};

/* FNV-1a 64: ids are short, and the spool only needs equality with a tiny false-match rate. */
static uint64_t id_hash(const char *id, size_t len)
{
    uint64_t h = vr_hash_fnv1a64(id, len);
    return h == 0 ? 1 : h; /* 0 marks an empty slot in struct idset */
}

/* Open-addressing set of id hashes, each remembering the index of its id string. */
struct idset {
    uint64_t *keys;
    size_t *vals;
    size_t mask;
};

static int idset_init(struct idset *set, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    set->keys = calloc(cap, sizeof(*set->keys));
    set->vals = calloc(cap, sizeof(*set->vals));
    set->mask = cap - 1;
    if (set->keys == NULL || set->vals == NULL) {
        free(set->keys);
        free(set->vals);
        return VR_ENOMEM;
    }
    return 0;
}

static void idset_add(struct idset *set, uint64_t h, size_t val)
{
    size_t i = (size_t)h & set->mask;
    while (set->keys[i] != 0 && set->keys[i] != h)
        i = (i + 1) & set->mask;
    set->keys[i] = h;
    set->vals[i] = val;
}

/* Returns the value stored with h, or SIZE_MAX when h is absent. */
static size_t idset_find(const struct idset *set, uint64_t h)
{
    size_t i = (size_t)h & set->mask;
    while (set->keys[i] != 0) {
        if (set->keys[i] == h)
            return set->vals[i];
        i = (i + 1) & set->mask;
    }
    return SIZE_MAX;
}

static void idset_free(struct idset *set)
{
    free(set->keys);
    free(set->vals);
}

static void seg_name(char *buf, size_t len, uint64_t seq, const char *ext)
{
    snprintf(buf, len, "seg-%016" PRIu64 ".%s", seq, ext);
}

/* The record's id, from its JSON line: the spool stores lines verbatim so the upload body is
 * exactly what the daemon produced. Returns the id length or -1 when the line has none. */
static int line_id(const char *line, size_t len, char id[VR_SPOOL_ID_MAX])
{
    json_error_t jerr;
    json_t *j = json_loadb(line, len, 0, &jerr);
    json_t *v = json_object_get(j, "id");
    int rc = -1;
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (n > 0 && n < VR_SPOOL_ID_MAX && memchr(json_string_value(v), '\n', n) == NULL) {
            memcpy(id, json_string_value(v), n);
            id[n] = '\0';
            rc = (int)n;
        }
    }
    json_decref(j);
    return rc;
}

static int sync_dir(struct vr_spool *s)
{
    /* a created or deleted file is durable only once its directory entry is */
    return fsync(s->dir_fd) != 0 ? -errno : 0;
}

static int seg_push(struct seg *g, uint32_t off, uint32_t len, uint64_t h)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct rec *r = realloc(g->recs, cap * sizeof(*r));
        if (r == NULL)
            return VR_ENOMEM;
        g->recs = r;
        g->cap = cap;
    }
    g->recs[g->n++] = (struct rec){off, len, h};
    return 0;
}

static void seg_mark(struct vr_spool *s, struct seg *g, size_t i)
{
    g->recs[i].len_flags |= ACKED_BIT;
    g->n_acked++;
    s->records--;
    while (g->first_unacked < g->n && (g->recs[g->first_unacked].len_flags & ACKED_BIT))
        g->first_unacked++;
}

/* Deletes the segment's files (data first: an ack file without data is an orphan that open
 * removes, data without its ack file would be sent again) and unlinks it from the list. */
static int seg_delete(struct vr_spool *s, struct seg *g)
{
    char name[64];
    int rc = 0;
    struct seg **pp = &s->head, *prev = NULL;

    seg_name(name, sizeof(name), g->seq, "jsonl");
    if (unlinkat(s->dir_fd, name, 0) != 0 && errno != ENOENT)
        rc = -errno;
    seg_name(name, sizeof(name), g->seq, "ack");
    if (unlinkat(s->dir_fd, name, 0) != 0 && errno != ENOENT && rc == 0)
        rc = -errno;
    if (rc == 0)
        rc = sync_dir(s);

    while (*pp != g) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = g->next;
    if (s->tail == g)
        s->tail = prev;
    if (s->active == g) {
        s->active = NULL;
        close(s->active_fd);
        s->active_fd = -1;
    }
    s->records -= g->n - g->n_acked;
    s->bytes -= g->size;
    s->segments--;
    free(g->recs);
    free(g);
    return rc;
}

/* Reads the segment's lines into its index. A last line without '\n' is a write cut short by a
 * crash: it was never acknowledged to the caller as stored, so it is truncated away. */
static int seg_load_data(struct vr_spool *s, struct seg *g)
{
    char name[64], id[VR_SPOOL_ID_MAX];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t off = 0;
    int rc = 0, fd;
    FILE *f;

    seg_name(name, sizeof(name), g->seq, "jsonl");
    fd = openat(s->dir_fd, name, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    f = fdopen(fd, "r");
    if (f == NULL) {
        rc = -errno;
        close(fd);
        return rc;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        size_t n = (size_t)len;
        if (line[n - 1] != '\n') {
            s->torn_bytes += n;
            if (ftruncate(fd, (off_t)off) != 0 || fdatasync(fd) != 0)
                rc = -errno;
            break;
        }
        if (n > VR_SPOOL_LINE_MAX + 1 || off > UINT32_MAX - n || line_id(line, n - 1, id) < 0) {
            s->skipped++; /* kept on disk, never sent: a line we did not write whole */
        } else if ((rc = seg_push(g, (uint32_t)off, (uint32_t)n, id_hash(id, strlen(id)))) != 0) {
            break;
        }
        off += n;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    g->size = off;
    free(line);
    fclose(f);
    return rc;
}

/* Marks the records named in the segment's ack file. A torn last ack line is truncated so the
 * next append starts on a fresh line; its record is simply sent again (the collector dedups). */
static int seg_load_acks(struct vr_spool *s, struct seg *g)
{
    char name[64];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    off_t off = 0;
    struct idset set;
    int rc, fd;
    FILE *f;

    seg_name(name, sizeof(name), g->seq, "ack");
    fd = openat(s->dir_fd, name, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    f = fdopen(fd, "r");
    if (f == NULL) {
        rc = -errno;
        close(fd);
        return rc;
    }
    rc = idset_init(&set, g->n);
    if (rc != 0) {
        fclose(f);
        return rc;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') {
            if (ftruncate(fd, off) != 0 || fdatasync(fd) != 0)
                rc = -errno;
            break;
        }
        off += len;
        if (len > 1)
            idset_add(&set, id_hash(line, (size_t)len - 1), 0);
    }
    for (size_t i = 0; i < g->n; i++)
        if (!(g->recs[i].len_flags & ACKED_BIT) && idset_find(&set, g->recs[i].hash) != SIZE_MAX)
            seg_mark(s, g, i);
    idset_free(&set);
    free(line);
    fclose(f);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists the sequence numbers of files named seg-<seq>.<ext>, sorted. *out: caller frees. */
static int list_seqs(struct vr_spool *s, const char *ext, uint64_t **out, size_t *n_out)
{
    int fd = dup(s->dir_fd);
    DIR *d;
    struct dirent *e;
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    char want[64];

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        unsigned long long seq;
        int used = 0;
        if (sscanf(e->d_name, "seg-%16llu.%n", &seq, &used) != 1 || used != 21)
            continue;
        seg_name(want, sizeof(want), (uint64_t)seq, ext);
        if (strcmp(want, e->d_name) != 0)
            continue;
        if (n == cap) {
            uint64_t *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));
            if (nv == NULL) {
                free(v);
                closedir(d);
                return VR_ENOMEM;
            }
            v = nv;
            cap = cap ? cap * 2 : 16;
        }
        v[n++] = (uint64_t)seq;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_u64);
    *out = v;
    *n_out = n;
    return 0;
}

static int mkdir_p(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(path))
        return VR_EINVAL;
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -errno;
        path[i] = c;
    }
    return 0;
}

/* Drops the oldest segments while the spool is over its cap; the active one is kept so that
 * the record just appended is never the one dropped. Returns the unacknowledged records lost. */
static uint64_t enforce_cap(struct vr_spool *s)
{
    uint64_t lost = 0;
    while (s->bytes > s->max_bytes && s->head != NULL && s->head != s->active) {
        lost += s->head->n - s->head->n_acked;
        (void)seg_delete(s, s->head); /* a failed unlink is retried at the next open */
    }
    s->dropped += lost;
    return lost;
}

static int recover(struct vr_spool *s)
{
    uint64_t *seqs = NULL, *acks = NULL;
    size_t n_seqs = 0, n_acks = 0;
    int rc = list_seqs(s, "jsonl", &seqs, &n_seqs);
    if (rc == 0)
        rc = list_seqs(s, "ack", &acks, &n_acks);
    for (size_t i = 0; rc == 0 && i < n_seqs; i++) {
        struct seg *g = calloc(1, sizeof(*g));
        if (g == NULL) {
            rc = VR_ENOMEM;
            break;
        }
        g->seq = seqs[i];
        if (s->tail != NULL)
            s->tail->next = g;
        else
            s->head = g;
        s->tail = g;
        s->segments++;
        rc = seg_load_data(s, g);
        s->bytes += g->size;
        s->records += g->n;
        if (rc == 0)
            rc = seg_load_acks(s, g);
        if (rc == 0 && g->n_acked == g->n)
            rc = seg_delete(s, g); /* everything delivered, or an empty leftover */
        if (seqs[i] >= s->next_seq)
            s->next_seq = seqs[i] + 1;
    }
    for (size_t i = 0; rc == 0 && i < n_acks; i++) {
        char name[64];
        if (bsearch(&acks[i], seqs, n_seqs, sizeof(*seqs), cmp_u64) != NULL)
            continue;
        /* the data was deleted before its ack file: finish that deletion */
        seg_name(name, sizeof(name), acks[i], "ack");
        if (unlinkat(s->dir_fd, name, 0) != 0 && errno != ENOENT)
            rc = -errno;
        if (acks[i] >= s->next_seq)
            s->next_seq = acks[i] + 1;
    }
    free(seqs);
    free(acks);
    if (rc == 0)
        enforce_cap(s);
    return rc;
}

int vr_spool_open(const char *dir, uint64_t max_bytes, struct vr_spool **out)
{
    struct vr_spool *s;
    int rc;

    *out = NULL;
    if (max_bytes == 0)
        max_bytes = VR_SPOOL_DEFAULT_MAX;
    rc = mkdir_p(dir);
    if (rc != 0)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return VR_ENOMEM;
    s->max_bytes = max_bytes;
    s->seg_max_bytes = VR_SPOOL_SEGMENT_BYTES;
    s->seg_max_records = VR_SPOOL_SEGMENT_RECORDS;
    s->active_fd = -1;
    s->next_seq = 1;
    s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        rc = -errno;
        free(s);
        return rc;
    }
    /* two agents appending to and deleting from one spool would lose records */
    if (flock(s->dir_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = -errno;
        close(s->dir_fd);
        free(s);
        return rc;
    }
    rc = recover(s);
    if (rc != 0) {
        vr_spool_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void vr_spool_free(struct vr_spool *s)
{
    if (s == NULL)
        return;
    while (s->head != NULL) {
        struct seg *g = s->head;
        s->head = g->next;
        free(g->recs);
        free(g);
    }
    if (s->active_fd >= 0)
        close(s->active_fd);
    close(s->dir_fd);
    free(s);
}

/* Starts a new segment file for appends; older segments are never appended to again, which
 * keeps recovery simple: only a segment's tail can be torn. */
static int rotate(struct vr_spool *s)
{
    char name[64];
    struct seg *g = calloc(1, sizeof(*g));
    int fd, rc;

    if (g == NULL)
        return VR_ENOMEM;
    g->seq = s->next_seq;
    seg_name(name, sizeof(name), g->seq, "jsonl");
    fd = openat(s->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || (rc = sync_dir(s)) != 0) {
        rc = fd < 0 ? -errno : rc;
        if (fd >= 0) {
            close(fd);
            unlinkat(s->dir_fd, name, 0);
        }
        free(g);
        return rc;
    }
    s->next_seq++;
    if (s->active_fd >= 0)
        close(s->active_fd);
    s->active = g;
    s->active_fd = fd;
    if (s->tail != NULL)
        s->tail->next = g;
    else
        s->head = g;
    s->tail = g;
    s->segments++;
    return 0;
}

int vr_spool_append(struct vr_spool *s, const char *line, size_t len, const char *id,
                    uint64_t *dropped)
{
    size_t id_len = strlen(id), done = 0;
    struct seg *g;
    int rc;

    if (dropped != NULL)
        *dropped = 0;
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (id_len == 0 || id_len >= VR_SPOOL_ID_MAX || strchr(id, '\n') != NULL || len == 0 ||
        memchr(line, '\n', len) != NULL)
        return VR_EINVAL;
    if (len > VR_SPOOL_LINE_MAX)
        return VR_ERANGE;
    {
        /* recovery and peek read the id back from the JSON: refuse a line that would come
         * back unreadable or under another id, rather than block the queue later */
        char got[VR_SPOOL_ID_MAX];
        if (line_id(line, len, got) < 0 || strcmp(got, id) != 0)
            return VR_EINVAL;
    }

    g = s->active;
    if (g == NULL || g->n >= s->seg_max_records ||
        (g->n > 0 && g->size + len + 1 > s->seg_max_bytes)) {
        rc = rotate(s);
        if (rc != 0)
            return rc;
        g = s->active;
    }
    /* room in the index first: after the data is on disk, nothing may fail */
    if (g->n == g->cap) {
        rc = seg_push(g, 0, 0, 0);
        if (rc != 0)
            return rc;
        g->n--;
    }

    while (done < len + 1) {
        struct iovec iov[2];
        int cnt = 0;
        if (done < len)
            iov[cnt++] = (struct iovec){(void *)(line + done), len - done};
        iov[cnt++] = (struct iovec){(void *)"\n", 1};
        ssize_t w = writev(s->active_fd, iov, cnt);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            goto undo;
        }
        done += (size_t)w;
    }
    /* the contract: stored means on disk, so the record survives a crash before upload */
    if (fdatasync(s->active_fd) != 0) {
        rc = -errno;
        goto undo;
    }
    (void)seg_push(g, (uint32_t)g->size, (uint32_t)(len + 1), id_hash(id, id_len));
    g->size += len + 1;
    s->bytes += len + 1;
    s->records++;
    {
        uint64_t lost = enforce_cap(s);
        if (dropped != NULL)
            *dropped = lost;
    }
    return 0;

undo:
    /* leave no partial line behind: a later append would glue onto it */
    if (ftruncate(s->active_fd, (off_t)g->size) != 0) {
        /* the torn tail is cut at the next open; stop appending to this file meanwhile */
        close(s->active_fd);
        s->active_fd = -1;
        s->active = NULL;
    }
    return rc;
}

void vr_spool_batch_free(struct vr_spool_batch *batch)
{
    if (batch == NULL)
        return;
    free(batch->body);
    free(batch->ids);
    memset(batch, 0, sizeof(*batch));
}

int vr_spool_peek(struct vr_spool *s, size_t max_records, size_t max_bytes,
                  struct vr_spool_batch *batch)
{
    size_t n = 0, bytes = 0, pos = 0, k = 0;
    int rc = 0;

    memset(batch, 0, sizeof(*batch));
    /* first pass: choose the records from the index alone */
    for (struct seg *g = s->head; g != NULL && n < max_records; g = g->next) {
        for (size_t i = g->first_unacked; i < g->n && n < max_records; i++) {
            uint32_t len = g->recs[i].len_flags;
            if (len & ACKED_BIT)
                continue;
            if (n > 0 && bytes + len > max_bytes)
                goto chosen;
            n++;
            bytes += len;
        }
    }
chosen:
    if (n == 0)
        return 0;
    batch->body = malloc(bytes);
    batch->ids = malloc(n * sizeof(*batch->ids));
    if (batch->body == NULL || batch->ids == NULL) {
        vr_spool_batch_free(batch);
        return VR_ENOMEM;
    }
    for (struct seg *g = s->head; g != NULL && k < n; g = g->next) {
        char name[64];
        int fd;
        if (g->first_unacked >= g->n)
            continue;
        seg_name(name, sizeof(name), g->seq, "jsonl");
        fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            break;
        }
        for (size_t i = g->first_unacked; i < g->n && k < n; i++) {
            struct rec *r = &g->recs[i];
            size_t len = r->len_flags;
            if (r->len_flags & ACKED_BIT)
                continue;
            ssize_t got = pread(fd, batch->body + pos, len, (off_t)r->off);
            if (got != (ssize_t)len) {
                rc = got < 0 ? -errno : -EIO;
                break;
            }
            if (line_id(batch->body + pos, len - 1, batch->ids[k]) < 0) {
                rc = -EIO; /* changed on disk since open: not ours any more */
                break;
            }
            pos += len;
            k++;
        }
        close(fd);
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        vr_spool_batch_free(batch);
        return rc;
    }
    batch->body_len = pos;
    batch->n = k;
    return (int)(k > INT32_MAX ? INT32_MAX : k);
}

/* Appends the ids of the records newly acknowledged in g to its ack file and syncs it. */
static int write_acks(struct vr_spool *s, struct seg *g, const char *buf, size_t len)
{
    char name[64];
    size_t done = 0;
    bool created = false;
    int rc = 0, fd;

    seg_name(name, sizeof(name), g->seq, "ack");
    fd = openat(s->dir_fd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = openat(s->dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        created = true;
    }
    if (fd < 0)
        return -errno;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        done += (size_t)w;
    }
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && created)
        rc = sync_dir(s);
    return rc;
}

int vr_spool_ack(struct vr_spool *s, const char *const *ids, size_t n, size_t *acked)
{
    struct idset set;
    size_t total = 0;
    char *buf = NULL;
    size_t buf_cap = 0;
    int rc;

    if (acked != NULL)
        *acked = 0;
    if (n == 0)
        return 0;
    rc = idset_init(&set, n);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(ids[i]);
        if (len > 0 && len < VR_SPOOL_ID_MAX && strchr(ids[i], '\n') == NULL)
            idset_add(&set, id_hash(ids[i], len), i);
    }
    for (struct seg *g = s->head, *next; g != NULL; g = next) {
        size_t len = 0, first = g->first_unacked, hits = 0;
        next = g->next;
        for (size_t i = first; i < g->n; i++) {
            struct rec *r = &g->recs[i];
            size_t idx;
            if ((r->len_flags & ACKED_BIT) || (idx = idset_find(&set, r->hash)) == SIZE_MAX)
                continue;
            size_t id_len = strlen(ids[idx]);
            if (len + id_len + 1 > buf_cap) {
                size_t cap = buf_cap ? buf_cap * 2 : 4096;
                while (cap < len + id_len + 1)
                    cap *= 2;
                char *nb = realloc(buf, cap);
                if (nb == NULL) {
                    rc = VR_ENOMEM;
                    goto out;
                }
                buf = nb;
                buf_cap = cap;
            }
            memcpy(buf + len, ids[idx], id_len);
            buf[len + id_len] = '\n';
            len += id_len + 1;
            hits++;
        }
        if (hits == 0)
            continue;
        /* durable first: an ack only in memory would be forgotten by a crash, and the records
         * sent again; harmless (the collector dedups) but the file says the truth sooner */
        rc = write_acks(s, g, buf, len);
        if (rc != 0)
            goto out;
        for (size_t i = first; i < g->n; i++)
            if (!(g->recs[i].len_flags & ACKED_BIT) &&
                idset_find(&set, g->recs[i].hash) != SIZE_MAX)
                seg_mark(s, g, i);
        total += hits;
        if (g->n_acked == g->n)
            (void)seg_delete(s, g); /* a failed unlink is finished by the next open */
    }
out:
    free(buf);
    idset_free(&set);
    if (acked != NULL)
        *acked = total;
    return rc;
}

uint64_t vr_spool_count(const struct vr_spool *s)
{
    return s->records;
}

void vr_spool_get_stats(const struct vr_spool *s, struct vr_spool_stats *out)
{
    out->records = s->records;
    out->bytes = s->bytes;
    out->segments = s->segments;
    out->dropped = s->dropped;
    out->skipped = s->skipped;
    out->torn_bytes = s->torn_bytes;
}

void vr_spool_set_segment_limits(struct vr_spool *s, uint32_t max_bytes, uint32_t max_records)
{
    if (max_bytes != 0)
        s->seg_max_bytes = max_bytes;
    if (max_records != 0)
        s->seg_max_records = max_records;
}
