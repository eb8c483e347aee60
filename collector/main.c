/* voiceready-collector: command-line entry point. Parses options, opens the store, runs the
 * HTTP server until SIGINT/SIGTERM, manages tokens and prints reports. Exit status: 0 success
 * (report: every selected site Ready), 1 report with a site not Ready, 2 usage or runtime error.
 * The only file that calls exit() or owns process-wide state (the signal mask). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "jarena.h"
#include "metrics.h"
#include "parse.h"
#include "plan.h"
#include "plancmd.h"
#include "report.h"
#include "server.h"
#include "store.h"
#include "tokens.h"

#define EXIT_USAGE 2
/* raw records pass out of retention all the time: a collector that runs for months must not keep
 * them until its next restart */
#define PRUNE_EVERY_S 3600

static const char *prog = "voiceready-collector";

static int fail(const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return EXIT_USAGE;
}

/* --config FILE into cfg, or the defaults without one. 0, or non-zero after printing why. */
static int load_config(const char *path, struct vr_config *cfg)
{
    struct vr_errbuf eb = {{0}};
    vr_config_init(cfg);
    if (path != NULL && vr_config_load(cfg, path, &eb) < 0) {
        vr_config_free(cfg);
        return fail(eb.msg);
    }
    return 0;
}

static void usage_main(FILE *f)
{
    fprintf(
        f,
        "usage: %s COMMAND [OPTIONS]\n\n"
        "Collects voiceready agents' results, scores every site for Teams voice and serves\n"
        "the dashboard, the JSON API and Prometheus metrics.\n\n"
        "commands:\n"
        "  serve                 run the HTTP server (default 127.0.0.1:8080, ./voiceready.db)\n"
        "  token add --site S    create an agent token for site S (printed once)\n"
        "  token list            list tokens\n"
        "  token revoke ID       revoke a token\n"
        "  report                site verdicts as text, json or csv\n"
        "  plan                  planned peak calls and bandwidth of a site (no database)\n\n"
        "Run '%s COMMAND --help' for the options of a command.\n",
        prog, prog);
}

/* An unknown option or a missing argument, named as the user typed it. */
static int bad_option(char **argv, int c)
{
    char msg[200];
    const char *arg = argv[optind - 1];
    if (c == ':')
        snprintf(msg, sizeof(msg), "%s needs a value (see --help)", arg);
    else
        snprintf(msg, sizeof(msg), "unknown option %s (see --help)", arg);
    return fail(msg);
}

/* The store judges its hourly rollups with each site's thresholds (`thresholds = edge`). */
static int site_thresholds(void *arg, const char *site, struct vr_thresholds *out)
{
    vr_config_thresholds(arg, site, out);
    return 0;
}

/* ... and applies the capacity rule with each site's plan (users, growth, ...). */
static bool site_plan(void *arg, const char *site, struct vr_plan_input *out)
{
    return vr_config_plan(arg, site, out);
}

/* serving: checkpoints on a thread of the store's (store.h) */
static int open_store_as(const char *db, const struct vr_config *cfg, bool serving,
                         struct vr_store **out)
{
    struct vr_store_options so = {.retention_days = cfg != NULL ? cfg->retention_days : 0,
                                  .checkpoint_thread = serving};
    if (cfg != NULL) {
        so.site_thresholds = site_thresholds;
        so.site_thresholds_arg = (void *)cfg;
        so.site_plan = site_plan;
        so.site_plan_arg = (void *)cfg;
    }
    struct vr_errbuf eb = {{0}};
    if (vr_store_open(db, &so, out, &eb) < 0) {
        char msg[VR_ERRBUF_SIZE + 64];
        snprintf(msg, sizeof(msg), "%s", eb.msg[0] ? eb.msg : "cannot open the database");
        return fail(msg);
    }
    return 0;
}

static int open_store(const char *db, const struct vr_config *cfg, struct vr_store **out)
{
    return open_store_as(db, cfg, false, out);
}

/* ---- serve ---- */

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

/* One line per prune; the store does not count what it deleted, so the line names the cut-off. */
static void prune_while_serving(struct vr_server *srv, struct vr_store *store, unsigned raw_days)
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

static void usage_serve(FILE *f)
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

static int cmd_serve(int argc, char **argv)
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
                return fail(eb.msg);
            break;
        case 'n':
            if (vr_parse_u64(optarg, "--max-connections", 1, 100000, &max_conn, &eb) < 0)
                return fail(eb.msg);
            break;
        case 'p':
            if (vr_parse_u64(optarg, "--max-per-ip", 1, 100000, &per_ip, &eb) < 0)
                return fail(eb.msg);
            break;
        case 't':
            if (vr_parse_duration_ns(optarg, "--timeout", &timeout_ns, &eb) < 0)
                return fail(eb.msg);
            if (timeout_ns < 1000000000ull || timeout_ns > 3600000000000ull)
                return fail("--timeout: expected 1s..1h, e.g. 10s");
            break;
        case 'T':
            if (vr_parse_duration_ns(optarg, "--request-timeout", &request_ns, &eb) < 0)
                return fail(eb.msg);
            if (request_ns < 1000000000ull || request_ns > 3600000000000ull)
                return fail("--request-timeout: expected 1s..1h, e.g. 60s");
            break;
        case 'h':
            usage_serve(stdout);
            return 0;
        default:
            return bad_option(argv, c);
        }
    }
    if (optind < argc)
        return fail("serve takes no arguments besides options (see --help)");

    struct vr_config cfg;
    if (load_config(config, &cfg) != 0)
        return EXIT_USAGE;
    if (listen != NULL)
        snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
    if (db != NULL)
        snprintf(cfg.db, sizeof(cfg.db), "%s", db);
    if (cert != NULL)
        snprintf(cfg.tls_cert, sizeof(cfg.tls_cert), "%s", cert);
    if (key != NULL)
        snprintf(cfg.tls_key, sizeof(cfg.tls_key), "%s", key);
    if (max_body != 0)
        cfg.max_body = (size_t)max_body;

    int ret = EXIT_USAGE;
    struct vr_store *store = NULL, *tokens = NULL;
    struct vr_metrics *metrics = NULL;
    struct vr_api *api = NULL;
    struct vr_server *srv = NULL;
    if (open_store_as(cfg.db, &cfg, true, &store) != 0 || open_store(cfg.db, &cfg, &tokens) != 0)
        goto out;
    if (vr_store_prune(store, vr_clock_wall_ns(), &eb) < 0)
        fprintf(stderr, "%s: warning: pruning old records failed: %s\n", prog, eb.msg);
    metrics = vr_metrics_new();
    api = metrics != NULL ? vr_api_new(store, metrics) : NULL;
    if (api == NULL) {
        fail("out of memory");
        goto out;
    }
    vr_api_set_token_store(api, tokens);
    /* block the stop signals before the server thread starts, so that it inherits the mask
     * and only sigwait() below receives them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
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
        fail(eb.msg);
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
    const struct timespec every = {.tv_sec = PRUNE_EVERY_S, .tv_nsec = 0};
    for (;;) {
        sig = sigtimedwait(&set, NULL, &every);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig < 0 && errno == EAGAIN)
            prune_while_serving(srv, store, cfg.retention_days);
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
    return ret;
}

/* ---- token ---- */

static void usage_token(FILE *f)
{
    fprintf(f,
            "usage: %s token add --site SITE [--db FILE]\n"
            "       %s token list [--db FILE]\n"
            "       %s token revoke ID [--db FILE]\n\n"
            "`add` prints the new token once on stdout: give it to the site's agents\n"
            "(token = ... in agent.conf). Only its SHA-256 is stored.\n",
            prog, prog, prog);
}

static bool valid_site(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static void print_token(void *arg, const struct vr_token *t)
{
    char ts[40];
    vr_format_rfc3339(t->created_wall_ns, ts, sizeof(ts));
    fprintf(arg, "%-6lld %-24s %-26s %s\n", (long long)t->id, t->site, ts,
            t->revoked ? "revoked" : "active");
}

static int cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *db = VR_CONFIG_DEFAULT_DB;
    struct vr_errbuf eb = {{0}};
    int c;
    while ((c = getopt_long(argc, argv, ":s:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            site = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'h':
            usage_token(stdout);
            return 0;
        default:
            return bad_option(argv, c);
        }
    }
    if (optind >= argc)
        return fail("token: expected add, list or revoke (see token --help)");
    const char *sub = argv[optind++];
    struct vr_store *store = NULL;
    int ret = EXIT_USAGE;
    if (strcmp(sub, "add") == 0) {
        if (site == NULL)
            return fail("token add: --site SITE is required, e.g. token add --site hq");
        if (!valid_site(site))
            return fail("--site: expected 1..63 letters, digits, '-', '_' or '.'");
        if (optind < argc)
            return fail("token add takes no arguments besides options (see --help)");
        if (open_store(db, NULL, &store) != 0)
            return EXIT_USAGE;
        char text[VR_TOKEN_TEXT_LEN];
        uint8_t hash[32];
        int64_t id = 0;
        int rc = vr_token_generate(text, sizeof(text), hash);
        if (rc < 0) {
            fail("could not generate a random token (getrandom failed)");
        } else if (vr_store_token_add(store, site, hash, &id, &eb) < 0) {
            fail(eb.msg);
        } else {
            fprintf(stderr, "%s: token %lld for site \"%s\" (shown once; only its hash is kept)\n",
                    prog, (long long)id, site);
            printf("%s\n", text);
            ret = fflush(stdout) == 0 ? 0 : EXIT_USAGE;
        }
    } else if (strcmp(sub, "list") == 0) {
        if (optind < argc)
            return fail("token list takes no arguments besides options (see --help)");
        if (open_store(db, NULL, &store) != 0)
            return EXIT_USAGE;
        printf("%-6s %-24s %-26s %s\n", "ID", "SITE", "CREATED", "STATE");
        if (vr_store_token_list(store, print_token, stdout, &eb) < 0)
            fail(eb.msg);
        else
            ret = 0;
    } else if (strcmp(sub, "revoke") == 0) {
        uint64_t id = 0;
        if (optind + 1 != argc)
            return fail("token revoke: expected one token ID (see token list)");
        if (vr_parse_u64(argv[optind], "token ID", 1, INT64_MAX, &id, &eb) < 0)
            return fail(eb.msg);
        if (open_store(db, NULL, &store) != 0)
            return EXIT_USAGE;
        int rc = vr_store_token_revoke(store, (int64_t)id, &eb);
        if (rc == VR_ENOTFOUND) {
            char msg[128];
            snprintf(msg, sizeof(msg), "token revoke: no token %llu (see token list)",
                     (unsigned long long)id);
            fail(msg);
        } else if (rc < 0) {
            fail(eb.msg);
        } else {
            fprintf(stderr, "%s: token %llu revoked\n", prog, (unsigned long long)id);
            ret = 0;
        }
    } else {
        char msg[128];
        snprintf(msg, sizeof(msg), "token %.40s: expected add, list or revoke", sub);
        return fail(msg);
    }
    vr_store_close(store);
    return ret;
}

/* ---- report ---- */

static void usage_report(FILE *f)
{
    fprintf(
        f,
        "usage: %s report [--site SITE] [--since 24h] [--format text|json|csv] [--db FILE]\n"
        "                 [--config FILE]\n\n"
        "  --config FILE   the collector INI file: per-site thresholds and plans (users,\n"
        "                  peak_concurrency_pct, planned_peak_calls, mix, growth_pct), so that\n"
        "                  the verdicts include the capacity rule as `serve` shows them\n\n"
        "Exit status: 0 when every selected site is Ready, 1 otherwise, 2 on errors.\n",
        prog);
}

static int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"since", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *db = NULL, *config = NULL;
    uint64_t since = VR_API_WINDOW_NS;
    enum vr_report_format fmt = VR_REPORT_TEXT;
    struct vr_errbuf eb = {{0}};
    int c;
    while ((c = getopt_long(argc, argv, ":s:S:f:d:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            site = optarg;
            break;
        case 'S':
            if (vr_parse_duration_ns(optarg, "--since", &since, &eb) < 0)
                return fail(eb.msg);
            if (since == 0 || since > VR_API_MAX_WINDOW)
                return fail("--since: expected a duration up to 400 days, e.g. 24h");
            break;
        case 'f':
            if (vr_report_parse_format(optarg, &fmt, &eb) < 0)
                return fail(eb.msg);
            break;
        case 'd':
            db = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage_report(stdout);
            return 0;
        default:
            return bad_option(argv, c);
        }
    }
    if (optind < argc)
        return fail("report takes no arguments besides options (see --help)");
    struct vr_config cfg;
    if (load_config(config, &cfg) != 0)
        return EXIT_USAGE;
    if (db == NULL)
        db = config != NULL ? cfg.db : VR_CONFIG_DEFAULT_DB;
    struct vr_store *store = NULL;
    if (open_store(db, config != NULL ? &cfg : NULL, &store) != 0) {
        vr_config_free(&cfg);
        return EXIT_USAGE;
    }
    int rc = vr_report_write(store, site, vr_clock_wall_ns(), since, fmt, stdout, &eb);
    vr_store_close(store);
    vr_config_free(&cfg);
    if (rc < 0)
        return fail(eb.msg);
    return rc;
}

/* ---- plan ---- */

static void usage_plan(FILE *f)
{
    fprintf(
        f,
        "usage: %s plan --users N --concurrency PCT [--mix CLASS=SHARE,...] [--growth PCT]\n"
        "                           [--json]\n"
        "       %s plan --peak-calls N [--mix ...] [--growth PCT] [--json]\n\n"
        "Prints the planned peak of concurrent calls of a site and its bandwidth per\n"
        "direction, with the arithmetic shown, as the collector computes them for a site\n"
        "configured with users / peak_concurrency_pct / planned_peak_calls / mix / growth_pct.\n\n"
        "  --users N          people at the site\n"
        "  --concurrency PCT  share of them in a call at the busiest hour, e.g. 15%%\n"
        "  --peak-calls N     the planned peak directly (instead of users x concurrency)\n"
        "  --mix LIST         share of calls using each modality (default audio=1),\n"
        "                     e.g. audio=1,video=0.3,sharing=0.1\n"
        "  --growth PCT       growth on top of the peak (default 0%%), e.g. 10%%\n"
        "  --json             one JSON object instead of the text\n\n"
        "Example: %s plan --users 250 --concurrency 15%% --mix audio=1,video=0.3,sharing=0.1 "
        "--growth 10%%\n",
        prog, prog, prog);
}

static int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"users", required_argument, NULL, 'u'},
        {"concurrency", required_argument, NULL, 'c'},
        {"peak-calls", required_argument, NULL, 'p'},
        {"mix", required_argument, NULL, 'm'},
        {"growth", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vr_plan_input in;
    struct vr_errbuf eb = {{0}};
    bool json = false, have_users = false, have_conc = false;
    uint64_t v = 0;
    int c;
    vr_plan_input_init(&in);
    while ((c = getopt_long(argc, argv, ":u:c:p:m:g:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (vr_parse_u64(optarg, "--users", 1, VR_PLAN_MAX_USERS, &v, &eb) < 0)
                return fail(eb.msg);
            in.users = (uint32_t)v;
            have_users = true;
            break;
        case 'c':
            if (vr_plan_parse_pct(optarg, "--concurrency", 10000, &in.concurrency_cpct, &eb) < 0)
                return fail(eb.msg);
            if (in.concurrency_cpct == 0)
                return fail("--concurrency: expected more than 0 %, e.g. 15%");
            have_conc = true;
            break;
        case 'p':
            if (vr_parse_u64(optarg, "--peak-calls", 1, VR_PLAN_MAX_CALLS, &v, &eb) < 0)
                return fail(eb.msg);
            in.peak_calls = (uint32_t)v;
            break;
        case 'm':
            if (vr_plan_parse_mix(optarg, "--mix", in.mix, &eb) < 0)
                return fail(eb.msg);
            break;
        case 'g':
            if (vr_plan_parse_pct(optarg, "--growth", VR_PLAN_MAX_GROWTH_CPCT, &in.growth_cpct,
                                  &eb) < 0)
                return fail(eb.msg);
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage_plan(stdout);
            return 0;
        default:
            return bad_option(argv, c);
        }
    }
    if (optind < argc)
        return fail("plan takes no arguments besides options (see --help)");
    if (in.peak_calls > 0 && (have_users || have_conc))
        return fail("plan: give either --peak-calls or --users with --concurrency, not both");
    if (in.peak_calls == 0 && !(have_users && have_conc))
        return fail("plan: give --users N and --concurrency PCT (or --peak-calls N), e.g. "
                    "plan --users 250 --concurrency 15%");
    struct vr_plan p;
    if (vr_plan_compute(&in, &p, &eb) < 0)
        return fail(eb.msg);
    if (vr_plancmd_write(&in, &p, json, stdout) < 0)
        return fail("could not write to stdout");
    return 0;
}

int main(int argc, char **argv)
{
    vr_jarena_install(); /* before any thread: jansson's allocator hooks are process-wide */
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    /* each command parses its own options from argv[1] on */
    argc--;
    argv++;
    opterr = 0;
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc, argv);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc, argv);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc, argv);
    if (strcmp(cmd, "plan") == 0)
        return cmd_plan(argc, argv);
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (commands: serve, token, report, plan)",
             cmd);
    return fail(msg);
}
