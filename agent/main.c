/* voiceready-agent: command-line entry point. Parses options, owns the loop and the signal
 * handles, and turns results into output and exit status (0 ready, 1 at risk / not ready,
 * 2 usage or runtime error). The only file that calls exit(). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "cliopt.h"
#include "commands.h"
#include "daemon.h"
#include "parse.h"
#include "rec_verdict.h"
#include "reflect.h"
#include "report.h"
#include "score.h"
#include "session.h"
#include "sock.h"

#define VR_DEFAULT_PORT 5004
#define EXIT_USAGE      2

static const char *prog = "voiceready-agent";

static void usage_main(FILE *f)
{
    fprintf(
        f,
        "usage: %s COMMAND [OPTIONS]\n\n"
        "Proves that a network path carries Teams voice and video: latency, jitter, loss,\n"
        "reordering and DSCP marks, per direction, at the load of N concurrent calls.\n\n"
        "commands:\n"
        "  reflect        answer probes (run this at the far end: HQ, data centre, cloud edge)\n"
        "  test HOST      measure the path to a reflector and give a verdict\n"
        "  run            the unattended daemon: scheduled tests, uploads to the collector\n"
        "  capacity HOST  find how many concurrent calls the path carries within thresholds\n"
        "  trace HOST     find the hop where a DSCP mark is rewritten (needs CAP_NET_RAW)\n"
        "  capture        judge real RTP/Teams calls from an interface or a pcap file\n\n"
        "Run '%s COMMAND --help' for the options of a command.\n",
        prog, prog);
}

static int fail_usage(const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return EXIT_USAGE;
}

/* ---- reflect ---- */

struct reflect_ctx {
    uv_loop_t *loop;
    struct vr_reflector *refl;
    uv_signal_t sigint, sigterm;
    bool quiet;
};

static void on_reflect_signal(uv_signal_t *h, int signum)
{
    struct reflect_ctx *ctx = h->data;
    struct vr_reflect_stats st;
    (void)signum;

    vr_reflector_stats(ctx->refl, &st);
    if (!ctx->quiet)
        fprintf(stderr,
                "%s: stopping: %llu probes answered, %llu malformed, %llu rate-limited, "
                "%llu send errors\n",
                prog, (unsigned long long)st.answered, (unsigned long long)st.malformed,
                (unsigned long long)st.rate_limited, (unsigned long long)st.send_errors);
    vr_reflector_close(ctx->refl, NULL, NULL);
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
}

static void usage_reflect(FILE *f)
{
    fprintf(f,
            "usage: %s reflect [--listen ADDR:PORT]... [--rate-limit PPS] [--max-streams N] "
            "[--quiet]\n\n"
            "Answers voiceready probes. Default: [::]:5004 and 0.0.0.0:5004.\n\n"
            "  --listen ADDR:PORT   address to listen on (repeatable), e.g. 0.0.0.0:5004\n"
            "  --rate-limit PPS     probes per second answered per source address "
            "(default 100000)\n"
            "  --max-streams N      streams tracked at once (default 16384)\n"
            "  --quiet              no start and stop messages\n",
            prog);
}

static int add_listener(struct vr_reflector *r, const char *spec, bool optional,
                        struct vr_errbuf *eb)
{
    char host[128];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    int rc;

    rc = vr_parse_hostport(spec, VR_DEFAULT_PORT, host, sizeof(host), &port, eb);
    if (rc != 0)
        return rc;
    rc = vr_sock_resolve(host, port, true, &ss, &len, eb);
    if (rc != 0)
        return rc;
    rc = vr_reflector_listen(r, (struct sockaddr *)&ss, len, eb);
    if (rc == -EAFNOSUPPORT && optional)
        return 1; /* no IPv6 on this host: the IPv4 default still works */
    return rc;
}

static int cmd_reflect(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"rate-limit", required_argument, NULL, 'r'},
                                         {"max-streams", required_argument, NULL, 'm'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vr_reflect_config cfg = {.max_streams = 16384, .rate_pps = 100000};
    const char *listens[8];
    size_t n_listen = 0;
    struct reflect_ctx ctx = {0};
    struct vr_errbuf eb = {{0}};
    uint64_t v;
    int c, rc;

    while ((c = getopt_long(argc, argv, "l:r:m:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (n_listen == 8)
                return fail_usage("--listen: at most 8 addresses");
            listens[n_listen++] = optarg;
            break;
        case 'r':
            if (vr_parse_u64(optarg, "--rate-limit", 1, 10000000, &v, &eb) != 0)
                return fail_usage(eb.msg);
            cfg.rate_pps = (uint32_t)v;
            break;
        case 'm':
            if (vr_parse_u64(optarg, "--max-streams", 64, 1u << 24, &v, &eb) != 0)
                return fail_usage(eb.msg);
            cfg.max_streams = (uint32_t)v;
            break;
        case 'q':
            ctx.quiet = true;
            break;
        case 'h':
            usage_reflect(stdout);
            return 0;
        default:
            fprintf(
                stderr,
                "%s: reflect: unknown option or missing value \"%s\"; see '%s reflect --help'\n",
                prog, argv[optind - 1], prog);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return fail_usage("reflect takes no arguments besides options (see --help)");
    ctx.loop = uv_default_loop();
    if (vr_reflector_init(ctx.loop, &cfg, &ctx.refl) != 0)
        return fail_usage("out of memory");
    if (n_listen == 0) {
        rc = add_listener(ctx.refl, "[::]:5004", true, &eb);
        if (rc >= 0)
            rc = add_listener(ctx.refl, "0.0.0.0:5004", false, &eb);
    } else {
        rc = 0;
        for (size_t i = 0; i < n_listen && rc == 0; i++)
            rc = add_listener(ctx.refl, listens[i], false, &eb);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        vr_reflector_close(ctx.refl, NULL, NULL);
        uv_run(ctx.loop, UV_RUN_DEFAULT); /* let the listeners that did open close */
        uv_loop_close(ctx.loop);
        return EXIT_USAGE;
    }
    uv_signal_init(ctx.loop, &ctx.sigint);
    uv_signal_init(ctx.loop, &ctx.sigterm);
    ctx.sigint.data = ctx.sigterm.data = &ctx;
    uv_signal_start(&ctx.sigint, on_reflect_signal, SIGINT);
    uv_signal_start(&ctx.sigterm, on_reflect_signal, SIGTERM);
    if (!ctx.quiet)
        fprintf(stderr, "%s: reflector listening on %s (Ctrl-C to stop)\n", prog,
                n_listen == 0 ? "[::]:5004 and 0.0.0.0:5004" : "the given addresses");
    uv_run(ctx.loop, UV_RUN_DEFAULT);
    uv_loop_close(ctx.loop);
    return 0;
}

/* ---- test ---- */

struct test_ctx {
    struct vr_session_config cfg;
    struct vr_session *session;
    uv_signal_t sigint, sigterm;
    bool json, progress;
    bool done;
    struct vr_session_result res;
};

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    fflush(stdout);
}

static void on_test_record(void *arg, const struct vr_record *r)
{
    struct test_ctx *ctx = arg;
    json_t *j;
    if (!ctx->json)
        return;
    j = vr_record_to_json(r);
    if (j != NULL)
        print_json(j);
    json_decref(j);
}

static void on_test_progress(void *arg, const struct vr_session_progress *p)
{
    struct test_ctx *ctx = arg;
    if (ctx->progress)
        vr_report_progress(stderr, p);
}

static void on_test_done(void *arg, const struct vr_session_result *res)
{
    struct test_ctx *ctx = arg;
    ctx->res = *res;
    ctx->done = true;
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
}

static void on_test_signal(uv_signal_t *h, int signum)
{
    struct test_ctx *ctx = h->data;
    (void)signum;
    vr_session_interrupt(ctx->session);
}

static void usage_test(FILE *f)
{
    fprintf(
        f,
        "usage: %s test HOST[:PORT] [options]\n\n"
        "Sends Teams-like RTP streams to a reflector (voiceready-agent reflect) and judges the\n"
        "path per 15-second interval against the Teams network targets.\n"
        "Exit status: 0 ready, 1 at risk or not ready, 2 usage or runtime error.\n\n"
        "  --duration D       how long to test (default 30s; ms, s, m, h)\n"
        "  --interval D       scoring interval (default 15s, at least 1s)\n"
        "  --class LIST       audio, video, sharing, besteffort, all, or a comma list\n"
        "                     (default audio; besteffort is the unmarked CS0 control)\n"
        "  --calls N          concurrent streams per class, the site's peak (default 1)\n"
        "  --profile NAME     codec profile for every class: %s\n"
        "                     (default: teams-audio, teams-video, teams-sharing by class)\n"
        "  --teams-ports      send from Teams client ports (audio 50000-50019, video\n"
        "                     50020-50039, sharing 50040-50059) to exercise port-based QoS\n"
        "  --interface IF     send through interface IF (e.g. the wired port or the Wi-Fi)\n"
        "                     whatever the routing table prefers; records name it and its\n"
        "                     link kind (wired, wifi, other)\n"
        "  --thresholds SET   client (default: client to Microsoft edge) or edge\n"
        "  --late-timeout D   replies later than this count as lost (default 3s, max 10s)\n"
        "  --agent NAME       agent name in records (default: host name)\n"
        "  --site NAME        site name in records (default: default)\n"
        "  --json             JSON Lines: interval records, summaries, then the verdict\n"
        "  --quiet            no live progress\n",
        prog, vr_profile_names());
}

static int parse_test_args(int argc, char **argv, struct test_ctx *ctx)
{
    static const struct option opts[] = {{"duration", required_argument, NULL, 'd'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"class", required_argument, NULL, 'c'},
                                         {"calls", required_argument, NULL, 'n'},
                                         {"profile", required_argument, NULL, 'p'},
                                         {"teams-ports", no_argument, NULL, 't'},
                                         {"thresholds", required_argument, NULL, 'T'},
                                         {"late-timeout", required_argument, NULL, 'L'},
                                         {"interface", required_argument, NULL, 'I'},
                                         {"agent", required_argument, NULL, 'a'},
                                         {"site", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vr_session_config *cfg = &ctx->cfg;
    struct vr_errbuf eb = {{0}};
    bool quiet = false;
    uint64_t v;
    int c;

    cfg->duration_ns = 30 * UINT64_C(1000000000);
    cfg->interval_ns = 15 * UINT64_C(1000000000);
    cfg->late_ns = 3 * UINT64_C(1000000000);
    cfg->calls = 1;
    cfg->class_mask = 1u << VR_CLASS_AUDIO;
    vr_thresholds_by_name("client", &cfg->thr, NULL);
    if (gethostname(cfg->agent, sizeof(cfg->agent)) != 0 || cfg->agent[0] == '\0')
        snprintf(cfg->agent, sizeof(cfg->agent), "agent");
    cfg->agent[sizeof(cfg->agent) - 1] = '\0';
    snprintf(cfg->site, sizeof(cfg->site), "default");

    while ((c = getopt_long(argc, argv, "d:i:c:n:p:tT:L:I:a:s:jqh", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'd':
            rc = vr_parse_duration_ns(optarg, "--duration", &cfg->duration_ns, &eb);
            if (rc == 0 && cfg->duration_ns < 1000000000u)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--duration \"%s\": at least 1s", optarg);
            break;
        case 'i':
            rc = vr_parse_duration_ns(optarg, "--interval", &cfg->interval_ns, &eb);
            if (rc == 0 &&
                (cfg->interval_ns < 1000000000u || cfg->interval_ns > 3600 * UINT64_C(1000000000)))
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--interval \"%s\": from 1s to 1h", optarg);
            break;
        case 'L':
            rc = vr_parse_duration_ns(optarg, "--late-timeout", &cfg->late_ns, &eb);
            if (rc == 0 && (cfg->late_ns < 100000000u || cfg->late_ns > 10000000000u))
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--late-timeout \"%s\": from 100ms to 10s",
                                   optarg);
            break;
        case 'c':
            rc = vr_parse_classes(optarg, &cfg->class_mask, &eb);
            break;
        case 'n':
            rc = vr_parse_u64(optarg, "--calls", 1, 5000, &v, &eb);
            cfg->calls = (uint32_t)v;
            break;
        case 'p':
            cfg->profile = vr_profile_find(optarg);
            if (cfg->profile == NULL)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--profile \"%s\": expected one of %s", optarg,
                                   vr_profile_names());
            break;
        case 't':
            cfg->teams_ports = true;
            break;
        case 'T':
            rc = vr_thresholds_by_name(optarg, &cfg->thr, &eb);
            break;
        case 'I':
            rc = vr_cliopt_interface(optarg, cfg->interface, sizeof(cfg->interface), &eb);
            break;
        case 'a':
            rc = vr_cliopt_name("agent", optarg, cfg->agent, sizeof(cfg->agent), &eb);
            break;
        case 's':
            rc = vr_cliopt_name("site", optarg, cfg->site, sizeof(cfg->site), &eb);
            break;
        case 'j':
            ctx->json = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage_test(stdout);
            return 1;
        default:
            return vr_cliopt_bad_option(prog, "test", argv[optind - 1]);
        }
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", prog, eb.msg);
            return -1;
        }
    }
    if (vr_cliopt_one_target(prog, "test", argc, optind) != 0)
        return -1;
    ctx->progress = !quiet && isatty(STDERR_FILENO);
    snprintf(cfg->target, sizeof(cfg->target), "%s", argv[optind]);
    return 0;
}

static int resolve_target(struct vr_session_config *cfg)
{
    char host[128];
    uint16_t port;
    struct vr_errbuf eb = {{0}};

    if (vr_parse_hostport(cfg->target, VR_DEFAULT_PORT, host, sizeof(host), &port, &eb) != 0 ||
        vr_sock_resolve(host, port, false, &cfg->dst, &cfg->dst_len, &eb) != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        return -1;
    }
    return 0;
}

static void print_verdict_json(const struct vr_session_result *res)
{
    const struct vr_hist *h = &res->sender.deadline_err;
    json_t *j = vr_verdict_to_json(&res->verdict);
    if (j == NULL)
        return;
    /* the probe's own timing quality, so that its noise can be told from the network's */
    json_object_set_new(
        j, "sender",
        json_pack("{s:{s:f,s:f,s:f},s:I,s:I,s:b,s:b}", "deadline_error_us", "mean",
                  vr_hist_mean_ns(h) / 1e3, "p99", vr_hist_quantile_ns(h, 0.99) / 1e3, "max",
                  (double)h->max_ns / 1e3, "overruns", (json_int_t)res->sender.overruns,
                  "send_errors", (json_int_t)res->sender.send_errors, "realtime",
                  res->sender.realtime, "interrupted", res->interrupted));
    print_json(j);
    json_decref(j);
}

static int cmd_test(int argc, char **argv)
{
    struct test_ctx ctx = {0};
    struct vr_session_hooks hooks = {on_test_record, on_test_progress, on_test_done, &ctx};
    struct vr_errbuf eb = {{0}};
    uv_loop_t *loop = uv_default_loop();
    int rc = parse_test_args(argc, argv, &ctx);

    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    if (resolve_target(&ctx.cfg) != 0)
        return EXIT_USAGE;
    rc = vr_session_init(loop, &ctx.cfg, &hooks, &ctx.session, &eb);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg[0] ? eb.msg : vr_strerror(rc));
        vr_session_free(ctx.session);
        return EXIT_USAGE;
    }
    uv_signal_init(loop, &ctx.sigint);
    uv_signal_init(loop, &ctx.sigterm);
    ctx.sigint.data = ctx.sigterm.data = &ctx;
    uv_signal_start(&ctx.sigint, on_test_signal, SIGINT);
    uv_signal_start(&ctx.sigterm, on_test_signal, SIGTERM);
    rc = vr_session_start(ctx.session, &eb);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
    uv_run(loop, UV_RUN_DEFAULT);
    if (ctx.progress)
        vr_report_progress_clear(stderr);
    vr_session_free(ctx.session);
    uv_loop_close(loop);
    if (rc != 0 || !ctx.done)
        return EXIT_USAGE;
    if (ctx.res.error != 0) {
        fprintf(stderr, "%s: %s\n", prog, ctx.res.errmsg);
        return EXIT_USAGE;
    }
    if (ctx.json)
        print_verdict_json(&ctx.res);
    else
        vr_report_table(stdout, &ctx.cfg, &ctx.res);
    return ctx.res.verdict.verdict == VR_VERDICT_READY && !ctx.res.interrupted ? 0 : 1;
}

/* ---- run ---- */

struct run_ctx {
    struct vr_daemon *daemon;
    uv_signal_t sigint, sigterm, sighup;
};

static void on_daemon_stopped(void *arg)
{
    struct run_ctx *ctx = arg;
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
    uv_close((uv_handle_t *)&ctx->sighup, NULL);
}

static void on_run_signal(uv_signal_t *h, int signum)
{
    struct run_ctx *ctx = h->data;
    if (signum == SIGHUP)
        vr_daemon_reload(ctx->daemon);
    else
        vr_daemon_stop(ctx->daemon, on_daemon_stopped, ctx);
}

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: %s run --config FILE [--check]\n\n"
            "Runs unattended: an always-on test per target, peak-load tests in their scheduled\n"
            "windows, every record spooled to disk and uploaded to the collector (deleted only\n"
            "once acknowledged). SIGHUP reloads the config; SIGTERM stops.\n\n"
            "  --config FILE   agent configuration (INI), see packaging/agent.conf.example\n"
            "  --check         check the configuration, print a summary and exit\n",
            prog);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    bool check = false;
    struct run_ctx ctx = {0};
    struct vr_errbuf eb = {{0}};
    uv_loop_t *loop = uv_default_loop();
    int c, rc;

    while ((c = getopt_long(argc, argv, "c:kh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage_run(stdout);
            return 0;
        default:
            fprintf(stderr,
                    "%s: run: unknown option or missing value \"%s\"; see '%s run --help'\n", prog,
                    argv[optind - 1], prog);
            return EXIT_USAGE;
        }
    }
    if (config == NULL || optind != argc)
        return fail_usage("run needs --config FILE (see 'voiceready-agent run --help')");
    rc = vr_daemon_init(loop, config, &ctx.daemon, &eb);
    if (rc == 0 && check) {
        printf("%s: configuration OK\n", config);
        vr_daemon_free(ctx.daemon);
        return 0;
    }
    if (rc == 0)
        rc = vr_daemon_start(ctx.daemon, &eb);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg[0] ? eb.msg : vr_strerror(rc));
        vr_daemon_free(ctx.daemon);
        return EXIT_USAGE;
    }
    uv_signal_init(loop, &ctx.sigint);
    uv_signal_init(loop, &ctx.sigterm);
    uv_signal_init(loop, &ctx.sighup);
    ctx.sigint.data = ctx.sigterm.data = ctx.sighup.data = &ctx;
    uv_signal_start(&ctx.sigint, on_run_signal, SIGINT);
    uv_signal_start(&ctx.sigterm, on_run_signal, SIGTERM);
    uv_signal_start(&ctx.sighup, on_run_signal, SIGHUP);
    uv_run(loop, UV_RUN_DEFAULT);
    vr_daemon_free(ctx.daemon);
    uv_loop_close(loop);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd;

    opterr = 0; /* our own one-line messages name the program and the fix */
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("voiceready-agent 0.1.0\n");
        return 0;
    }
    if (strcmp(cmd, "reflect") == 0)
        return cmd_reflect(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "capacity") == 0)
        return vr_cmd_capacity(prog, argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0)
        return vr_cmd_trace(prog, argc - 1, argv + 1);
    if (strcmp(cmd, "capture") == 0)
        return vr_cmd_capture(prog, argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command \"%s\"; see '%s --help'\n", prog, cmd, prog);
    return EXIT_USAGE;
}
