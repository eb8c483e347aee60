/* cmd_capacity: `voiceready-agent capacity HOST[:PORT]`: options, the loop and its signals, live
 * progress on a terminal, the ramp table or JSON Lines, and the exit status (0 measured, 1 even
 * one call fails or interrupted, 2 usage or runtime error). The ramp itself is capacity.c. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "capacity.h"
#include "cliopt.h"
#include "commands.h"
#include "parse.h"
#include "report.h"
#include "sock.h"

#define DEFAULT_PORT 5004
#define EXIT_USAGE   2
#define NS_PER_S     UINT64_C(1000000000)

struct cap_ctx {
    const char *prog;
    struct vr_capacity_config cfg;
    struct vr_capacity *cap;
    uv_signal_t sigint, sigterm;
    bool json, progress, quiet, done;
    char mix_text[128];
    const struct vr_capacity_result *res;
};

static void usage(FILE *f, const char *prog)
{
    fprintf(
        f,
        "usage: %s capacity HOST[:PORT] [options]\n\n"
        "Finds how many concurrent calls the path to a reflector carries within the Teams\n"
        "thresholds: runs N calls of the mix for one step, doubling N (1, 2, 4, 8...) until a\n"
        "step fails, then a binary search between the last pass and the first fail. A step\n"
        "passes when none of its intervals fails (warn is a pass).\n"
        "Exit status: 0 capacity measured, 1 even one call fails (or interrupted: the figure is\n"
        "only a lower bound), 2 usage or runtime error.\n\n"
        "  --max-calls N      stop the ramp at N calls (default 200)\n"
        "  --mix LIST         streams per call by class (default audio=1), e.g.\n"
        "                     audio=1,video=0.3,sharing=0.1: N calls run N audio streams and\n"
        "                     round(0.3 N) video streams (at least 1), each with its DSCP\n"
        "  --step D           how long each call count runs (default 30s)\n"
        "  --interval D       scoring interval within a step (default 10s; a step holds at\n"
        "                     least two)\n"
        "  --max-rate R       never send more than R bits/s per direction on the wire (IP, UDP,\n"
        "                     RTP and payload): the call count is capped before a step starts\n"
        "                     (default 10M; e.g. 500k, 2.5M)\n"
        "  --loss-stop PCT    stop the ramp at once when an interval loses more than PCT %% in\n"
        "                     either direction (default 5: a safety stop for production links)\n"
        "  --profile NAME     codec profile for every class: %s\n"
        "                     (default: teams-audio, teams-video, teams-sharing by class)\n"
        "  --interface IF     send through interface IF (wired port vs Wi-Fi)\n"
        "  --thresholds SET   client (default) or edge\n"
        "  --agent NAME       agent name in records (default: host name)\n"
        "  --site NAME        site name in records (default: default)\n"
        "  --json             JSON Lines: each step's interval records, then the capacity record\n"
        "  --quiet            no live progress\n\n"
        "Ctrl-C stops the running step at once and still reports what was measured.\n",
        prog, vr_profile_names());
}

enum { OPT_LOSS_STOP = VR_CLIOPT_LONG_ONLY };

/* short letters: one meaning across every command (cliopt.h): -n is test's --calls, -m trace's
 * --max-hops, -r capture's --read, -l reflect's --listen */
const struct option vr_cmd_capacity_options[] = {
    {"max-calls", required_argument, NULL, 'N'},
    {"mix", required_argument, NULL, 'M'},
    {"step", required_argument, NULL, 'S'},
    {"interval", required_argument, NULL, 'i'},
    {"max-rate", required_argument, NULL, 'R'},
    {"loss-stop", required_argument, NULL, OPT_LOSS_STOP},
    {"profile", required_argument, NULL, 'p'},
    {"interface", required_argument, NULL, 'I'},
    {"thresholds", required_argument, NULL, 'T'},
    {"agent", required_argument, NULL, 'a'},
    {"site", required_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_args(struct cap_ctx *ctx, int argc, char **argv)
{
    struct vr_capacity_config *cfg = &ctx->cfg;
    struct vr_session_config *sc = &cfg->session;
    struct vr_errbuf eb = {{0}};
    const char *prog = ctx->prog;
    char shortopts[64];
    uint64_t v;
    int c;

    cfg->max_calls = 200;
    cfg->max_rate_bps = 10e6;
    cfg->loss_stop_pct = 5;
    cfg->step_ns = 30 * NS_PER_S;
    cfg->interval_ns = 10 * NS_PER_S;
    cfg->pause_ns = 250000000u;
    cfg->mix[VR_CLASS_AUDIO] = 1;
    snprintf(ctx->mix_text, sizeof(ctx->mix_text), "audio=1");
    vr_thresholds_by_name("client", &sc->thr, NULL);
    if (gethostname(sc->agent, sizeof(sc->agent)) != 0 || sc->agent[0] == '\0')
        snprintf(sc->agent, sizeof(sc->agent), "agent");
    sc->agent[sizeof(sc->agent) - 1] = '\0';
    snprintf(sc->site, sizeof(sc->site), "default");

    optind = 1;
    (void)vr_cliopt_shortopts(vr_cmd_capacity_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_capacity_options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'N':
            rc = vr_parse_u64(optarg, "--max-calls", 1, VR_RAMP_CALLS_LIMIT, &v, &eb);
            cfg->max_calls = (uint32_t)v;
            break;
        case 'M':
            rc = vr_ramp_parse_mix(optarg, cfg->mix, &eb);
            snprintf(ctx->mix_text, sizeof(ctx->mix_text), "%s", optarg);
            break;
        case 'S':
            rc = vr_parse_duration_ns(optarg, "--step", &cfg->step_ns, &eb);
            if (rc == 0 && (cfg->step_ns < 2 * NS_PER_S || cfg->step_ns > 3600 * NS_PER_S))
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--step \"%s\": from 2s to 1h", optarg);
            break;
        case 'i':
            rc = vr_parse_duration_ns(optarg, "--interval", &cfg->interval_ns, &eb);
            if (rc == 0 && (cfg->interval_ns < NS_PER_S || cfg->interval_ns > 1800 * NS_PER_S))
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--interval \"%s\": from 1s to 30m", optarg);
            break;
        case 'R':
            rc = vr_ramp_parse_rate(optarg, "--max-rate", &cfg->max_rate_bps, &eb);
            break;
        case OPT_LOSS_STOP: {
            char *end;
            double pct = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(pct > 0 && pct <= 100))
                rc = vr_errbuf_set(&eb, VR_EINVAL,
                                   "--loss-stop \"%s\": a percentage above 0 and up to 100, "
                                   "e.g. 5",
                                   optarg);
            else
                cfg->loss_stop_pct = pct;
            break;
        }
        case 'p':
            sc->profile = vr_profile_find(optarg);
            if (sc->profile == NULL)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--profile \"%s\": expected one of %s", optarg,
                                   vr_profile_names());
            break;
        case 'I':
            rc = vr_cliopt_interface(optarg, sc->interface, sizeof(sc->interface), &eb);
            break;
        case 'T':
            rc = vr_thresholds_by_name(optarg, &sc->thr, &eb);
            break;
        case 'a':
            rc = vr_cliopt_name("agent", optarg, sc->agent, sizeof(sc->agent), &eb);
            break;
        case 's':
            rc = vr_cliopt_name("site", optarg, sc->site, sizeof(sc->site), &eb);
            break;
        case 'j':
            ctx->json = true;
            break;
        case 'q':
            ctx->quiet = true;
            break;
        case 'h':
            usage(stdout, prog);
            vr_cliopt_print_short(stdout, vr_cmd_capacity_options);
            return 1;
        default:
            return vr_cliopt_bad_option(prog, "capacity", argv[optind - 1]);
        }
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", prog, eb.msg);
            return -1;
        }
    }
    if (vr_cliopt_one_target(prog, "capacity", argc, optind) != 0)
        return -1;
    if (cfg->step_ns < 2 * cfg->interval_ns) {
        fprintf(stderr,
                "%s: --step %.0fs must hold at least two --interval of %.0fs: use a longer "
                "--step or a shorter --interval, e.g. --step 30s --interval 10s\n",
                prog, (double)cfg->step_ns / 1e9, (double)cfg->interval_ns / 1e9);
        return -1;
    }
    if (cfg->step_ns % cfg->interval_ns != 0) {
        fprintf(stderr,
                "%s: --step %.3gs is not a whole number of --interval %.3gs: a short last "
                "interval would be judged on too few packets\n",
                prog, (double)cfg->step_ns / 1e9, (double)cfg->interval_ns / 1e9);
        return -1;
    }
    snprintf(sc->target, sizeof(sc->target), "%s", argv[optind]);
    ctx->progress = !ctx->quiet && !ctx->json && isatty(STDERR_FILENO);
    return 0;
}

static void on_record(void *arg, const struct vr_rec_ref *r)
{
    struct cap_ctx *ctx = arg;
    if (!ctx->json)
        return;
    json_t *j = vr_rec_ref_to_json(r);
    if (j != NULL)
        vr_report_jsonl(stdout, j);
    json_decref(j);
}

static void verdict_cell(const struct vr_capacity_step *st, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", vr_level_name(st->verdict),
             st->loss_stop     ? " (stop)"
             : st->interrupted ? " (int.)"
                               : "");
}

static void on_step(void *arg, const struct vr_capacity_step *st, bool finished)
{
    struct cap_ctx *ctx = arg;
    char v[32];
    if (!ctx->progress || !finished)
        return;
    verdict_cell(st, v, sizeof(v));
    fprintf(stderr, "\r\033[K  step %u: %u call%s, %.1f kbit/s each way: %s%s%s\n", st->index + 1,
            st->calls, st->calls == 1 ? "" : "s", st->bps_fwd / 1e3, v, st->has_failure ? ", " : "",
            st->has_failure ? st->failure.reason : "");
    fflush(stderr);
}

static void on_progress(void *arg, const struct vr_capacity_progress *p)
{
    struct cap_ctx *ctx = arg;
    const struct vr_capacity_step *st = p->step;
    char jf[VR_REPORT_MS_LEN], jr[VR_REPORT_MS_LEN];
    /* as in test: the step's end, not past it, while its late replies drain */
    bool over = p->elapsed_s >= p->total_s;
    if (!ctx->progress)
        return;
    fprintf(stderr, "\r\033[K  step %u: %u call%s, %.1f kbit/s, %.0f/%.0f s%s", st->index + 1,
            st->calls, st->calls == 1 ? "" : "s", st->bps_fwd / 1e3,
            over ? p->total_s : p->elapsed_s, p->total_s, over ? ", finishing" : "");
    if (st->intervals > 0)
        fprintf(stderr, " | last interval: loss %.2f/%.2f %%, jitter %s/%s (fwd/rev)",
                st->last_loss_fwd_pct, st->last_loss_rev_pct,
                vr_report_ms(st->last_jitter_fwd_ms, 0, jf, sizeof(jf)),
                vr_report_ms(st->last_jitter_rev_ms, 0, jr, sizeof(jr)));
    fflush(stderr);
}

static void on_done(void *arg, const struct vr_capacity_result *res)
{
    struct cap_ctx *ctx = arg;
    ctx->res = res;
    ctx->done = true;
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct cap_ctx *ctx = h->data;
    (void)signum;
    if (ctx->progress)
        fprintf(stderr, "\r\033[K  interrupted: finishing the step's measurement...\n");
    vr_capacity_interrupt(ctx->cap);
}

static void pct_cell(double v, char *buf, size_t len)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", v);
}

static void print_table(FILE *f, const struct cap_ctx *ctx, const struct vr_capacity_result *res)
{
    const struct vr_capacity_config *cfg = &ctx->cfg;
    const char *pname = cfg->session.profile != NULL ? cfg->session.profile->name : NULL;

    fprintf(f,
            "\nvoiceready capacity to %s: mix %s%s%s, IPv%d, thresholds %s, %.0f s steps of "
            "%.0f s intervals, max rate %.2f Mbit/s\n\n",
            cfg->session.target, ctx->mix_text, pname ? ", profile " : "", pname ? pname : "",
            res->ipv6 ? 6 : 4, cfg->session.thr.name, (double)cfg->step_ns / 1e9,
            (double)cfg->interval_ns / 1e9, cfg->max_rate_bps / 1e6);
    fprintf(f, "%4s %6s %10s %10s  %-13s %15s %17s %10s %15s\n", "step", "calls", "fwd kbit/s",
            "rev kbit/s", "verdict", "loss fwd/rev %", "jitter fwd/rev", "rtt p95",
            "DSCP kept f/r %");
    for (size_t i = 0; i < res->n_steps; i++) {
        const struct vr_capacity_step *st = &res->steps[i];
        char v[32], loss[32], jit[48], d1[16], d2[16], dscp[40];
        char jf[VR_REPORT_MS_LEN], jr[VR_REPORT_MS_LEN], rtt[VR_REPORT_MS_LEN];
        verdict_cell(st, v, sizeof(v));
        snprintf(loss, sizeof(loss), "%.2f / %.2f", st->loss_fwd_pct, st->loss_rev_pct);
        /* 17 columns: 7 + " / " + 7, padded by vr_report_ms (µs is 2 bytes, 1 column) */
        snprintf(jit, sizeof(jit), "%s / %s", vr_report_ms(st->jitter_fwd_ms, 7, jf, sizeof(jf)),
                 vr_report_ms(st->jitter_rev_ms, -7, jr, sizeof(jr)));
        pct_cell(st->dscp_fwd_pct, d1, sizeof(d1));
        pct_cell(st->dscp_rev_pct, d2, sizeof(d2));
        snprintf(dscp, sizeof(dscp), "%s / %s", d1, d2);
        fprintf(f, "%4u %6u %10.1f %10.1f  %-13s %15s %s %s %15s\n", st->index + 1, st->calls,
                st->bps_fwd / 1e3, st->bps_rev / 1e3, v, loss, jit,
                vr_report_ms(st->rtt_p95_ms, 10, rtt, sizeof(rtt)), dscp);
    }
    if (res->error != 0) {
        fprintf(f, "\nNo capacity figure: the ramp stopped on an error (below).\n");
        fflush(f);
        return;
    }
    fprintf(f, "\nCapacity: %u call%s", res->capacity_calls, res->capacity_calls == 1 ? "" : "s");
    if (res->capacity_calls > 0)
        fprintf(f, " (%.1f kbit/s forward, %.1f kbit/s reverse on the wire)",
                res->capacity_bps_fwd / 1e3, res->capacity_bps_rev / 1e3);
    fprintf(f, "; ramp stopped: %s; cause: %s; verdict: %s\n", vr_ramp_limit_name(res->limit),
            res->cause, vr_level_name(res->verdict));
    for (size_t i = 0; i < res->n_reasons; i++)
        fprintf(f, "  - %s\n", res->reasons[i]);
    fflush(f);
}

int vr_cmd_capacity(const char *prog, int argc, char **argv)
{
    struct cap_ctx ctx = {.prog = prog};
    struct vr_capacity_hooks hooks = {on_record, on_step, on_progress, on_done, &ctx};
    struct vr_errbuf eb = {{0}};
    uv_loop_t *loop;
    char host[128];
    uint16_t port;
    int rc = parse_args(&ctx, argc, argv), status;

    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    if (vr_parse_hostport(ctx.cfg.session.target, DEFAULT_PORT, host, sizeof(host), &port, &eb) !=
            0 ||
        vr_sock_resolve(host, port, false, &ctx.cfg.session.dst, &ctx.cfg.session.dst_len, &eb) !=
            0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        return EXIT_USAGE;
    }
    loop = uv_default_loop();
    rc = vr_capacity_init(loop, &ctx.cfg, &hooks, &ctx.cap, &eb);
    if (rc == 0)
        rc = vr_capacity_start(ctx.cap, &eb);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg[0] ? eb.msg : vr_strerror(rc));
        vr_capacity_free(ctx.cap);
        return EXIT_USAGE;
    }
    uv_signal_init(loop, &ctx.sigint);
    uv_signal_init(loop, &ctx.sigterm);
    ctx.sigint.data = ctx.sigterm.data = &ctx;
    uv_signal_start(&ctx.sigint, on_signal, SIGINT);
    uv_signal_start(&ctx.sigterm, on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    if (ctx.progress)
        fprintf(stderr, "\r\033[K");
    status = EXIT_USAGE;
    if (ctx.done) {
        const struct vr_capacity_result *res = ctx.res;
        bool measured = false;
        for (size_t i = 0; i < res->n_steps; i++)
            measured |= res->steps[i].intervals > 0;
        /* after an error, show the steps that were measured, but no capacity figure */
        if (!ctx.json && (res->error == 0 || measured))
            print_table(stdout, &ctx, res);
        if (res->error != 0)
            fprintf(stderr, "%s: %s\n", prog, res->errmsg);
        else if (res->limit == VR_RAMP_INTERRUPTED || res->capacity_calls == 0)
            status = 1;
        else
            status = 0;
    }
    vr_capacity_free(ctx.cap);
    uv_loop_close(loop);
    return status;
}
