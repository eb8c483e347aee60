/* cmd_reflect: `voiceready-agent reflect`: options, the listeners (by default 0.0.0.0:5004 and
 * [::]:5004), the loop and its signals, and the start and stop lines. Exit status 0, or 2 for
 * a usage or runtime error. The reflector itself is reflect.c. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

#include "cliopt.h"
#include "commands.h"
#include "parse.h"
#include "reflect.h"
#include "sock.h"

#define DEFAULT_PORT 5004
#define EXIT_USAGE   VR_CMD_EXIT_USAGE

struct reflect_ctx {
    const char *prog;
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
                ctx->prog, (unsigned long long)st.answered, (unsigned long long)st.malformed,
                (unsigned long long)st.rate_limited, (unsigned long long)st.send_errors);
    vr_reflector_close(ctx->refl, NULL, NULL);
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s reflect [--listen ADDR:PORT]... [--rate-limit PPS] [--max-streams N] "
            "[--quiet]\n\n"
            "Answers voiceready probes. Default: 0.0.0.0:5004 and [::]:5004 (UDP).\n\n"
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

    rc = vr_parse_hostport(spec, DEFAULT_PORT, host, sizeof(host), &port, eb);
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

/* "listening on 0.0.0.0:5004 and [::]:5004 (UDP)": the addresses as bound, so that a port 0 or
 * a missing IPv6 shows what really answers. */
static void print_listening(const char *prog, const struct vr_reflector *r)
{
    char addr[80];
    size_t n = vr_reflector_addr(r, 0, addr, sizeof(addr));

    fprintf(stderr, "%s: reflector listening on ", prog);
    for (size_t i = 0; i < n; i++) {
        vr_reflector_addr(r, i, addr, sizeof(addr));
        fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", addr);
    }
    fprintf(stderr, " (UDP; Ctrl-C to stop)\n");
}

enum { OPT_RATE_LIMIT = VR_CLIOPT_LONG_ONLY, OPT_MAX_STREAMS };

/* short letters: one meaning across every command (cliopt.h): -r is capture's --read, -m
 * trace's --max-hops */
const struct option vr_cmd_reflect_options[] = {
    {"listen", required_argument, NULL, 'l'},
    {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
    {"max-streams", required_argument, NULL, OPT_MAX_STREAMS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

int vr_cmd_reflect(const char *prog, int argc, char **argv)
{
    struct vr_reflect_config cfg = {.max_streams = 16384, .rate_pps = 100000};
    const char *listens[8];
    size_t n_listen = 0;
    struct reflect_ctx ctx = {.prog = prog};
    struct vr_errbuf eb = {{0}};
    char shortopts[32];
    uint64_t v;
    int c, rc;

    (void)vr_cliopt_shortopts(vr_cmd_reflect_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_reflect_options, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (n_listen == 8)
                return vr_cmd_fail(prog, "--listen: at most 8 addresses");
            listens[n_listen++] = optarg;
            break;
        case OPT_RATE_LIMIT:
            if (vr_parse_u64(optarg, "--rate-limit", 1, 10000000, &v, &eb) != 0)
                return vr_cmd_fail(prog, eb.msg);
            cfg.rate_pps = (uint32_t)v;
            break;
        case OPT_MAX_STREAMS:
            if (vr_parse_u64(optarg, "--max-streams", 64, 1u << 24, &v, &eb) != 0)
                return vr_cmd_fail(prog, eb.msg);
            cfg.max_streams = (uint32_t)v;
            break;
        case 'q':
            ctx.quiet = true;
            break;
        case 'h':
            usage(stdout, prog);
            vr_cliopt_print_short(stdout, vr_cmd_reflect_options);
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
        return vr_cmd_fail(prog, "reflect takes no arguments besides options (see --help)");
    ctx.loop = uv_default_loop();
    if (vr_reflector_init(ctx.loop, &cfg, &ctx.refl) != 0)
        return vr_cmd_fail(prog, "out of memory");
    if (n_listen == 0) {
        rc = add_listener(ctx.refl, "0.0.0.0:5004", false, &eb);
        if (rc >= 0)
            rc = add_listener(ctx.refl, "[::]:5004", true, &eb);
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
        print_listening(prog, ctx.refl);
    uv_run(ctx.loop, UV_RUN_DEFAULT);
    uv_loop_close(ctx.loop);
    return 0;
}
