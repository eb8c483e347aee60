/* cmd_serve: `voiceready-collector serve`: options, the store, the API and the HTTP server
 * until SIGINT/SIGTERM, and an hourly prune meanwhile. Owns the process's signal mask (the stop
 * signals are blocked before the server thread starts). Exit status 0, or 2 for a usage or
 * runtime error. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "cmdtab.h"
#include "cmdutil.h"
#include "commands.h"
#include "config.h"
#include "metrics.h"
#include "parse.h"
#include "server.h"
#include "store.h"

#define EXIT_USAGE VR_CMD_EXIT_USAGE
/* raw records pass out of retention all the time: a collector that runs for months must not keep
 * them until its next restart */
#define PRUNE_EVERY_S 3600

struct prune_job {
    struct vr_store *store;
    struct vr_errbuf eb;
};

/* Runs under the server's api lock (vr_server_run): the store is not thread-safe. */
static int prune_locked(void *arg)
{
    struct prune_job *j = arg;
    return vr_store_prune(j->store, vr_clock_wall_ns(), &j->eb);
}

struct totals_job {
    struct vr_metrics *metrics;
    struct vr_metrics_totals t;
};

static int totals_locked(void *arg)
{
    struct totals_job *j = arg;
    vr_metrics_totals(j->metrics, &j->t);
    return 0;
}

/* The once-a-minute ingest summary: one line when anything happened since the last one. */
static void log_summary(const char *prog, struct vr_server *srv, struct vr_metrics *metrics,
                        struct vr_metrics_totals *last, unsigned every_s)
{
    struct totals_job j = {.metrics = metrics};
    if (vr_server_run(srv, totals_locked, &j) < 0)
        return;
    const struct vr_metrics_totals *t = &j.t;
    if (t->requests != last->requests || t->refused != last->refused)
        fprintf(stderr,
                "%s: last %u s: %llu requests, %llu records stored, %llu duplicates, %llu "
                "rejected records, %llu refused requests\n",
                prog, every_s, (unsigned long long)(t->requests - last->requests),
                (unsigned long long)(t->stored - last->stored),
                (unsigned long long)(t->duplicates - last->duplicates),
                (unsigned long long)(t->rejected_records - last->rejected_records),
                (unsigned long long)(t->refused - last->refused));
    *last = *t;
}

/* One line per prune; the store does not count what it deleted, so the line names the cut-off. */
static void prune_while_serving(const char *prog, struct vr_server *srv, struct vr_store *store,
                                unsigned raw_days)
{
    struct prune_job job = {.store = store};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = vr_server_run(srv, prune_locked, &job);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long took_ms =
        (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (rc < 0)
        fprintf(stderr, "%s: warning: hourly prune failed after %lld ms: %s\n", prog, took_ms,
                job.eb.msg);
    else
        fprintf(stderr, "%s: pruned raw records older than %u days and old rollups (%lld ms)\n",
                prog, raw_days ? raw_days : 30, took_ms);
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s serve [--listen ADDR:PORT] [--db FILE] [--config FILE]\n"
            "                [--tls-cert PEM --tls-key PEM] [--max-body BYTES]\n"
            "                [--max-connections N] [--max-per-ip N] [--timeout 10s]\n"
            "                [--request-timeout 60s]\n\n"
            "  --listen ADDR:PORT     numeric address (default 127.0.0.1:8080; [::]:8080 for all)\n"
            "  --db FILE              SQLite database (default ./voiceready.db)\n"
            "  --config FILE          collector INI file ([server], [site NAME])\n"
            "  --tls-cert/--tls-key   serve HTTPS (libmicrohttpd with GnuTLS)\n"
            "  --max-body BYTES       largest POST body (default 4194304; larger gets 413)\n"
            "  --max-connections N    open connections at most (default 512)\n"
            "  --max-per-ip N         open connections per client address (default 64)\n"
            "  --timeout D            close a connection idle this long (default 10s)\n"
            "  --request-timeout D    close a connection whose request (headers and body) takes\n"
            "                         longer than this to arrive, however it trickles (default "
            "60s)\n",
            prog);
}

/* What the command line sets over the config file, applied again on every reload. */
struct overrides {
    const char *listen, *db, *cert, *key;
    size_t max_body; /* 0 = the file's */
};

static void apply_overrides(struct vr_config *cfg, const struct overrides *ov)
{
    if (ov->listen != NULL)
        snprintf(cfg->listen, sizeof(cfg->listen), "%s", ov->listen);
    if (ov->db != NULL)
        snprintf(cfg->db, sizeof(cfg->db), "%s", ov->db);
    if (ov->cert != NULL)
        snprintf(cfg->tls_cert, sizeof(cfg->tls_cert), "%s", ov->cert);
    if (ov->key != NULL)
        snprintf(cfg->tls_key, sizeof(cfg->tls_key), "%s", ov->key);
    if (ov->max_body != 0)
        cfg->max_body = ov->max_body;
}

/* SIGHUP: re-reads the config file; a bad one is refused and the running one kept. The
 * connections stay up: only the pointer in held changes. */
static void reload(const char *prog, const char *path, const struct overrides *ov,
                   struct vr__cmd_cfg *held)
{
    if (path == NULL) {
        fprintf(stderr, "%s: SIGHUP: no --config file to reload: nothing to do\n", prog);
        return;
    }
    struct vr_config next;
    struct vr_errbuf eb = {{0}};
    vr_config_init(&next);
    if (vr_config_load(&next, path, &eb) < 0) {
        fprintf(stderr, "%s: SIGHUP: %s; kept the running config\n", prog, eb.msg);
        vr_config_free(&next);
        return;
    }
    apply_overrides(&next, ov);
    vr__cmd_cfg_log_changes(prog, path, vr__cmd_cfg_get(held), &next);
    if (vr__cmd_cfg_swap(held, &next) != 0) {
        fprintf(stderr, "%s: SIGHUP: out of memory; kept the running config\n", prog);
        vr_config_free(&next);
    }
}

/* Creates the db's directory (one level, mode 0750) when missing, so that the shipped
 * example config (db under /var/lib/voiceready-collector/) works as is. 0, or non-zero after
 * printing which directory to create and how. */
static int make_db_dir(const char *prog, const char *db)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", db);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    struct stat st;
    if (stat(dir, &st) == 0)
        return 0;
    if (mkdir(dir, 0750) == 0) {
        fprintf(stderr, "%s: created the database directory %s\n", prog, dir);
        return 0;
    }
    int err = errno;
    char msg[8400];
    snprintf(msg, sizeof(msg),
             "cannot create the database directory %s: %s: create it, e.g. "
             "'install -d -m 0750 -o USER %s', or pick another db = / --db",
             dir, strerror(err), dir);
    return vr_cmd_fail(prog, msg);
}

int vr_cmd_serve(const char *prog, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"max-body", required_argument, NULL, 'b'},
        {"max-connections", required_argument, NULL, 'n'},
        {"max-per-ip", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},
        {"request-timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *db = NULL, *config = NULL, *cert = NULL, *key = NULL;
    uint64_t max_body = 0, max_conn = 0, per_ip = 0, timeout_ns = 0, request_ns = 0;
    struct vr_errbuf eb = {{0}};
    int c;
    while ((c = getopt_long(argc, argv, ":l:d:c:C:K:b:n:p:t:T:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'C':
            cert = optarg;
            break;
        case 'K':
            key = optarg;
            break;
        case 'b':
            if (vr_parse_u64(optarg, "--max-body", 1024, (uint64_t)1 << 30, &max_body, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 'n':
            if (vr_parse_u64(optarg, "--max-connections", 1, 100000, &max_conn, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 'p':
            if (vr_parse_u64(optarg, "--max-per-ip", 1, 100000, &per_ip, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 't':
            if (vr_parse_duration_ns(optarg, "--timeout", &timeout_ns, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            if (timeout_ns < 1000000000ull || timeout_ns > 3600000000000ull)
                return vr_cmd_fail(prog, "--timeout: expected 1s..1h, e.g. 10s");
            break;
        case 'T':
            if (vr_parse_duration_ns(optarg, "--request-timeout", &request_ns, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            if (request_ns < 1000000000ull || request_ns > 3600000000000ull)
                return vr_cmd_fail(prog, "--request-timeout: expected 1s..1h, e.g. 60s");
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            return vr__cmd_bad_option(prog, argv, c);
        }
    }
    if (optind < argc)
        return vr_cmd_fail(prog, "serve takes no arguments besides options (see --help)");

    const struct overrides ov = {listen, db, cert, key, (size_t)max_body};
    /* cfg: the startup settings (listen, db, TLS: fixed until restart); held: the config in
     * force, which SIGHUP replaces while the HTTP threads and the store read it. */
    struct vr_config cfg, cfg2;
    if (vr__cmd_load_config(prog, config, &cfg) != 0)
        return EXIT_USAGE;
    apply_overrides(&cfg, &ov);
    struct vr__cmd_cfg held;
    if (vr__cmd_load_config(prog, config, &cfg2) != 0) {
        vr_config_free(&cfg);
        return EXIT_USAGE;
    }
    apply_overrides(&cfg2, &ov);
    if (vr__cmd_cfg_init(&held, &cfg2) != 0) {
        vr_config_free(&cfg2);
        vr_config_free(&cfg);
        return vr_cmd_fail(prog, "out of memory");
    }

    int ret = EXIT_USAGE;
    struct vr_store *store = NULL, *tokens = NULL;
    struct vr_metrics *metrics = NULL;
    struct vr_api *api = NULL;
    struct vr_server *srv = NULL;
    /* Port first: a second `serve` on a port in use must not create (or touch) a database. */
    if (vr_server_check_listen(cfg.listen, &eb) < 0) {
        vr_cmd_fail(prog, eb.msg);
        goto out;
    }
    if (make_db_dir(prog, cfg.db) != 0)
        goto out;
    if (vr__cmd_open_store_held(prog, cfg.db, &held, true, &store) != 0 ||
        vr__cmd_open_store_held(prog, cfg.db, &held, false, &tokens) != 0)
        goto out;
    if (vr_store_prune(store, vr_clock_wall_ns(), &eb) < 0)
        fprintf(stderr, "%s: warning: pruning old records failed: %s\n", prog, eb.msg);
    metrics = vr_metrics_new();
    api = metrics != NULL ? vr_api_new(store, metrics) : NULL;
    if (api == NULL) {
        vr_cmd_fail(prog, "out of memory");
        goto out;
    }
    vr_api_set_token_store(api, tokens);
    /* block the stop signals before the server thread starts, so that it inherits the mask
     * and only sigwait() below receives them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP); /* reload (below), never the default exit */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct vr_server_options so = {
        .listen = cfg.listen,
        .max_body = cfg.max_body,
        .max_connections = (unsigned)max_conn,
        .max_per_ip = (unsigned)per_ip,
        .timeout_s = (unsigned)(timeout_ns / 1000000000ull),
        .request_timeout_s = (unsigned)(request_ns / 1000000000ull),
        .tls_cert = cfg.tls_cert[0] ? cfg.tls_cert : NULL,
        .tls_key = cfg.tls_key[0] ? cfg.tls_key : NULL,
    };
    if (vr_server_start(&so, api, metrics, &srv, &eb) < 0) {
        vr_cmd_fail(prog, eb.msg);
        goto out;
    }
    bool tls = so.tls_cert != NULL;
    if (!vr_server_is_loopback(srv) && !tls)
        fprintf(stderr,
                "%s: warning: listening on %s without TLS: agent tokens travel in clear text; "
                "use --tls-cert/--tls-key or a TLS proxy\n",
                prog, cfg.listen);
    fprintf(stderr, "%s: listening on %s://%s (port %u), database %s\n", prog,
            tls ? "https" : "http", cfg.listen, (unsigned)vr_server_port(srv), cfg.db);
    int sig;
    /* VR_COLLECTOR_SUMMARY_S: for tests only, a shorter summary interval than 60 s */
    unsigned summary_s = 60;
    const char *env = getenv("VR_COLLECTOR_SUMMARY_S");
    if (env != NULL && atoi(env) > 0 && atoi(env) <= 3600)
        summary_s = (unsigned)atoi(env);
    const struct timespec every = {.tv_sec = summary_s, .tv_nsec = 0};
    struct vr_metrics_totals last = {0};
    uint64_t last_prune_ns = vr_clock_mono_ns();
    for (;;) {
        sig = sigtimedwait(&set, NULL, &every);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig == SIGHUP)
            reload(prog, config, &ov, &held);
        if (sig < 0 && errno == EAGAIN) {
            log_summary(prog, srv, metrics, &last, summary_s);
            if (vr_clock_mono_ns() - last_prune_ns >= PRUNE_EVERY_S * 1000000000ull) {
                last_prune_ns = vr_clock_mono_ns();
                prune_while_serving(prog, srv, store, vr__cmd_cfg_get(&held)->retention_days);
            }
        }
    }
    fprintf(stderr, "%s: %s: stopping\n", prog, sig == SIGINT ? "SIGINT" : "SIGTERM");
    ret = 0;
out:
    vr_server_stop(srv);
    vr_api_free(api);
    vr_metrics_free(metrics);
    vr_store_close(tokens);
    vr_store_close(store);
    vr_config_free(&cfg);
    vr__cmd_cfg_free(&held);
    return ret;
}
