#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One caller's vr_pool_for, on its stack; linked into the pool while parts remain to be taken. */
struct job {
    vr_pool_fn fn;
    void *arg;
    size_t n, next, done;
    struct job *link;
};

struct vr_pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t done; /* some job finished a part */
    struct job *head, *tail;
    bool stop;
    unsigned n_threads; /* started */
    pthread_t *threads;
};

/* Under mu: the next part of the oldest job with parts left, or NULL. A job leaves the queue
 * when its last part is taken; the caller's stack frame then only waits for done. */
static struct job *take(struct vr_pool *p, size_t *i)
{
    struct job *j = p->head;
    if (j == NULL)
        return NULL;
    *i = j->next++;
    if (j->next == j->n) {
        p->head = j->link;
        if (p->head == NULL)
            p->tail = NULL;
    }
    return j;
}

static void run(struct vr_pool *p, struct job *j, size_t i)
{
    pthread_mutex_unlock(&p->mu);
    j->fn(j->arg, i);
    pthread_mutex_lock(&p->mu);
    if (++j->done == j->n)
        pthread_cond_broadcast(&p->done);
}

static void *thread_main(void *arg)
{
    struct vr_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        size_t i;
        struct job *j = take(p, &i);
        if (j != NULL) {
            run(p, j, i);
            continue;
        }
        if (p->stop)
            break;
        pthread_cond_wait(&p->work, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int vr_pool_new(unsigned threads, struct vr_pool **out, struct vr_errbuf *eb)
{
    *out = NULL;
    struct vr_pool *p = calloc(1, sizeof(*p));
    if (p == NULL || threads == 0 || (p->threads = calloc(threads, sizeof(pthread_t))) == NULL) {
        free(p);
        return vr_errbuf_set(eb, threads == 0 ? VR_EINVAL : VR_ENOMEM,
                             threads == 0 ? "a pool needs at least one thread"
                                          : "out of memory for the parse pool");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (; p->n_threads < threads; p->n_threads++) {
        int rc = pthread_create(&p->threads[p->n_threads], NULL, thread_main, p);
        if (rc != 0) {
            vr_pool_free(p);
            return vr_errbuf_set(eb, -rc, "cannot start a parse thread: %s", strerror(rc));
        }
    }
    *out = p;
    return 0;
}

void vr_pool_free(struct vr_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

void vr_pool_for(struct vr_pool *p, size_t n, vr_pool_fn fn, void *arg)
{
    if (p == NULL || n <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    struct job me = {.fn = fn, .arg = arg, .n = n};
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->link = &me;
    else
        p->head = &me;
    p->tail = &me;
    pthread_cond_broadcast(&p->work);
    /* the caller works on its own job (not on older ones: its request should not wait for
     * another's), then waits for the parts the pool's threads took */
    while (me.next < me.n) {
        size_t i = me.next++;
        if (me.next == me.n) {
            /* unlink: it may sit anywhere in the queue */
            struct job **pp = &p->head, *prev = NULL;
            while (*pp != &me) {
                prev = *pp;
                pp = &(*pp)->link;
            }
            *pp = me.link;
            if (p->tail == &me)
                p->tail = prev;
        }
        run(p, &me, i);
    }
    while (me.done < me.n)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
