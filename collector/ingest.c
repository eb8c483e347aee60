#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jarena.h"

/* A chunk is parsed by one thread. Big enough that handing it over costs nothing next to
 * parsing it (~20 µs per 1.2 KB line), small enough that a 500-record batch (600 KB) makes
 * ~18 of them to spread over the cores. */
#define CHUNK_BYTES (32 * 1024)

/* One chunk's lines and what came of them. */
struct chunk {
    char *start;
    size_t len;
    size_t lineno0; /* the line number of its first byte's line */
    struct vr_ingest_batch b;
    size_t cap, xcap, rcap;
    int status;                 /* 0, or VR_ENOMEM (err filled): the chunk stopped */
    struct vr_ingest_error err; /* the line being taken's, copied to b.rejected when bad */
};

struct job {
    const char *site;
    struct chunk *c;
};

static int set_error(struct vr_ingest_error *e, enum vr_ingest_kind kind, size_t line,
                     const char *field, const char *msg)
{
    e->kind = kind;
    e->line = line;
    snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
    snprintf(e->msg, sizeof(e->msg), "%s", msg);
    return kind == VR_INGEST_NO_MEMORY ? VR_ENOMEM : VR_EINVAL;
}

static int bad_record(struct vr_ingest_error *e, size_t line, const struct vr_jerr *je)
{
    return set_error(e, VR_INGEST_BAD_FIELD, line, je->field, je->eb.msg);
}

static int wrong_site(struct vr_ingest_error *e, size_t line, const char *site,
                      const char *tok_site)
{
    char msg[300];
    snprintf(msg, sizeof(msg),
             "the record's site \"%s\" is not the token's site \"%s\"; use a token of site "
             "\"%s\"",
             site, tok_site, site);
    return set_error(e, VR_INGEST_WRONG_SITE, line, "site", msg);
}

static int no_memory(struct vr_ingest_error *e)
{
    return set_error(e, VR_INGEST_NO_MEMORY, 0, NULL, "out of memory");
}

void vr_ingest_batch_free(struct vr_ingest_batch *b)
{
    free(b->recs);
    free(b->raw);
    free(b->weight);
    free(b->stored);
    free(b->xr);
    free(b->xstored);
    free(b->rejected);
    memset(b, 0, sizeof(*b));
}

#define GROW(arr, cap)                                     \
    do {                                                   \
        void *p_ = realloc((arr), (cap) * sizeof(*(arr))); \
        if (p_ == NULL)                                    \
            return VR_ENOMEM;                              \
        (arr) = p_;                                        \
    } while (0)

static int grow(struct chunk *c)
{
    if (c->b.n < c->cap)
        return 0;
    size_t cap = c->cap == 0 ? 32 : c->cap * 2;
    GROW(c->b.recs, cap);
    GROW(c->b.raw, cap);
    GROW(c->b.weight, cap);
    GROW(c->b.stored, cap);
    c->cap = cap;
    return 0;
}

static int grow_x(struct chunk *c)
{
    if (c->b.nx < c->xcap)
        return 0;
    size_t cap = c->xcap == 0 ? 8 : c->xcap * 2;
    GROW(c->b.xr, cap);
    GROW(c->b.xstored, cap);
    c->xcap = cap;
    return 0;
}

static int grow_rejected(struct chunk *c)
{
    if (c->b.n_rejected < c->rcap)
        return 0;
    size_t cap = c->rcap == 0 ? 8 : c->rcap * 2;
    GROW(c->b.rejected, cap);
    c->rcap = cap;
    return 0;
}

/* The agent_status line: the first one is kept, later ones are checked the same way. */
static int take_status(const struct job *jb, struct chunk *c, const json_t *j, size_t lineno)
{
    struct vr_agent_status st;
    struct vr_jerr e = {{{0}}, {0}};
    if (vr_agent_status_from_json(j, &st, &e) < 0)
        return bad_record(&c->err, lineno, &e);
    if (strcmp(st.site, jb->site) != 0)
        return wrong_site(&c->err, lineno, st.site, jb->site);
    if (!c->b.has_status) {
        c->b.status = st;
        c->b.has_status = true;
    }
    return 0;
}

/* A capacity or capture record. j is borrowed. */
static int take_x(const struct job *jb, struct chunk *c, const json_t *j, char *line, size_t len,
                  size_t lineno)
{
    if (grow_x(c) < 0)
        return no_memory(&c->err);
    struct vr_xrecord *x = &c->b.xr[c->b.nx];
    struct vr_jerr e = {{{0}}, {0}};
    int rc = vr_xrecord_from_json(j, x, &e);
    if (rc == VR_ENOMEM)
        return no_memory(&c->err);
    if (rc < 0)
        return bad_record(&c->err, lineno, &e);
    if (strcmp(x->site, jb->site) != 0)
        return wrong_site(&c->err, lineno, x->site, jb->site);
    line[len] = '\0';
    x->raw = line;
    c->b.nx++;
    return 0;
}

/* One line: 0 when taken or ignored, else an error with c->err filled. */
static int take_line(const struct job *jb, struct chunk *c, char *line, size_t len, size_t lineno)
{
    json_error_t jerr;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        char msg[300];
        snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s", jerr.column, jerr.text);
        return set_error(&c->err, VR_INGEST_BAD_JSON, lineno, NULL, msg);
    }
    int st = 0;
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!json_is_object(j)) {
        st = set_error(&c->err, VR_INGEST_NOT_OBJECT, lineno, NULL,
                       "expected one JSON object per line");
    } else if (vr_xrecord_is_x(j)) {
        st = take_x(jb, c, j, line, len, lineno);
    } else if (type != NULL && strcmp(type, VR_REC_AGENT_TYPE) == 0) {
        st = take_status(jb, c, j, lineno);
    } else if (type != NULL && strcmp(type, "interval") != 0 && strcmp(type, "summary") != 0) {
        c->b.ignored++; /* verdict records and other types: acknowledged, not stored */
    } else if (grow(c) < 0) {
        st = no_memory(&c->err);
    } else {
        struct vr_record *r = &c->b.recs[c->b.n];
        struct vr_jerr e = {{{0}}, {0}};
        if (vr_record_from_json(j, r, &e) < 0) {
            st = bad_record(&c->err, lineno, &e);
        } else if (strcmp(r->site, jb->site) != 0) {
            st = wrong_site(&c->err, lineno, r->site, jb->site);
        } else {
            line[len] = '\0'; /* the newline's byte: raw stays a C string inside the body */
            c->b.raw[c->b.n] = line;
            c->b.weight[c->b.n] = r->calls > 1 ? (double)r->calls : 1.0;
            c->b.n++;
        }
    }
    if (st == VR_EINVAL) { /* name the record when it has a readable id, for the agent */
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id != NULL && strlen(id) < sizeof(c->err.id))
            snprintf(c->err.id, sizeof(c->err.id), "%s", id);
    }
    json_decref(j);
    return st;
}

/* The one rule for both the line cap and the parse: a line of spaces and tabs only, once a
 * trailing CR is dropped, is blank; any other byte makes it a line to parse. */
static bool blank(const char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '\r')
        len--;
    for (size_t k = 0; k < len; k++)
        if (s[k] != ' ' && s[k] != '\t')
            return false;
    return true;
}

/* Skips blank lines; keeps each bad line's rejection and goes on; stops only when out of
 * memory. Each line's jansson values live in this
 * thread's arena (jarena.h) and are all released before the next line. */
static void parse_chunk(void *arg, size_t i)
{
    const struct job *jb = arg;
    struct chunk *c = &jb->c[i];
    size_t pos = 0, lineno = c->lineno0;
    while (pos < c->len && c->status == 0) {
        char *nl = memchr(c->start + pos, '\n', c->len - pos);
        size_t end = nl != NULL ? (size_t)(nl - c->start) : c->len;
        size_t len = end - pos;
        char *line = c->start + pos;
        if (!blank(line, len)) {
            if (line[len - 1] == '\r') /* not blank: len > 0 */
                len--;
            vr_jarena_begin();
            memset(&c->err, 0, sizeof(c->err));
            int st = take_line(jb, c, line, len, lineno);
            vr_jarena_end();
            if (st == VR_EINVAL && grow_rejected(c) == 0)
                c->b.rejected[c->b.n_rejected++] = c->err;
            else if (st != 0)
                c->status = st == VR_EINVAL ? no_memory(&c->err) : st;
        }
        pos = end + 1;
        lineno++;
    }
}

/* Cuts body into chunks of whole lines (*n of them, caller frees *out); refuses a body with more
 * than VR_INGEST_MAX_LINES non-blank lines (err filled). */
static int cut(char *body, size_t len, struct chunk **out, size_t *n, struct vr_ingest_error *err)
{
    size_t cap = len / CHUNK_BYTES + 2, nc = 0, pos = 0, lineno = 1, lines = 0;
    struct chunk *c = calloc(cap, sizeof(*c));
    if (c == NULL)
        return no_memory(err);
    while (pos < len) {
        struct chunk *k = &c[nc++];
        k->start = body + pos;
        k->lineno0 = lineno;
        size_t stop = len - pos > CHUNK_BYTES ? pos + CHUNK_BYTES : len;
        while (pos < len) {
            char *nl = memchr(body + pos, '\n', len - pos);
            size_t end = nl != NULL ? (size_t)(nl - body) : len;
            if (!blank(body + pos, end - pos) && ++lines > VR_INGEST_MAX_LINES) {
                free(c);
                char msg[96];
                snprintf(msg, sizeof(msg), "more than %d lines in one batch; split it",
                         VR_INGEST_MAX_LINES);
                return set_error(err, VR_INGEST_TOO_MANY_LINES, lineno, NULL, msg);
            }
            pos = end + 1;
            lineno++;
            if (pos >= stop)
                break;
        }
        k->len = (pos < len ? pos : len) - (size_t)(k->start - body);
    }
    *out = c;
    *n = nc;
    return 0;
}

/* Moves the chunks' records, in order, into one batch. */
static int join(struct chunk *c, size_t nc, struct vr_ingest_batch *b)
{
    size_t n = 0, nx = 0, nr = 0;
    for (size_t i = 0; i < nc; i++) {
        n += c[i].b.n;
        nx += c[i].b.nx;
        nr += c[i].b.n_rejected;
        b->ignored += c[i].b.ignored;
        if (c[i].b.has_status && !b->has_status) { /* the first in body order */
            b->status = c[i].b.status;
            b->has_status = true;
        }
    }
    if (nc == 1) { /* the common small upload: hand the arrays over */
        *b = c[0].b;
        memset(&c[0].b, 0, sizeof(c[0].b));
        return 0;
    }
    if (nr > 0 && (b->rejected = malloc(nr * sizeof(*b->rejected))) == NULL)
        return VR_ENOMEM;
    for (size_t i = 0; i < nc; i++) {
        if (c[i].b.n_rejected > 0)
            memcpy(b->rejected + b->n_rejected, c[i].b.rejected,
                   c[i].b.n_rejected * sizeof(*b->rejected));
        b->n_rejected += c[i].b.n_rejected;
    }
    if ((n > 0 && ((b->recs = malloc(n * sizeof(*b->recs))) == NULL ||
                   (b->raw = malloc(n * sizeof(*b->raw))) == NULL ||
                   (b->weight = malloc(n * sizeof(*b->weight))) == NULL ||
                   (b->stored = calloc(n, sizeof(*b->stored))) == NULL)) ||
        (nx > 0 && ((b->xr = malloc(nx * sizeof(*b->xr))) == NULL ||
                    (b->xstored = calloc(nx, sizeof(*b->xstored))) == NULL)))
        return VR_ENOMEM;
    for (size_t i = 0; i < nc; i++) {
        const struct vr_ingest_batch *s = &c[i].b;
        if (s->n > 0) {
            memcpy(b->recs + b->n, s->recs, s->n * sizeof(*s->recs));
            memcpy(b->raw + b->n, s->raw, s->n * sizeof(*s->raw));
            memcpy(b->weight + b->n, s->weight, s->n * sizeof(*s->weight));
            b->n += s->n;
        }
        if (s->nx > 0) {
            memcpy(b->xr + b->nx, s->xr, s->nx * sizeof(*s->xr));
            b->nx += s->nx;
        }
    }
    return 0;
}

int vr_ingest_parse(struct vr_pool *pool, const char *site, char *body, size_t len,
                    struct vr_ingest_batch *b, struct vr_ingest_error *err)
{
    memset(b, 0, sizeof(*b));
    memset(err, 0, sizeof(*err));
    struct chunk *c = NULL;
    size_t nc = 0;
    int st = cut(body, len, &c, &nc, err);
    if (st != 0)
        return st;
    struct job jb = {.site = site, .c = c};
    vr_pool_for(pool, nc, parse_chunk, &jb);
    /* out of memory in any chunk refuses the batch: a rejection list would be incomplete */
    for (size_t i = 0; i < nc; i++) {
        if (st == 0 && c[i].status != 0) {
            st = c[i].status;
            *err = c[i].err;
        }
    }
    if (st == 0 && join(c, nc, b) < 0) {
        vr_ingest_batch_free(b);
        st = no_memory(err);
    }
    for (size_t i = 0; i < nc; i++)
        vr_ingest_batch_free(&c[i].b);
    free(c);
    return st;
}
