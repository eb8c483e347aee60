/* uploader: curl multi on the libuv loop, POSTing spool batches; see uploader.h. */
#include "uploader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "curlfn.h"
#include "quarantine.h"
#include "rec_ack.h"
#include <curl/curl.h>
#include <jansson.h>

#define RESP_MAX        (4u * 1024u * 1024u) /* a reply acknowledging a full batch is ~100 KB */
#define DEFAULT_RECORDS 1000u
#define DEFAULT_BYTES   (1024u * 1024u)

/* One per socket curl asks us to watch; freed in the uv_close callback. */
struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct vr_uploader *u;
    struct sock *next;
};

struct vr_uploader {
    struct vr_curlfn curl; /* libcurl, loaded by vr_uploader_init (curlfn.h says why) */
    uv_loop_t *loop;
    struct vr_spool *spool; /* borrowed */
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    char *endpoint, *auth, *ca_file;
    bool insecure;
    size_t batch_records, batch_bytes;
    uint64_t backoff_min_ms, backoff_max_ms;
    long connect_timeout_ms, timeout_ms;
    vr_uploader_log_cb log;
    vr_uploader_done_cb on_done;
    vr_uploader_status_cb status;
    char *spool_dir;
    void *arg;

    uv_timer_t curl_timer;  /* CURLMOPT_TIMERFUNCTION */
    uv_timer_t retry_timer; /* next request: now, or after a backoff */
    struct sock *socks;

    bool started, stopped, closing, in_flight, waiting;
    struct vr_spool_batch batch;
    char *body; /* the status line, then batch.body */
    size_t body_len;
    size_t first_line; /* the body line of the batch's first record: 2 after a status line */
    char *resp;
    size_t resp_len, resp_cap;
    bool resp_overflow;
    char curl_err[CURL_ERROR_SIZE];
    uint64_t rng; /* xorshift64 for jitter; per object, seeded from time and pid */
    struct vr_uploader_stats stats;

    int open_handles; /* handles not yet through their close callback */
    vr_uploader_close_cb close_cb;
    void *close_arg;
};

static void logf_(struct vr_uploader *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(struct vr_uploader *u, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (u->log != NULL)
        u->log(u->arg, line);
    else
        fprintf(stderr, "voiceready-agent: %s\n", line);
}

static uint64_t next_rand(struct vr_uploader *u)
{
    u->rng ^= u->rng << 13;
    u->rng ^= u->rng >> 7;
    u->rng ^= u->rng << 17;
    return u->rng;
}

static void on_retry(uv_timer_t *t);
static void check_done(struct vr_uploader *u);
static void free_body(struct vr_uploader *u);

static void maybe_free(struct vr_uploader *u)
{
    vr_uploader_close_cb cb;
    void *arg;
    if (!u->closing || u->open_handles > 0)
        return;
    cb = u->close_cb;
    arg = u->close_arg;
    free_body(u);
    u->curl.slist_free_all(u->headers);
    free(u->resp);
    free(u->endpoint);
    free(u->auth);
    free(u->ca_file);
    free(u->spool_dir);
    void (*global_cleanup)(void) = u->curl.global_cleanup;
    free(u);
    global_cleanup();
    if (cb != NULL)
        cb(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct vr_uploader *u = h->data;
    u->open_handles--;
    maybe_free(u);
}

static void on_sock_closed(uv_handle_t *h)
{
    struct sock *s = h->data;
    struct vr_uploader *u = s->u;
    free(s);
    u->open_handles--;
    maybe_free(u);
}

static void sock_close(struct vr_uploader *u, struct sock *s)
{
    struct sock **pp = &u->socks;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    /* stop before curl closes the fd: epoll must not keep watching a number that gets reused */
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock *s = p->data;
    struct vr_uploader *u = s->u;
    int flags = 0, running;
    if (status < 0) {
        /* let curl read the socket and name what happened (a peer that closed, a reset)
         * rather than a bare "select/poll returned error" */
        flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    u->curl.multi_socket_action(u->multi, s->fd, flags, &running);
    check_done(u);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct vr_uploader *u = userp;
    struct sock *s = socketp;
    int events = 0;
    (void)easy;

    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            u->curl.multi_assign(u->multi, fd, NULL);
            sock_close(u, s);
        }
        return 0;
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL)
            return -1; /* curl fails the transfer; the batch is retried */
        if (uv_poll_init_socket(u->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->u = u;
        s->poll.data = s;
        s->next = u->socks;
        u->socks = s;
        u->open_handles++;
        u->curl.multi_assign(u->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
    struct vr_uploader *u = t->data;
    int running;
    u->curl.multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(u);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct vr_uploader *u = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&u->curl_timer);
    else /* 0 fires on the next loop turn: curl forbids socket_action from inside this callback */
        uv_timer_start(&u->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct vr_uploader *u = userp;
    size_t n = size * nmemb;
    if (u->resp_len + n + 1 > RESP_MAX) {
        u->resp_overflow = true; /* keep reading to finish the request, keep nothing */
        return n;
    }
    if (u->resp_len + n + 1 > u->resp_cap) {
        size_t cap = u->resp_cap ? u->resp_cap : 4096;
        while (cap < u->resp_len + n + 1)
            cap *= 2;
        char *r = realloc(u->resp, cap);
        if (r == NULL)
            return 0; /* curl reports a write error: the batch is retried */
        u->resp = r;
        u->resp_cap = cap;
    }
    memcpy(u->resp + u->resp_len, data, n);
    u->resp_len += n;
    u->resp[u->resp_len] = '\0';
    return n;
}

/* Arms the next request after delay_ms (0: the next loop turn; never from inside curl). */
static void schedule(struct vr_uploader *u, uint64_t delay_ms)
{
    if (u->stopped)
        return;
    u->waiting = true;
    uv_timer_start(&u->retry_timer, on_retry, delay_ms, 0);
}

/* Exponential backoff with "equal jitter": half the doubled delay plus a random half, so agents
 * of many sites that lost the collector together do not come back in lockstep. */
static uint64_t backoff(struct vr_uploader *u)
{
    uint64_t base = u->backoff_min_ms;
    unsigned k = u->stats.failures_in_row;
    for (unsigned i = 1; i < k && base < u->backoff_max_ms; i++)
        base *= 2;
    if (base > u->backoff_max_ms)
        base = u->backoff_max_ms;
    base = base / 2 + next_rand(u) % (base / 2 + 1);
    u->stats.backoff_ms = base;
    schedule(u, base);
    return base;
}

/* The collector's {"error": "..."} if there is one, for the log line (rec_ack.h). */
static void reply_error(const struct vr_uploader *u, char *buf, size_t len)
{
    json_t *j = u->resp != NULL && !u->resp_overflow ? json_loads(u->resp, 0, NULL) : NULL;
    vr_rec_error_from_json(j, buf, len);
    if (buf[0] == '\0')
        snprintf(buf, len, "no error message in the reply");
    json_decref(j);
}

/* The k-th record line (0-based) of the batch body: *len bytes without the newline. */
static const char *batch_line(const struct vr_spool_batch *b, size_t k, size_t *len)
{
    const char *p = b->body, *end = b->body + b->body_len;
    for (size_t i = 0; i < k && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = (size_t)((nl != NULL ? nl : end) - p);
    return p;
}

/* One line the collector rejected: its record goes to the quarantine and leaves the spool, so
 * it never blocks the records behind it. Returns 1 when a record left the spool. */
static size_t quarantine_line(struct vr_uploader *u, const struct vr_rec_reject *r)
{
    if (r->line < u->first_line || r->line - u->first_line >= u->batch.n) {
        logf_(u, "collector refused line %zu of the upload (the agent status): %s%s%s", r->line,
              r->field[0] ? r->field : "", r->field[0] ? ": " : "", r->error);
        return 0;
    }
    size_t k = r->line - u->first_line, len;
    const char *id = u->batch.ids[k];
    const char *line = batch_line(&u->batch, k, &len);
    uint64_t count = 0, dropped = 0;
    int rc = u->spool_dir != NULL
                 ? vr_quarantine_add(u->spool_dir, vr_clock_wall_ns(), id, r->field, r->error, line,
                                     len, &count, &dropped)
                 : VR_EINVAL;
    if (rc != 0) {
        logf_(u,
              "collector refused record %s (%s%s%s) and the quarantine cannot keep it (%s): "
              "it stays spooled",
              id, r->field[0] ? r->field : "", r->field[0] ? ": " : "", r->error, vr_strerror(rc));
        return 0;
    }
    u->stats.quarantined = count;
    const char *ids[1] = {id};
    size_t acked = 0;
    if (vr_spool_ack(u->spool, ids, 1, &acked) != 0)
        acked = 0; /* sent again and quarantined again: the quarantine keeps both */
    logf_(u,
          "collector refused record %s: %s%s%s; kept in quarantine (%" PRIu64
          " held); see 'voiceready-agent spool list'",
          id, r->field[0] ? r->field : "", r->field[0] ? ": " : "", r->error, count);
    if (dropped > 0)
        logf_(u, "quarantine full: dropped its %" PRIu64 " oldest records", dropped);
    return acked;
}

/* Acknowledges the ids of a 200 reply (rec_ack.h). Returns how many records were acked, or -1
 * when the reply is not the documented JSON. */
static long ack_reply(struct vr_uploader *u)
{
    struct vr_rec_ack ack;
    size_t acked = 0;
    if (u->resp == NULL || u->resp_overflow)
        return -1;
    json_t *j = json_loads(u->resp, 0, NULL);
    if (vr_rec_ack_from_json(j, &ack, NULL) != 0) {
        json_decref(j);
        return -1;
    }
    size_t n = ack.n_stored + ack.n_duplicates;
    int rc = vr_spool_ack(u->spool, ack.ids, n, &acked);
    if (rc != 0)
        logf_(u, "spool: cannot record %zu acknowledgements (%s); they will be sent again", n,
              vr_strerror(rc));
    for (size_t i = 0; rc == 0 && i < ack.n_rejected; i++)
        acked += quarantine_line(u, &ack.rejected[i]);
    vr_rec_ack_free(&ack);
    json_decref(j);
    return rc != 0 ? 0 : (long)acked;
}

static void free_body(struct vr_uploader *u)
{
    vr_spool_batch_free(&u->batch);
    free(u->body);
    u->body = NULL;
    u->body_len = 0;
}

static void finish(struct vr_uploader *u, CURLcode res)
{
    long status = 0, acked = 0;
    size_t n = u->batch.n;
    char msg[256];

    u->in_flight = false;
    if (res == CURLE_OK)
        u->curl.easy_getinfo(u->easy, CURLINFO_RESPONSE_CODE, &status);
    u->stats.requests++;
    u->stats.last_status = status;

    if (res != CURLE_OK) {
        const char *why = u->curl_err[0] ? u->curl_err : u->curl.easy_strerror(res);
        u->stats.failures++;
        u->stats.failures_in_row++;
        uint64_t ms = backoff(u);
        logf_(u, "upload to %s failed: %s; %" PRIu64 " records stay spooled, next try in %.1f s",
              u->endpoint, why, vr_spool_count(u->spool), (double)ms / 1000.0);
    } else if (status == 200 && (acked = ack_reply(u)) > 0) {
        u->stats.acked += (uint64_t)acked;
        u->stats.failures_in_row = 0;
        u->stats.backoff_ms = 0;
        schedule(u, 0); /* more may be waiting; an empty spool makes the uploader idle */
    } else {
        u->stats.failures++;
        u->stats.failures_in_row++;
        if (status == 200)
            snprintf(msg, sizeof(msg), "the reply acknowledged none of the %zu records sent", n);
        else
            reply_error(u, msg, sizeof(msg));
        if (status == 413 && u->batch_records > 1) {
            /* the collector's body limit is smaller than our batch: send less at once */
            u->batch_records = (n > 1 ? n : 2) / 2;
            u->batch_bytes /= 2;
        }
        uint64_t ms = backoff(u);
        logf_(u,
              "collector answered %ld to POST %s: %s; %" PRIu64
              " records stay spooled, next try in %.1f s%s",
              status, u->endpoint, msg, vr_spool_count(u->spool), (double)ms / 1000.0,
              status == 401 || status == 403
                  ? " (check [collector] token and [agent] site; a new token: "
                    "'voiceready-collector token add --config /etc/voiceready/collector.conf "
                    "--site SITE' on the collector)"
                  : "");
    }
    free_body(u);
    if (u->on_done != NULL)
        u->on_done(u->arg, status, acked > 0 ? (size_t)acked : 0);
}

static void check_done(struct vr_uploader *u)
{
    CURLMsg *m;
    int left;
    /* on_done may close the uploader, which ends the multi handle: check it each turn */
    while (u->multi != NULL && (m = u->curl.multi_info_read(u->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE || m->easy_handle != u->easy)
            continue;
        CURLcode res = m->data.result; /* m is invalid after remove_handle */
        u->curl.multi_remove_handle(u->multi, u->easy);
        finish(u, res);
    }
}

/* The status line and the batch in one body. 0 or VR_ENOMEM. */
static int make_body(struct vr_uploader *u)
{
    char *line = NULL;
    size_t len = 0;
    if (u->status != NULL) {
        struct vr_agent_status st;
        memset(&st, 0, sizeof(st));
        u->status(u->arg, &st);
        st.time_wall_ns = vr_clock_wall_ns();
        st.spool_records = vr_spool_count(u->spool);
        st.quarantined = u->stats.quarantined;
        json_t *j = vr_agent_status_to_json(&st);
        line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (line == NULL)
            return VR_ENOMEM;
        len = strlen(line);
    }
    u->body = malloc(len + 1 + u->batch.body_len + 1);
    if (u->body == NULL) {
        free(line);
        return VR_ENOMEM;
    }
    if (line != NULL) {
        memcpy(u->body, line, len);
        u->body[len++] = '\n';
    }
    memcpy(u->body + len, u->batch.body, u->batch.body_len);
    u->body_len = len + u->batch.body_len;
    u->body[u->body_len] = '\0';
    u->first_line = line != NULL ? 2 : 1;
    free(line);
    return 0;
}

static int send_batch(struct vr_uploader *u)
{
    CURLMcode mc;
    size_t moved = 0;
    int rq = u->spool_dir != NULL ? vr_requeue_take(u->spool_dir, u->spool, &moved) : 0;
    if (rq != 0)
        logf_(u, "spool: cannot take back the records of 'spool retry' (%s)", vr_strerror(rq));
    else if (moved > 0)
        logf_(u, "spool: %zu records from the quarantine are back in the spool ('spool retry')",
              moved);
    int n = vr_spool_peek(u->spool, u->batch_records, u->batch_bytes, &u->batch);
    if (n <= 0)
        return n;
    if (make_body(u) != 0) {
        free_body(u);
        return VR_ENOMEM;
    }
    u->resp_len = 0;
    u->resp_overflow = false;
    u->curl_err[0] = '\0';
    u->curl.easy_setopt(u->easy, CURLOPT_POSTFIELDS, u->body);
    u->curl.easy_setopt(u->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->body_len);
    mc = u->curl.multi_add_handle(u->multi, u->easy);
    if (mc != CURLM_OK) {
        free_body(u);
        logf_(u, "cannot start an upload: %s", u->curl.multi_strerror(mc));
        return VR_ENOMEM;
    }
    u->in_flight = true;
    return n;
}

static void on_retry(uv_timer_t *t)
{
    struct vr_uploader *u = t->data;
    int rc;

    u->waiting = false;
    if (u->stopped || u->in_flight)
        return;
    rc = send_batch(u);
    if (rc < 0) {
        u->stats.failures_in_row++;
        uint64_t ms = backoff(u);
        if (rc != VR_ENOMEM)
            logf_(u, "spool: cannot read records (%s); next try in %.1f s", vr_strerror(rc),
                  (double)ms / 1000.0);
    }
    /* rc == 0: nothing to send; vr_uploader_kick() wakes us */
}

static char *dup_str(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int setup_easy(struct vr_uploader *u, struct vr_errbuf *eb)
{
    CURL *e = u->easy;
    CURLcode c = CURLE_OK;

#define SET(opt, val)                             \
    do {                                          \
        if (c == CURLE_OK)                        \
            c = u->curl.easy_setopt(e, opt, val); \
    } while (0)
    SET(CURLOPT_URL, u->endpoint);
    SET(CURLOPT_HTTPHEADER, u->headers);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, u);
    SET(CURLOPT_ERRORBUFFER, u->curl_err);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, u->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, u->timeout_ms);
    /* records are the agent's own data; never follow a redirect with the token */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    if (u->ca_file != NULL)
        SET(CURLOPT_CAINFO, u->ca_file);
    if (u->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
#undef SET
    if (c != CURLE_OK)
        return vr_errbuf_set(eb, VR_EINVAL, "collector url \"%s\": %s", u->endpoint,
                             u->curl.easy_strerror(c));
    return 0;
}

int vr_uploader_init(uv_loop_t *loop, struct vr_spool *spool, const struct vr_uploader_config *cfg,
                     struct vr_uploader **out, struct vr_errbuf *eb)
{
    struct vr_uploader *u;
    size_t len;
    int rc = VR_ENOMEM;

    *out = NULL;
    if (cfg->url == NULL || (strncmp(cfg->url, "http://", 7) && strncmp(cfg->url, "https://", 8)))
        return vr_errbuf_set(eb, VR_EINVAL, "collector url: expected http(s)://HOST[:PORT]");
    if (cfg->token == NULL || cfg->token[0] == '\0' || strpbrk(cfg->token, "\r\n") != NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "collector token: missing or not one line");
    struct vr_curlfn curl;
    if ((rc = vr_curlfn_load(&curl, eb)) < 0)
        return rc;
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return vr_errbuf_set(eb, VR_ENOMEM, "libcurl cannot initialise");
    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        curl.global_cleanup();
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    }
    u->curl = curl;
    u->loop = loop;
    u->spool = spool;
    u->insecure = cfg->insecure;
    u->batch_records = cfg->batch_records ? cfg->batch_records : DEFAULT_RECORDS;
    u->batch_bytes = cfg->batch_bytes ? cfg->batch_bytes : DEFAULT_BYTES;
    u->backoff_min_ms = cfg->backoff_min_ms ? cfg->backoff_min_ms : 1000;
    u->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms : 300000;
    if (u->backoff_max_ms < u->backoff_min_ms)
        u->backoff_max_ms = u->backoff_min_ms;
    u->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000;
    u->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 60000;
    u->log = cfg->log;
    u->on_done = cfg->on_done;
    u->status = cfg->status;
    u->arg = cfg->arg;
    if (cfg->spool_dir != NULL && cfg->spool_dir[0] != '\0') {
        if ((u->spool_dir = dup_str(cfg->spool_dir)) == NULL)
            goto fail_mem;
        (void)vr_quarantine_count(u->spool_dir, &u->stats.quarantined);
    }
    u->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)u;
    if (u->rng == 0)
        u->rng = 1;

    len = strlen(cfg->url);
    while (len > 0 && cfg->url[len - 1] == '/')
        len--;
    u->endpoint = malloc(len + sizeof("/api/v1/records"));
    u->auth = malloc(strlen(cfg->token) + sizeof("Authorization: Bearer "));
    if (u->endpoint == NULL || u->auth == NULL)
        goto fail_mem;
    snprintf(u->endpoint, len + sizeof("/api/v1/records"), "%.*s/api/v1/records", (int)len,
             cfg->url);
    snprintf(u->auth, strlen(cfg->token) + sizeof("Authorization: Bearer "),
             "Authorization: Bearer %s", cfg->token);
    if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0' &&
        (u->ca_file = dup_str(cfg->ca_file)) == NULL)
        goto fail_mem;
    {
        /* "Expect:" off: the 100-continue round trip only delays small batches */
        const char *hdrs[] = {u->auth, "Content-Type: application/x-ndjson", "Expect:"};
        for (size_t i = 0; i < 3; i++) {
            struct curl_slist *l = u->curl.slist_append(u->headers, hdrs[i]);
            if (l == NULL)
                goto fail_mem;
            u->headers = l;
        }
    }
    u->multi = u->curl.multi_init();
    u->easy = u->curl.easy_init();
    if (u->multi == NULL || u->easy == NULL)
        goto fail_mem;
    rc = setup_easy(u, eb);
    if (rc != 0)
        goto fail;
    u->curl.multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    u->curl.multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
    u->curl.multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    u->curl.multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);

    rc = uv_timer_init(loop, &u->curl_timer);
    if (rc != 0) {
        vr_errbuf_set(eb, rc, "uploader timer: %s", uv_strerror(rc));
        goto fail;
    }
    rc = uv_timer_init(loop, &u->retry_timer);
    if (rc != 0) {
        /* the first timer is a live handle now: only the close path may free u */
        vr_errbuf_set(eb, rc, "uploader timer: %s", uv_strerror(rc));
        u->curl_timer.data = u;
        u->open_handles = 1;
        vr_uploader_close(u, NULL, NULL);
        return rc;
    }
    u->curl_timer.data = u;
    u->retry_timer.data = u;
    u->open_handles = 2;
    *out = u;
    return 0;

fail_mem:
    rc = vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
fail:
    if (u->easy != NULL)
        u->curl.easy_cleanup(u->easy);
    if (u->multi != NULL)
        u->curl.multi_cleanup(u->multi);
    u->curl.slist_free_all(u->headers);
    free(u->ca_file);
    free(u->spool_dir);
    free(u->auth);
    free(u->endpoint);
    free(u);
    curl.global_cleanup();
    return rc;
}

int vr_uploader_start(struct vr_uploader *u)
{
    u->started = true;
    u->stopped = false;
    if (!u->in_flight && !u->waiting)
        schedule(u, 0);
    return 0;
}

void vr_uploader_kick(struct vr_uploader *u)
{
    if (u->started && !u->stopped && !u->in_flight && !u->waiting)
        schedule(u, 0);
}

void vr_uploader_flush(struct vr_uploader *u)
{
    /* a planned stop: after a long outage the backoff may be minutes, but the agent has only
     * seconds left; one immediate try costs a struggling collector one request */
    if (!u->started || u->stopped || u->in_flight)
        return;
    uv_timer_stop(&u->retry_timer);
    u->waiting = false;
    schedule(u, 0);
}

void vr_uploader_stop(struct vr_uploader *u)
{
    u->stopped = true;
    u->waiting = false;
    if (u->retry_timer.data != NULL)
        uv_timer_stop(&u->retry_timer);
    if (u->in_flight) {
        u->curl.multi_remove_handle(u->multi, u->easy);
        u->in_flight = false;
        free_body(u);
    }
}

void vr_uploader_close(struct vr_uploader *u, vr_uploader_close_cb cb, void *arg)
{
    vr_uploader_stop(u);
    u->closing = true;
    u->close_cb = cb;
    u->close_arg = arg;
    /* curl tells on_socket to remove each socket it closes during cleanup */
    if (u->easy != NULL)
        u->curl.easy_cleanup(u->easy);
    if (u->multi != NULL)
        u->curl.multi_cleanup(u->multi);
    u->easy = NULL;
    u->multi = NULL;
    while (u->socks != NULL)
        sock_close(u, u->socks);
    if (u->curl_timer.data != NULL)
        uv_close((uv_handle_t *)&u->curl_timer, on_handle_closed);
    if (u->retry_timer.data != NULL)
        uv_close((uv_handle_t *)&u->retry_timer, on_handle_closed);
    maybe_free(u);
}

void vr_uploader_get_stats(const struct vr_uploader *u, struct vr_uploader_stats *out)
{
    *out = u->stats;
}
