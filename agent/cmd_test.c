/* cmd_test: `voiceready-agent test HOST[:PORT]`: options, the loop and its signals, live
 * progress on a terminal, the verdict table or JSON Lines, and the exit status (0 ready, 1 at
 * risk or not ready, 2 usage or runtime error, 128 + the signal when Ctrl-C or SIGTERM stopped
 * it: 130, 143). The measurement itself is session.c. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "cliopt.h"
#include "commands.h"
#include "parse.h"
#include "rec_verdict.h"
#include "report.h"
#include "score.h"
#include "session.h"
#include "sock.h"

#define DEFAULT_PORT 5004
#define EXIT_USAGE   VR_CMD_EXIT_USAGE

struct test_ctx {
    const char *prog;
    struct vr_session_config cfg;
    struct vr_session *session;
    uv_signal_t sigint, sigterm;
    bool json, progress;
    bool done;
    int signum; /* the first SIGINT or SIGTERM that stopped the test, else 0 */
    struct vr_session_result res;
};

static void on_test_record(void *arg, const struct vr_rec_ref *r)
{
    struct test_ctx *ctx = arg;
    json_t *j;
    if (!ctx->json)
        return;
    j = vr_rec_ref_to_json(r);
    if (j != NULL)
        vr_report_jsonl(stdout, j);
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
    if (ctx->signum == 0)
        ctx->signum = signum;
    vr_session_interrupt(ctx->session);
}

static void usage(FILE *f, const char *prog)
{
    fprintf(
        f,
        "usage: %s test HOST[:PORT] [options]\n\n"
        "Sends Teams-like RTP streams to a reflector (voiceready-agent reflect) and judges the\n"
        "path per 15-second interval against the Teams network targets.\n"
        "Exit status: 0 ready, 1 at risk or not ready, 2 usage or runtime error, 130 stopped\n"
        "by Ctrl-C (143 by SIGTERM): the partial verdict is printed, marked interrupted.\n\n"
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

/* short letters: one meaning across every command (cliopt.h) */
const struct option vr_cmd_test_options[] = {{"duration", required_argument, NULL, 'd'},
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

static int parse_test_args(int argc, char **argv, struct test_ctx *ctx)
{
    const char *prog = ctx->prog;
    struct vr_session_config *cfg = &ctx->cfg;
    struct vr_errbuf eb = {{0}};
    bool quiet = false;
    char shortopts[64];
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

    (void)vr_cliopt_shortopts(vr_cmd_test_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_test_options, NULL)) != -1) {
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
            usage(stdout, prog);
            vr_cliopt_print_short(stdout, vr_cmd_test_options);
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

static int resolve_target(const char *prog, struct vr_session_config *cfg)
{
    char host[128];
    uint16_t port;
    struct vr_errbuf eb = {{0}};

    if (vr_parse_hostport(cfg->target, DEFAULT_PORT, host, sizeof(host), &port, &eb) != 0 ||
        vr_sock_resolve(host, port, false, &cfg->dst, &cfg->dst_len, &eb) != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        return -1;
    }
    return 0;
}

static void print_verdict_json(const struct vr_session_result *res)
{
    const struct vr_hist *h = &res->sender.deadline_err;
    const struct vr_rec_sender snd = {
        .deadline_error_us_mean = vr_hist_mean_ns(h) / 1e3,
        .deadline_error_us_p99 = vr_hist_quantile_ns(h, 0.99) / 1e3,
        .deadline_error_us_max = (double)h->max_ns / 1e3,
        .overruns = res->sender.overruns,
        .send_errors = res->sender.send_errors,
        .realtime = res->sender.realtime,
        .interrupted = res->interrupted,
    };
    json_t *j = vr_verdict_to_json(&res->verdict, &snd);
    if (j == NULL)
        return;
    vr_report_jsonl(stdout, j);
    json_decref(j);
}

int vr_cmd_test(const char *prog, int argc, char **argv)
{
    struct test_ctx ctx = {.prog = prog};
    struct vr_session_hooks hooks = {on_test_record, on_test_progress, on_test_done, &ctx};
    struct vr_errbuf eb = {{0}};
    uv_loop_t *loop = uv_default_loop();
    int rc = parse_test_args(argc, argv, &ctx);

    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    if (resolve_target(prog, &ctx.cfg) != 0)
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
    /* the shell's convention for a command stopped by a signal: a script tells an unfinished
     * test from a finished Not ready */
    if (ctx.res.interrupted)
        return 128 + (ctx.signum != 0 ? ctx.signum : SIGINT);
    return ctx.res.verdict.verdict == VR_VERDICT_READY ? 0 : 1;
}
