#include "store_ckpt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct vr__store_ckpt {
    sqlite3 *db; /* the thread's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool wanted, stop;
};

static void *thread_main(void *arg)
{
    struct vr__store_ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stop)
            pthread_cond_wait(&c->cond, &c->mu);
        if (c->stop)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->mu);
        /* SQLITE_BUSY (another checkpoint running) and I/O errors are left to the next wake-up
         * and to the writer's own checkpoint at VR_STORE_CKPT_LIMIT */
        (void)sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* After each commit of the writer, on its thread, outside any transaction. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct vr__store_ckpt *c = arg;
    if (pages >= VR_STORE_CKPT_LIMIT) {
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= VR_STORE_CKPT_PAGES) {
        pthread_mutex_lock(&c->mu);
        c->wanted = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

int vr__store_ckpt_start(sqlite3 *db, const char *path, struct vr__store_ckpt **out,
                         struct vr_errbuf *eb)
{
    *out = NULL;
    struct vr__store_ckpt *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory", path);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        vr_errbuf_set(eb, VR_EINVAL, "%s: cannot open for checkpoints: %s", path,
                      c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return VR_EINVAL;
    }
    sqlite3_busy_timeout(c->db, 5000);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    rc = pthread_create(&c->thread, NULL, thread_main, c);
    if (rc != 0) {
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->mu);
        sqlite3_close(c->db);
        free(c);
        return vr_errbuf_set(eb, -rc, "cannot start the checkpoint thread: %s", strerror(rc));
    }
    sqlite3_wal_hook(db, on_wal, c); /* replaces the automatic checkpoint's own hook */
    *out = c;
    return 0;
}

void vr__store_ckpt_stop(struct vr__store_ckpt *c, sqlite3 *db)
{
    if (c == NULL)
        return;
    sqlite3_wal_autocheckpoint(db, VR_STORE_CKPT_PAGES); /* removes our hook */
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    sqlite3_close(c->db);
    free(c);
}
