#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "parse.h"
#include "timefmt.h"

#define DEFAULT_MAX_CONNECTIONS 512
#define DEFAULT_MAX_PER_IP      64
#define DEFAULT_TIMEOUT_S       10
#define DEFAULT_REQUEST_S       60
#define NO_DEADLINE             UINT64_MAX
/* per-connection pool for the request line and headers: bounds what headers can cost */
#define CONNECTION_MEMORY (32 * 1024)
#define MAX_PEM_BYTES     (1024 * 1024)

/* One per TCP connection, for the request deadline: MHD's own timeout is an inactivity timeout,
 * which a client that sends one header byte every few seconds never trips (slowloris). */
struct conn_watch {
    struct conn_watch *prev, *next;
    int fd;
    uint64_t since_mono_ns; /* waiting for a request since; NO_DEADLINE while answering */
    bool cut;               /* shut down by the watchdog */
};

struct vr_server {
    struct MHD_Daemon *daemon;
    /* the watchdog thread and the MHD thread share the list below under lock */
    pthread_t watchdog;
    bool watchdog_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    struct conn_watch *watches;
    /* guards the store and the metrics: the api takes it around each use of them (ingest bodies
     * are parsed outside it, on every pool thread at once), vr_server_run around its work;
     * apart from s->lock so that the watchdog never waits on a prune */
    pthread_mutex_t api_lock;
    struct vr_pool *pool; /* parses upload bodies for every worker (pool.h says why) */
    uint64_t request_timeout_ns;
    uint64_t cut_count;
    struct vr_api *api;
    struct vr_metrics *metrics;
    size_t max_body;
    uint16_t port;
    bool loopback;
    char *tls_cert_pem;
    char *tls_key_pem;
    /* log flood control: a connection flood makes MHD log one line per refused connection */
    char last_log[256];
    uint64_t last_log_mono_ns;
    uint64_t suppressed;
    /* refused-request log: at most REFUSED_PER_S lines a second (under lock) */
    uint64_t refused_window_s;
    unsigned refused_in_window;
    uint64_t refused_unlogged;
};

#define REFUSED_PER_S 20

/* per request: lives from the first handler call to MHD's completion callback */
struct request {
    uint64_t start_mono_ns;
    char *body;
    size_t len, cap;
    bool too_big;
    const char *method, *path; /* MHD's, valid until the completion callback */
};

static const char *get_arg(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static struct conn_watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

static void set_deadline(struct vr_server *s, struct MHD_Connection *conn, uint64_t since)
{
    struct conn_watch *w = watch_of(conn);
    if (w == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    w->since_mono_ns = since;
    pthread_mutex_unlock(&s->lock);
}

/* The "error" string of a JSON error body, for the log (truncated; escapes left as is). */
static void error_reason(const struct vr_api_response *resp, char *out, size_t cap)
{
    static const char key[] = "\"error\":\"";
    snprintf(out, cap, "%s", "(no reason)");
    if (resp->body == NULL)
        return;
    const char *b = memmem(resp->body, resp->len, key, sizeof(key) - 1);
    if (b == NULL)
        return;
    b += sizeof(key) - 1;
    const char *end = resp->body + resp->len;
    size_t n = 0;
    while (b < end && *b != '"' && n + 1 < cap) {
        if (*b == '\\' && b + 1 < end)
            b++; /* \" -> " */
        out[n++] = *b++;
    }
    out[n] = '\0';
}

/* One line per refused request on stderr (journald): "TIME PEER STATUS METHOD PATH: reason",
 * at most REFUSED_PER_S a second, then one line counting the ones not logged, so that an
 * agent with a bad token shows up without a flood drowning the journal. */
static void log_refused(struct vr_server *s, struct MHD_Connection *conn, const struct request *rq,
                        const struct vr_api_response *resp)
{
    uint64_t now = vr_clock_wall_ns();
    uint64_t sec = now / 1000000000ull;
    uint64_t unlogged = 0;
    bool log = false;
    pthread_mutex_lock(&s->lock);
    if (sec != s->refused_window_s) {
        unlogged = s->refused_unlogged;
        s->refused_unlogged = 0;
        s->refused_window_s = sec;
        s->refused_in_window = 0;
    }
    if (s->refused_in_window < REFUSED_PER_S) {
        s->refused_in_window++;
        log = true;
    } else {
        s->refused_unlogged++;
    }
    pthread_mutex_unlock(&s->lock);
    char ts[40];
    vr_format_rfc3339(now, ts, sizeof(ts));
    if (unlogged > 0)
        fprintf(stderr, "%s %llu more refused requests not logged\n", ts,
                (unsigned long long)unlogged);
    if (!log)
        return;
    char peer[INET6_ADDRSTRLEN + 8] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
                      sizeof(peer));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
                      sizeof(peer));
    }
    char reason[200];
    error_reason(resp, reason, sizeof(reason));
    fprintf(stderr, "%s %s %u %s %s: %s\n", ts, peer, resp->status,
            rq->method != NULL ? rq->method : "-", rq->path != NULL ? rq->path : "-", reason);
}

static enum MHD_Result send_response(struct vr_server *s, struct MHD_Connection *conn,
                                     struct request *rq, struct vr_api_response *resp)
{
    if (resp->status >= 400 && resp->body != NULL)
        log_refused(s, conn, rq, resp);
    set_deadline(s, conn, NO_DEADLINE); /* the client got its request in: now we are slow */
    static const char fallback[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *r;
    if (resp->body != NULL) {
        r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL)
            free(resp->body);
    } else {
        resp->status = 500;
        resp->content_type = "application/json";
        r = MHD_create_response_from_buffer(sizeof(fallback) - 1, (void *)fallback,
                                            MHD_RESPMEM_PERSISTENT);
    }
    resp->body = NULL;
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    pthread_mutex_lock(&s->api_lock);
    if (resp->status >= 400)
        vr_metrics_count_reject(s->metrics, resp->status);
    vr_metrics_observe_request(s->metrics, vr_clock_mono_ns() - rq->start_mono_ns);
    pthread_mutex_unlock(&s->api_lock);
    return ret;
}

static void fill_request(struct MHD_Connection *conn, const char *url, const char *method,
                         struct vr_api_request *req)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = url;
    req->arg = get_arg;
    req->arg_ctx = conn;
    req->authorization =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req->content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
}

static enum MHD_Result too_big(struct vr_server *s, struct MHD_Connection *conn, struct request *rq)
{
    struct vr_api_response resp = {0};
    char msg[128];
    snprintf(msg, sizeof(msg), "body over %zu bytes: send smaller batches", s->max_body);
    (void)vr_api_error(&resp, 413, msg);
    return send_response(s, conn, rq, &resp);
}

/* Appends a chunk of the body, bounded by max_body; past it the rest is read and dropped. */
static void accumulate(struct vr_server *s, struct request *rq, const char *data, size_t n)
{
    if (rq->too_big)
        return;
    if (n > s->max_body - rq->len) {
        rq->too_big = true;
        free(rq->body);
        rq->body = NULL;
        rq->len = rq->cap = 0;
        return;
    }
    if (rq->len + n > rq->cap) {
        size_t cap = rq->cap == 0 ? 16384 : rq->cap;
        while (cap < rq->len + n)
            cap = cap > s->max_body / 2 ? s->max_body : cap * 2;
        char *p = realloc(rq->body, cap);
        if (p == NULL) {
            rq->too_big = true; /* answered 413: the client may retry with less */
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return;
        }
        rq->body = p;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct vr_server *s = cls;
    struct request *rq = *con_cls;
    struct vr_api_request req;
    struct vr_api_response resp = {0};
    (void)version;

    if (rq == NULL) {
        rq = calloc(1, sizeof(*rq));
        if (rq == NULL)
            return MHD_NO;
        rq->start_mono_ns = vr_clock_mono_ns();
        rq->method = method;
        rq->path = url;
        *con_cls = rq;
        fill_request(conn, url, method, &req);
        /* refuse what can be refused from the headers alone, before reading any body */
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        bool refused = vr_api_precheck(s->api, &req, &resp);
        if (refused)
            return send_response(s, conn, rq, &resp);
        if (cl != NULL) {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno != 0 || end == cl || v > s->max_body)
                return too_big(s, conn, rq);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        accumulate(s, rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return too_big(s, conn, rq);
    fill_request(conn, url, method, &req);
    req.body = rq->body;
    req.body_len = rq->len;
    int hrc = vr_api_handle(s->api, &req, vr_clock_wall_ns(), &resp);
    if (hrc < 0) {
        free(resp.body);
        resp.body = NULL;
    }
    return send_response(s, conn, rq, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    /* keep-alive: the next request has its own deadline */
    set_deadline(cls, conn, vr_clock_mono_ns());
    struct request *rq = *con_cls;
    if (rq == NULL)
        return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct vr_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn_watch *w = calloc(1, sizeof(*w));
        if (w == NULL || ci == NULL) {
            free(w); /* unwatched: MHD's inactivity timeout still applies */
            return;
        }
        w->fd = ci->connect_fd;
        w->since_mono_ns = vr_clock_mono_ns();
        pthread_mutex_lock(&s->lock);
        w->next = s->watches;
        if (s->watches != NULL)
            s->watches->prev = w;
        s->watches = w;
        pthread_mutex_unlock(&s->lock);
        *socket_context = w;
        return;
    }
    struct conn_watch *w = *socket_context;
    if (w == NULL)
        return;
    /* MHD closes the socket after this returns: once unlinked, the watchdog cannot touch it */
    pthread_mutex_lock(&s->lock);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        s->watches = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&s->lock);
    free(w);
    *socket_context = NULL;
}

/* Twice a second, shuts down connections whose request has taken longer than the request
 * timeout to arrive; MHD then sees the end of the stream and closes them on its thread. */
static void *watchdog_main(void *arg)
{
    struct vr_server *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 500000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&s->cond, &s->lock, &until);
        uint64_t now = vr_clock_mono_ns();
        for (struct conn_watch *w = s->watches; w != NULL; w = w->next) {
            if (w->cut || w->since_mono_ns == NO_DEADLINE || now < w->since_mono_ns ||
                now - w->since_mono_ns < s->request_timeout_ns)
                continue;
            (void)shutdown(w->fd, SHUT_RDWR);
            w->cut = true;
            s->cut_count++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Repeats of the same message within 10 s are counted, not printed, so that a connection
 * flood cannot fill the disk through the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct vr_server *s = cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    uint64_t now = vr_clock_mono_ns();
    pthread_mutex_lock(&s->lock);
    if (strcmp(msg, s->last_log) == 0 && now - s->last_log_mono_ns < 10000000000ull) {
        s->suppressed++;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (s->suppressed > 0)
        fprintf(stderr, "voiceready-collector: http: (last message repeated %llu times)\n",
                (unsigned long long)s->suppressed);
    s->suppressed = 0;
    s->last_log_mono_ns = now;
    snprintf(s->last_log, sizeof(s->last_log), "%s", msg);
    fprintf(stderr, "voiceready-collector: http: %s", msg);
    pthread_mutex_unlock(&s->lock);
}

static int read_pem(const char *path, const char *what, char **out, struct vr_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int err = errno;
        return vr_errbuf_set(eb, -err, "%s %s: %s", what, path, strerror(err));
    }
    char *p = malloc(MAX_PEM_BYTES + 1);
    if (p == NULL) {
        fclose(f);
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    }
    size_t n = fread(p, 1, MAX_PEM_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n == 0 || n > MAX_PEM_BYTES) {
        free(p);
        return vr_errbuf_set(eb, VR_EINVAL, "%s %s: expected a PEM file under 1 MiB", what, path);
    }
    p[n] = '\0';
    *out = p;
    return 0;
}

/* Binds the listening socket here rather than in MHD, so that a port in use or a bad address
 * gets an exact message. */
static int open_listener(const char *listen_s, int *fd_out, bool *loopback, uint16_t *port_out,
                         struct vr_errbuf *eb)
{
    char host[128];
    uint16_t port = 0;
    int rc = vr_parse_hostport(listen_s, 8080, host, sizeof(host), &port, eb);
    if (rc < 0)
        return rc;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        sl = sizeof(*s4);
        *loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        sl = sizeof(*s6);
        *loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    } else {
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--listen \"%s\": expected a numeric address and port, e.g. "
                             "127.0.0.1:8080 or [::]:8080",
                             listen_s);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        return vr_errbuf_set(eb, -err, "socket: %s", strerror(err));
    }
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 511) < 0) {
        int err = errno;
        close(fd);
        return vr_errbuf_set(eb, -err, "--listen %s: %s%s", listen_s, strerror(err),
                             err == EADDRINUSE ? " (another process uses it: pick another port)"
                                               : "");
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
    *fd_out = fd;
    *port_out = port;
    return 0;
}

int vr_server_check_listen(const char *listen_s, struct vr_errbuf *eb)
{
    int fd = -1;
    bool loopback = false;
    uint16_t port = 0;
    int rc = open_listener(listen_s, &fd, &loopback, &port, eb);
    if (rc < 0)
        return rc;
    close(fd);
    return 0;
}

int vr_server_start(const struct vr_server_options *opt, struct vr_api *api,
                    struct vr_metrics *metrics, struct vr_server **out, struct vr_errbuf *eb)
{
    int rc;
    int fd = -1;
    bool tls = opt->tls_cert != NULL || opt->tls_key != NULL;
    if (tls && (opt->tls_cert == NULL || opt->tls_key == NULL))
        return vr_errbuf_set(eb, VR_EINVAL, "--tls-cert and --tls-key go together: give both");
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "this libmicrohttpd has no TLS (built without GnuTLS): serve plain "
                             "HTTP behind a TLS proxy, or install a GnuTLS-enabled build");
    struct vr_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    s->api = api;
    s->metrics = metrics;
    s->max_body = opt->max_body;
    s->request_timeout_ns =
        (uint64_t)(opt->request_timeout_s ? opt->request_timeout_s : DEFAULT_REQUEST_S) *
        1000000000ull;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->api_lock, NULL);
    vr_api_set_lock(api, &s->api_lock);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (tls) {
        if ((rc = read_pem(opt->tls_cert, "--tls-cert", &s->tls_cert_pem, eb)) < 0 ||
            (rc = read_pem(opt->tls_key, "--tls-key", &s->tls_key_pem, eb)) < 0)
            goto fail;
    }
    if ((rc = open_listener(opt->listen, &fd, &s->loopback, &s->port, eb)) < 0)
        goto fail;

    /* poll(), not epoll: with MHD 0.9.75's epoll mode the daemon sometimes stayed deaf to new
     * connections for seconds after a flood had filled the connection limit and left
     * (tests/collector-it connection_limit); poll over at most max_connections fds is cheap. */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (tls)
        flags |= MHD_USE_TLS;
    unsigned max_conn = opt->max_connections ? opt->max_connections : DEFAULT_MAX_CONNECTIONS;
    unsigned per_ip = opt->max_per_ip ? opt->max_per_ip : DEFAULT_MAX_PER_IP;
    unsigned timeout = opt->timeout_s ? opt->timeout_s : DEFAULT_TIMEOUT_S;
    /* worker threads parse uploads in parallel while the store lock serialises the writes;
     * two per core, because MHD binds each connection to one worker for its lifetime, and with
     * one per core two busy agents on the same worker leave a core idle */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = opt->threads;
    if (threads == 0)
        threads = cores < 1 ? 2 : cores > 8 ? 16 : (unsigned)(2 * cores);
    if ((rc = vr_pool_new(cores < 1 ? 1 : cores > 16 ? 16 : (unsigned)cores, &s->pool, eb)) < 0)
        goto fail;
    vr_api_set_pool(s->api, s->pool);
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_ARRAY, tls ? tls_opts : no_opts,
        MHD_OPTION_END);
    if (s->daemon == NULL) {
        rc = vr_errbuf_set(eb, VR_EINVAL,
                           "--listen %s: the HTTP server did not "
                           "start%s (see the message above)",
                           opt->listen,
                           tls ? " (check that the TLS key matches "
                                 "the certificate)"
                               : "");
        goto fail;
    }
    fd = -1; /* the daemon owns it now */
    rc = pthread_create(&s->watchdog, NULL, watchdog_main, s);
    if (rc != 0) {
        rc = vr_errbuf_set(eb, -rc, "cannot start the watchdog thread: %s", strerror(rc));
        goto fail;
    }
    s->watchdog_started = true;
    *out = s;
    return 0;
fail:
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    if (fd >= 0)
        close(fd);
    vr_api_set_pool(s->api, NULL);
    vr_pool_free(s->pool);
    pthread_cond_destroy(&s->cond);
    vr_api_set_lock(s->api, NULL);
    pthread_mutex_destroy(&s->api_lock);
    pthread_mutex_destroy(&s->lock);
    free(s->tls_key_pem);
    free(s->tls_cert_pem);
    free(s);
    return rc;
}

uint16_t vr_server_port(const struct vr_server *s)
{
    return s->port;
}

int vr_server_is_loopback(const struct vr_server *s)
{
    return s->loopback;
}

int vr_server_run(struct vr_server *s, vr_server_work_cb fn, void *arg)
{
    pthread_mutex_lock(&s->api_lock);
    int rc = fn(arg);
    pthread_mutex_unlock(&s->api_lock);
    return rc;
}

void vr_server_stop(struct vr_server *s)
{
    if (s == NULL)
        return;
    if (s->watchdog_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->watchdog, NULL);
    }
    /* MHD_stop_daemon closes the listen socket it was given too */
    MHD_stop_daemon(s->daemon);
    vr_api_set_pool(s->api, NULL);
    vr_pool_free(s->pool);
    pthread_cond_destroy(&s->cond);
    vr_api_set_lock(s->api, NULL);
    pthread_mutex_destroy(&s->api_lock);
    pthread_mutex_destroy(&s->lock);
    free(s->tls_key_pem);
    free(s->tls_cert_pem);
    free(s);
}
