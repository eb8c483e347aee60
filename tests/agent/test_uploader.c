/* uploader.h against a real HTTP server: a python3 http.server on loopback, started by this
 * test, that acts as the collector's ingest endpoint (collector/API.md) and fails on request:
 * records are deleted only when acknowledged, failures back off without deleting, and every
 * record is delivered exactly once by id. System headers come before cmocka.h: with
 * UNIT_TESTING cmocka redefines malloc. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "err.h"
#include "spool.h"
#include "uploader.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* argv: PLAN TOKEN [CERT KEY] (HTTPS when given). PLAN lists the status of each request in turn
 * ("200,500,500"); "200" and every request after the plan acknowledge. Prints "port N", then
 * "stored ID" per new id. */
static const char server_py[] =
    "import sys, json, threading, http.server\n"
    "plan = [p for p in sys.argv[1].split(',') if p]\n"
    "token = sys.argv[2]\n"
    "lock = threading.Lock()\n"
    "state = {'n': 0, 'stored': set()}\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def reply(self, code, obj):\n"
    "        body = json.dumps(obj).encode()\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', 'application/json')\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def do_POST(self):\n"
    "        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))\n"
    "        with lock:\n"
    "            i = state['n']\n"
    "            state['n'] += 1\n"
    "            act = plan[i] if i < len(plan) else '200'\n"
    "            if self.path != '/api/v1/records':\n"
    "                return self.reply(404, {'error': 'no such path ' + self.path})\n"
    "            if self.headers.get('Authorization') != 'Bearer ' + token:\n"
    "                return self.reply(401, {'error': 'missing or unknown token'})\n"
    "            if self.headers.get('Content-Type') != 'application/x-ndjson':\n"
    "                return self.reply(415, {'error': 'expected application/x-ndjson'})\n"
    "            if act != '200':\n"
    "                return self.reply(int(act), {'error': 'injected failure ' + act})\n"
    "            st, dup = [], []\n"
    "            for line in body.decode().splitlines():\n"
    "                rid = json.loads(line)['id']\n"
    "                if rid in state['stored']:\n"
    "                    dup.append(rid)\n"
    "                else:\n"
    "                    state['stored'].add(rid)\n"
    "                    st.append(rid)\n"
    "                    print('stored', rid, flush=True)\n"
    "            self.reply(200, {'stored': st, 'duplicates': dup, 'ignored': 0})\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "if len(sys.argv) > 4:\n"
    "    import ssl\n"
    "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "    ctx.load_cert_chain(sys.argv[3], sys.argv[4])\n"
    "    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "print('port', srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

struct server {
    pid_t pid;
    FILE *out;
    int port;
};

/* The server of the running test, for teardown to end after a failed assertion: a leftover
 * child would hold ctest's output pipe open until the test times out. */
static pid_t live_server;

static void server_start_tls(struct server *s, const char *plan, const char *token,
                             const char *cert, const char *key)
{
    const char *py = getenv("VR_PYTHON3") ? getenv("VR_PYTHON3") : "python3";
    int fds[2];
    char line[64];

    assert_int_equal(pipe(fds), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp(py, py, "-c", server_py, plan, token, cert, key, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    live_server = s->pid;
    s->out = fdopen(fds[0], "r");
    assert_non_null(s->out);
    if (fgets(line, sizeof(line), s->out) == NULL || sscanf(line, "port %d", &s->port) != 1)
        fail_msg("the python3 test server did not start");
}

static void server_start(struct server *s, const char *plan, const char *token)
{
    server_start_tls(s, plan, token, NULL, NULL);
}

/* Stops the server and counts how often each id r0..r<n-1> was stored. */
static void server_stop(struct server *s, unsigned *stored, unsigned n)
{
    char line[128];
    kill(s->pid, SIGTERM);
    live_server = 0;
    while (fgets(line, sizeof(line), s->out) != NULL) {
        unsigned id;
        if (sscanf(line, "stored r%u", &id) == 1 && id < n)
            stored[id]++;
    }
    fclose(s->out);
    waitpid(s->pid, NULL, 0);
}

struct run {
    uv_loop_t loop;
    uv_timer_t guard;
    struct vr_spool *spool;
    struct vr_uploader *u;
    long status[32];
    uint64_t spool_after[32];
    size_t n_done;
    size_t stop_after;      /* close after this many requests (0: when the spool is empty) */
    unsigned next_id;       /* ids appended so far */
    bool append_on_failure; /* append two records after the first failure */
    bool closed, timed_out;
    char last_log[512];
};

static void append_records(struct run *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char line[128], id[16];
        snprintf(id, sizeof(id), "r%u", r->next_id);
        snprintf(line, sizeof(line), "{\"type\":\"interval\",\"id\":\"%s\",\"agent\":\"a\"}", id);
        assert_int_equal(vr_spool_append(r->spool, line, strlen(line), id, NULL), 0);
        r->next_id++;
    }
}

static void on_log(void *arg, const char *line)
{
    struct run *r = arg;
    snprintf(r->last_log, sizeof(r->last_log), "%s", line);
}

static void on_closed(void *arg)
{
    struct run *r = arg;
    r->closed = true;
    r->u = NULL;
    uv_close((uv_handle_t *)&r->guard, NULL);
}

static void on_done(void *arg, long status, size_t acked)
{
    struct run *r = arg;
    (void)acked;
    if (r->n_done < 32) {
        r->status[r->n_done] = status;
        r->spool_after[r->n_done] = vr_spool_count(r->spool);
    }
    r->n_done++;
    if (status != 200 && r->append_on_failure) {
        r->append_on_failure = false;
        append_records(r, 2);
        vr_uploader_kick(r->u); /* must not cut the backoff short */
    }
    if ((r->stop_after != 0 && r->n_done >= r->stop_after) ||
        (r->stop_after == 0 && vr_spool_count(r->spool) == 0))
        vr_uploader_close(r->u, on_closed, r);
}

static void on_guard(uv_timer_t *t)
{
    struct run *r = t->data;
    r->timed_out = true;
    if (r->u != NULL)
        vr_uploader_close(r->u, on_closed, r);
}

struct fixture {
    char dir[64];
    struct run r;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/vr-upl-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    if (live_server > 0) {
        kill(live_server, SIGKILL);
        waitpid(live_server, NULL, 0);
        live_server = 0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Runs the uploader against url until on_done closes it. */
static void run_uploader_tls(struct fixture *f, const char *url, const char *token,
                             const char *ca_file, bool insecure)
{
    struct run *r = &f->r;
    struct vr_uploader_config cfg = {0};
    struct vr_errbuf eb = {{0}};

    cfg.url = url;
    cfg.token = token;
    cfg.ca_file = ca_file;
    cfg.insecure = insecure;
    cfg.batch_records = 4;
    cfg.backoff_min_ms = 50; /* the doubling and the cap are the same code at 1 s and 5 min */
    cfg.backoff_max_ms = 200;
    cfg.connect_timeout_ms = 2000;
    cfg.timeout_ms = 5000;
    cfg.log = on_log;
    cfg.on_done = on_done;
    cfg.arg = r;
    assert_int_equal(uv_loop_init(&r->loop), 0);
    if (vr_uploader_init(&r->loop, r->spool, &cfg, &r->u, &eb) != 0)
        fail_msg("init: %s", eb.msg);
    assert_int_equal(uv_timer_init(&r->loop, &r->guard), 0);
    r->guard.data = r;
    assert_int_equal(uv_timer_start(&r->guard, on_guard, 20000, 0), 0);
    assert_int_equal(vr_uploader_start(r->u), 0);
    assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
    assert_true(r->closed);
    assert_false(r->timed_out);
    assert_int_equal(uv_loop_close(&r->loop), 0);
}

static void run_uploader(struct fixture *f, const char *url, const char *token)
{
    run_uploader_tls(f, url, token, NULL, false);
}

static void reset_run(struct run *r)
{
    struct vr_spool *spool = r->spool;
    unsigned next_id = r->next_id;
    memset(r, 0, sizeof(*r));
    r->spool = spool;
    r->next_id = next_id;
}

/* HTTPS: a self-signed collector is refused unless its certificate is the ca_file (or the
 * insecure flag is set); the refusal keeps the records. */
static void test_uploader_https_ca_file(void **state)
{
    struct fixture *f = *state;
    struct run *r = &f->r;
    struct server srv;
    unsigned stored[16] = {0};
    char cmd[512], cert[128], key[128], url[64];

    snprintf(cert, sizeof(cert), "%s/cert.pem", f->dir);
    snprintf(key, sizeof(key), "%s/key.pem", f->dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0)
        skip(); /* no openssl command: nothing to make a certificate with */
    assert_int_equal(vr_spool_open(f->dir, 0, &r->spool), 0);
    append_records(r, 3);
    server_start_tls(&srv, "", "secret", cert, key);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", srv.port);

    r->stop_after = 1;
    run_uploader_tls(f, url, "secret", NULL, false);
    assert_int_equal(r->status[0], 0);
    assert_non_null(strstr(r->last_log, "certificate"));
    assert_int_equal(vr_spool_count(r->spool), 3);

    reset_run(r);
    run_uploader_tls(f, url, "secret", cert, false);
    assert_int_equal(r->status[0], 200);
    assert_int_equal(vr_spool_count(r->spool), 0);

    append_records(r, 2);
    reset_run(r);
    run_uploader_tls(f, url, "secret", NULL, true);
    assert_int_equal(r->status[0], 200);
    assert_int_equal(vr_spool_count(r->spool), 0);

    server_stop(&srv, stored, 16);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(stored[i], 1);
    vr_spool_free(r->spool);
}

static void test_uploader_delivers_exactly_once_through_failures(void **state)
{
    struct fixture *f = *state;
    struct run *r = &f->r;
    struct server srv;
    unsigned stored[16] = {0};
    char url[64];

    assert_int_equal(vr_spool_open(f->dir, 0, &r->spool), 0);
    append_records(r, 10);
    r->append_on_failure = true;
    server_start(&srv, "200,500,503", "secret");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
    run_uploader(f, url, "secret");
    server_stop(&srv, stored, 16);

    /* batch 1 acked; two failures delete nothing (4 + 2 new = 8 left); then the rest */
    assert_true(r->n_done >= 5);
    assert_int_equal(r->status[0], 200);
    assert_int_equal(r->spool_after[0], 6);
    assert_int_equal(r->status[1], 500);
    assert_int_equal(r->spool_after[1], 6); /* two more are appended after this one */
    assert_int_equal(r->status[2], 503);
    assert_int_equal(r->spool_after[2], 8);
    for (size_t i = 3; i < r->n_done; i++)
        assert_int_equal(r->status[i], 200);
    assert_non_null(strstr(r->last_log, "injected failure 503"));
    assert_non_null(strstr(r->last_log, "stay spooled"));
    assert_int_equal(vr_spool_count(r->spool), 0);
    for (unsigned i = 0; i < r->next_id; i++)
        if (stored[i] != 1)
            fail_msg("r%u stored %u times", i, stored[i]);
    vr_spool_free(r->spool);
}

static void test_uploader_refused_keeps_records(void **state)
{
    struct fixture *f = *state;
    struct run *r = &f->r;
    struct server srv;
    unsigned stored[16] = {0};
    char url[64];

    assert_int_equal(vr_spool_open(f->dir, 0, &r->spool), 0);
    append_records(r, 3);
    server_start(&srv, "", "secret");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    r->stop_after = 2;
    run_uploader(f, url, "wrong");
    server_stop(&srv, stored, 16);

    assert_int_equal(r->status[0], 401);
    assert_int_equal(r->status[1], 401);
    assert_non_null(strstr(r->last_log, "401"));
    assert_non_null(strstr(r->last_log, "missing or unknown token"));
    assert_non_null(strstr(r->last_log, "token"));
    assert_int_equal(vr_spool_count(r->spool), 3);
    vr_spool_free(r->spool);
}

static void test_uploader_network_error_keeps_records(void **state)
{
    struct fixture *f = *state;
    struct run *r = &f->r;
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    char url[64];
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    /* a port nobody listens on: bind, learn it, close */
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));

    assert_int_equal(vr_spool_open(f->dir, 0, &r->spool), 0);
    append_records(r, 2);
    r->stop_after = 3;
    run_uploader(f, url, "secret");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(r->status[i], 0);
    assert_non_null(strstr(r->last_log, "failed"));
    assert_int_equal(vr_spool_count(r->spool), 2);
    vr_spool_free(r->spool);
}

static void test_uploader_init_rejects_bad_config(void **state)
{
    struct vr_uploader_config cfg = {0};
    struct vr_errbuf eb = {{0}};
    struct vr_uploader *u;
    uv_loop_t *loop = uv_default_loop();
    (void)state;

    cfg.url = "ftp://x";
    cfg.token = "t";
    assert_int_equal(vr_uploader_init(loop, NULL, &cfg, &u, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "url"));
    cfg.url = "http://x";
    cfg.token = "a\nb";
    assert_int_equal(vr_uploader_init(loop, NULL, &cfg, &u, &eb), VR_EINVAL);
    assert_non_null(strstr(eb.msg, "token"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uploader_delivers_exactly_once_through_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uploader_refused_keeps_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploader_network_error_keeps_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploader_https_ca_file, setup, teardown),
        cmocka_unit_test(test_uploader_init_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
