#include "jarena.h"

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#if defined(__SANITIZE_ADDRESS__)
#define VR_JARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VR_JARENA_OFF 1
#endif
#endif

#ifndef VR_JARENA_OFF
#define CHUNK_BYTES (256 * 1024) /* one interval record needs ~20 KB of jansson values */
#define MAX_EXTRA   64           /* overflow chunks of one scope; beyond, plain malloc */
#define ALIGN       16

struct chunk {
    char *base;
    size_t cap;
};

/* One per thread: the main chunk, kept between scopes, and the scope's overflow chunks. */
struct arena {
    bool active;
    struct chunk main;
    size_t used;
    struct chunk extra[MAX_EXTRA];
    size_t n_extra, extra_used; /* extra_used: in the last overflow chunk */
};

/* Thread-local by necessity: jansson's hooks take no context argument. */
static _Thread_local struct arena tl;

static bool in_chunk(const struct chunk *c, const void *p)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)c->base;
    return c->base != NULL && a >= b && a < b + c->cap;
}

static void *bump(struct chunk *c, size_t *used, size_t size)
{
    size_t at = (*used + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (c->base == NULL || at > c->cap || size > c->cap - at)
        return NULL;
    *used = at + size;
    return c->base + at;
}

static void *arena_malloc(size_t size)
{
    struct arena *a = &tl;
    void *p;
    if (!a->active)
        return malloc(size);
    if ((p = bump(&a->main, &a->used, size)) != NULL)
        return p;
    if (a->n_extra > 0 && (p = bump(&a->extra[a->n_extra - 1], &a->extra_used, size)) != NULL)
        return p;
    if (a->n_extra == MAX_EXTRA)
        return malloc(size);
    struct chunk *c = &a->extra[a->n_extra];
    c->cap = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    c->base = malloc(c->cap);
    if (c->base == NULL)
        return malloc(size);
    a->n_extra++;
    a->extra_used = 0;
    return bump(c, &a->extra_used, size);
}

/* Checks the chunks whether or not a scope is active: a value made in the scope may be
 * released while it is paused. */
static void arena_free(void *p)
{
    struct arena *a = &tl;
    if (p == NULL || in_chunk(&a->main, p))
        return;
    for (size_t i = 0; i < a->n_extra; i++) {
        if (in_chunk(&a->extra[i], p))
            return;
    }
    free(p);
}

#endif

void vr_jarena_install(void)
{
#ifndef VR_JARENA_OFF
    json_set_alloc_funcs(arena_malloc, arena_free);
#endif
}

void vr_jarena_begin(void)
{
#ifndef VR_JARENA_OFF
    struct arena *a = &tl;
    if (a->main.base == NULL) {
        a->main.base = malloc(CHUNK_BYTES);
        a->main.cap = a->main.base != NULL ? CHUNK_BYTES : 0;
    }
    a->used = 0;
    a->active = true;
#endif
}

void vr_jarena_end(void)
{
#ifndef VR_JARENA_OFF
    struct arena *a = &tl;
    a->active = false;
    for (size_t i = 0; i < a->n_extra; i++)
        free(a->extra[i].base);
    a->n_extra = 0;
    a->extra_used = 0;
    a->used = 0;
#endif
}

bool vr_jarena_pause(void)
{
#ifndef VR_JARENA_OFF
    bool was = tl.active;
    tl.active = false;
    return was;
#else
    return false;
#endif
}

void vr_jarena_resume(bool was_active)
{
#ifndef VR_JARENA_OFF
    tl.active = was_active;
#else
    (void)was_active;
#endif
}
