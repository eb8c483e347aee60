/* cmd_capture: `voiceready-agent capture (--interface IF | --read FILE)`: options, and the
 * output of the passive RTP analysis (the engine is capture.c): a table row per stream as each
 * stream ends, then an overall line; or with --json one "capture" record per stream (JSON
 * Lines). Exit status: 0 every stream passed, 1 a stream warned or failed, 2 usage or runtime
 * error (a file that is not a capture, is cut mid-record, no permission to capture). */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "capture.h"
#include "cliopt.h"
#include "commands.h"
#include "err.h"
#include "parse.h"
#include "profile.h"
#include "report.h"
#include "rtpparse.h"
#include "rtpstream.h"

struct cap_ctx {
    const char *prog;
    struct vr_capture_config cfg;
    bool json;
    bool header_done;
    uint64_t streams, packets, lost, expected;
    uint64_t n_pass, n_warn, n_fail;
    double worst_loss, worst_jitter;
    int done_err;
    char done_msg[256];
    struct vr_capture *cap;
    uv_signal_t sigint, sigterm;
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s capture (--interface IF | --read FILE) [options]\n\n"
            "Finds RTP streams (real Teams or other VoIP calls) in live traffic or in a\n"
            "pcap/pcapng file and judges each one against the Teams network targets: packets,\n"
            "loss, duplicates, reorder, RFC 3550 jitter, largest gap, DSCP marks, MOS.\n"
            "TURN ChannelData on the relay ports 3478-3481 is unwrapped; STUN is skipped.\n"
            "Exit status: 0 every stream passed, 1 a stream warned or failed, 2 usage or\n"
            "runtime error. Live capture needs CAP_NET_RAW (root, or once:\n"
            "sudo setcap cap_net_raw,cap_net_admin+ep $(command -v voiceready-agent)).\n\n"
            "  --interface IF     capture live on IF (\"any\" for all interfaces)\n"
            "  --read FILE        analyse a pcap or pcapng file\n"
            "  --duration D       stop after D of capture time (default: end of file, or\n"
            "                     Ctrl-C when live)\n"
            "  --filter BPF       libpcap filter, e.g. \"udp portrange 50000-50059\"\n"
            "  --idle D           a stream with no packet for D is over (default 10s)\n"
            "  --clock-rate PT=HZ RTP clock of payload type PT (repeatable). Static types\n"
            "                     use RFC 3551 (0, 8, 9, 18: 8000). For dynamic ones (96-127)\n"
            "                     the clock is inferred from the timestamps' rate (8, 16, 24,\n"
            "                     32, 48 or 90 kHz; streams of 0.5 s or more), else %u\n"
            "  --max-streams N    streams tracked at once (default %d, bounded memory)\n"
            "  --thresholds SET   client (default) or edge\n"
            "  --agent NAME       agent name in records (default: empty)\n"
            "  --site NAME        site name in records (default: empty)\n"
            "  --json             one \"capture\" record per stream (JSON Lines)\n",
            prog, VR_RTP_DYNAMIC_CLOCK_HZ, VR_CAPTURE_MAX_STREAMS_DEFAULT);
}

static int parse_clock_rate(const char *s, uint32_t clock_hz[128], struct vr_errbuf *eb)
{
    char *end;
    unsigned long pt = strtoul(s, &end, 10);
    if (end == s || *end != '=' || pt > 127)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--clock-rate \"%.40s\": expected PT=HZ with PT 0-127, e.g. 111=48000",
                             s);
    const char *h = end + 1;
    unsigned long hz = strtoul(h, &end, 10);
    if (end == h || *end != '\0' || hz < 1000 || hz > 1000000)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--clock-rate \"%.40s\": HZ must be 1000-1000000, e.g. 111=48000", s);
    clock_hz[pt] = (uint32_t)hz;
    return 0;
}

enum { OPT_IDLE = VR_CLIOPT_LONG_ONLY, OPT_CLOCK_RATE, OPT_MAX_STREAMS };

/* short letters: one meaning across every command (cliopt.h): -I interface as in test, -i is
 * their --interval; -r read as tcpdump */
const struct option vr_cmd_capture_options[] = {
    {"interface", required_argument, NULL, 'I'},
    {"read", required_argument, NULL, 'r'},
    {"duration", required_argument, NULL, 'd'},
    {"filter", required_argument, NULL, 'f'},
    {"idle", required_argument, NULL, OPT_IDLE},
    {"clock-rate", required_argument, NULL, OPT_CLOCK_RATE},
    {"max-streams", required_argument, NULL, OPT_MAX_STREAMS},
    {"thresholds", required_argument, NULL, 'T'},
    {"agent", required_argument, NULL, 'a'},
    {"site", required_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* 0 parsed, 1 --help shown, -1 usage error (printed). */
static int parse_args(int argc, char **argv, struct cap_ctx *ctx)
{
    struct vr_capture_config *cfg = &ctx->cfg;
    struct vr_errbuf eb = {{0}};
    char shortopts[64];
    uint64_t v;
    int c;
    (void)vr_thresholds_by_name("client", &cfg->thresholds, NULL);
    optind = 1;
    opterr = 0;
    (void)vr_cliopt_shortopts(vr_cmd_capture_options, "+", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_capture_options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'I':
            cfg->interface = optarg;
            break;
        case 'r':
            cfg->file = optarg;
            break;
        case 'd':
            rc = vr_parse_duration_ns(optarg, "--duration", &cfg->duration_ns, &eb);
            if (rc == 0 && cfg->duration_ns == 0)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--duration: must be above 0, e.g. 60s");
            break;
        case 'f':
            cfg->filter = optarg;
            break;
        case OPT_IDLE:
            rc = vr_parse_duration_ns(optarg, "--idle", &cfg->idle_ns, &eb);
            if (rc == 0 && cfg->idle_ns < 100000000u)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--idle: at least 100ms, e.g. 10s");
            break;
        case OPT_CLOCK_RATE:
            rc = parse_clock_rate(optarg, cfg->clock_hz, &eb);
            break;
        case OPT_MAX_STREAMS:
            rc = vr_parse_u64(optarg, "--max-streams", 1, 1u << 20, &v, &eb);
            cfg->max_streams = (size_t)v;
            break;
        case 'T':
            rc = vr_thresholds_by_name(optarg, &cfg->thresholds, &eb);
            break;
        case 'a':
            cfg->agent = optarg;
            break;
        case 's':
            cfg->site = optarg;
            break;
        case 'j':
            ctx->json = true;
            break;
        case 'h':
            usage(stdout, ctx->prog);
            vr_cliopt_print_short(stdout, vr_cmd_capture_options);
            return 1;
        default:
            fprintf(stderr,
                    "%s: capture: unknown option or missing value \"%s\"; see '%s capture "
                    "--help'\n",
                    ctx->prog, argv[optind - 1], ctx->prog);
            return -1;
        }
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", ctx->prog, eb.msg);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: capture takes no arguments besides options: \"%s\" (see --help)\n",
                ctx->prog, argv[optind]);
        return -1;
    }
    if ((cfg->interface == NULL) == (cfg->file == NULL)) {
        fprintf(stderr,
                "%s: capture needs exactly one of --interface IF or --read FILE, e.g. %s "
                "capture --read call.pcap\n",
                ctx->prog, ctx->prog);
        return -1;
    }
    return 0;
}

/* NAN (a null in the record) prints as 0, as the table always has. */
static double num0(double v)
{
    return isnan(v) ? 0.0 : v;
}

/* "EF", "EF+CS0" (the most frequent first, + when there are more), "-" when none. */
static void dscp_label(const uint64_t dscp[64], char *buf, size_t len)
{
    uint64_t best = 0;
    int best_dscp = -1, n = 0;
    for (int i = 0; i < 64; i++) {
        if (dscp[i] == 0)
            continue;
        n++;
        if (dscp[i] > best) { /* strict: the lowest mark on ties */
            best = dscp[i];
            best_dscp = i;
        }
    }
    if (best_dscp < 0) {
        snprintf(buf, len, "-");
        return;
    }
    const char *name = vr_dscp_name((unsigned)best_dscp);
    char num[16];
    snprintf(num, sizeof(num), "%d", best_dscp);
    snprintf(buf, len, "%s%s", name != NULL ? name : num, n > 1 ? "+" : "");
}

static void on_record(void *arg, const struct vr_rec_ref *ref)
{
    struct cap_ctx *ctx = arg;
    const struct vr_rec_capture *rec = ref->capture;
    ctx->streams++;
    ctx->packets += rec->packets;
    ctx->lost += rec->lost;
    ctx->expected += rec->expected > 0 ? (uint64_t)rec->expected : 0;
    if (rec->loss_pct > ctx->worst_loss)
        ctx->worst_loss = rec->loss_pct;
    if (rec->jitter_ms > ctx->worst_jitter)
        ctx->worst_jitter = rec->jitter_ms;
    if (rec->verdict == VR_LEVEL_FAIL)
        ctx->n_fail++;
    else if (rec->verdict == VR_LEVEL_WARN)
        ctx->n_warn++;
    else
        ctx->n_pass++;
    if (ctx->json) {
        json_t *j = vr_rec_ref_to_json(ref);
        vr_report_jsonl(stdout, j);
        json_decref(j);
        return;
    }
    if (!ctx->header_done) {
        ctx->header_done = true;
        printf("%-47s %-10s %3s %7s %7s %8s %8s %-7s %-7s %4s %s\n", "stream (src -> dst)", "ssrc",
               "pt", "packets", "lost", "jitter", "maxgap", "class", "dscp", "mos", "verdict");
    }
    char flow[140], dscp[24], lost[24], jit[VR_REPORT_MS_LEN], gap[VR_REPORT_MS_LEN];
    snprintf(flow, sizeof(flow), "%s -> %s", rec->src, rec->dst);
    dscp_label(rec->dscp, dscp, sizeof(dscp));
    snprintf(lost, sizeof(lost), "%.2f%%", num0(rec->loss_pct));
    vr_report_ms(num0(rec->jitter_ms), 8, jit, sizeof(jit));
    vr_report_ms(num0(rec->max_delta_ms), 8, gap, sizeof(gap));
    printf("%-47s %-10s %3d %7" PRIu64 " %7s %s %s %-7s %-7s %4.2f %s", flow, rec->ssrc,
           (int)(rec->payload_type > 0 ? rec->payload_type : 0), rec->packets, lost, jit, gap,
           vr_rec_capture_class_names[rec->cls], dscp, num0(rec->mos), vr_level_name(rec->verdict));
    if (rec->n_reasons > 0)
        printf(" (%s)", rec->reasons[0]);
    printf("\n");
    fflush(stdout);
}

static void print_overall(struct cap_ctx *ctx)
{
    struct vr_capture_counters n;
    vr_capture_counters(ctx->cap, &n);
    if (ctx->json)
        return;
    if (ctx->streams == 0) {
        printf("no RTP streams found in %" PRIu64 " frames (%" PRIu64 " UDP not RTP, %" PRIu64
               " STUN, %" PRIu64 " truncated)\n",
               n.frames, n.by_status[VR_RTPP_NOT_RTP], n.by_status[VR_RTPP_STUN], n.truncated);
        return;
    }
    const char *v = ctx->n_fail > 0 ? "fail" : ctx->n_warn > 0 ? "warn" : "pass";
    double loss = ctx->expected > 0 ? 100.0 * (double)ctx->lost / (double)ctx->expected : 0.0;
    char jit[VR_REPORT_MS_LEN];
    printf("overall: %s — %" PRIu64 " streams (%" PRIu64 " pass, %" PRIu64 " warn, %" PRIu64
           " fail), %" PRIu64 " packets, %" PRIu64 " lost (%.2f%%), worst loss %.2f%%, worst "
           "jitter %s",
           v, ctx->streams, ctx->n_pass, ctx->n_warn, ctx->n_fail, ctx->packets, ctx->lost, loss,
           ctx->worst_loss, vr_report_ms(ctx->worst_jitter, 0, jit, sizeof(jit)));
    if (n.table_full_drops > 0)
        printf("; %" PRIu64 " packets dropped: stream table full (raise --max-streams)",
               n.table_full_drops);
    if (n.kernel_drops > 0)
        printf("; %" PRIu64 " packets dropped by the kernel (capture too slow)", n.kernel_drops);
    printf("\n");
}

static int exit_status(const struct cap_ctx *ctx)
{
    return ctx->n_fail > 0 || ctx->n_warn > 0 ? 1 : 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct cap_ctx *ctx = s->data;
    (void)signum;
    vr_capture_stop(ctx->cap);
}

static void on_done(void *arg, int err, const char *msg)
{
    struct cap_ctx *ctx = arg;
    ctx->done_err = err;
    if (msg != NULL)
        snprintf(ctx->done_msg, sizeof(ctx->done_msg), "%s", msg);
    uv_signal_stop(&ctx->sigint);
    uv_signal_stop(&ctx->sigterm);
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
    vr_capture_close(ctx->cap, NULL, NULL);
}

static int run_live(struct cap_ctx *ctx)
{
    uv_loop_t loop;
    struct vr_errbuf eb = {{0}};
    int rc = uv_loop_init(&loop);
    if (rc < 0) {
        fprintf(stderr, "%s: capture: %s\n", ctx->prog, uv_strerror(rc));
        return 2;
    }
    uv_signal_init(&loop, &ctx->sigint);
    uv_signal_init(&loop, &ctx->sigterm);
    ctx->sigint.data = ctx->sigterm.data = ctx;
    uv_signal_start(&ctx->sigint, on_signal, SIGINT);
    uv_signal_start(&ctx->sigterm, on_signal, SIGTERM);
    rc = vr_capture_start(ctx->cap, &loop, &eb);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", ctx->prog, eb.msg);
        uv_close((uv_handle_t *)&ctx->sigint, NULL);
        uv_close((uv_handle_t *)&ctx->sigterm, NULL);
        vr_capture_close(ctx->cap, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 2;
    }
    if (!ctx->json)
        fprintf(stderr, "capturing on %s%s; Ctrl-C to stop\n", ctx->cfg.interface,
                ctx->cfg.filter != NULL ? " (filtered)" : "");
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (ctx->done_err < 0) {
        fprintf(stderr, "%s: %s\n", ctx->prog, ctx->done_msg);
        return 2;
    }
    print_overall(ctx);
    return exit_status(ctx);
}

int vr_cmd_capture(const char *prog, int argc, char **argv)
{
    struct cap_ctx ctx;
    struct vr_errbuf eb = {{0}};
    memset(&ctx, 0, sizeof(ctx));
    ctx.prog = prog;
    int rc = parse_args(argc, argv, &ctx);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    ctx.cfg.on_record = on_record;
    ctx.cfg.on_done = on_done;
    ctx.cfg.arg = &ctx;
    rc = vr_capture_new(&ctx.cfg, &ctx.cap, &eb);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        return 2;
    }
    int status;
    if (ctx.cfg.interface != NULL) {
        status = run_live(&ctx);
    } else {
        rc = vr_capture_run_file(ctx.cap, &eb);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, eb.msg);
            status = 2;
        } else {
            print_overall(&ctx);
            status = exit_status(&ctx);
        }
    }
    vr_capture_free(ctx.cap);
    return status;
}
