/* cmd_run: `voiceready-agent run --config FILE [--check]`: the unattended daemon's options,
 * its loop and its signals (SIGHUP reloads, SIGINT/SIGTERM stop). Exit status 0, or 2 for a
 * usage or runtime error. The daemon itself is daemon.c. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

#include "cliopt.h"
#include "commands.h"
#include "daemon.h"

#define EXIT_USAGE VR_CMD_EXIT_USAGE

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

static void usage(FILE *f, const char *prog)
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

enum { OPT_CONFIG = VR_CLIOPT_LONG_ONLY, OPT_CHECK };

/* long options only but --help: -c is --class in test and trace (cliopt.h) */
const struct option vr_cmd_run_options[] = {{"config", required_argument, NULL, OPT_CONFIG},
                                            {"check", no_argument, NULL, OPT_CHECK},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};

int vr_cmd_run(const char *prog, int argc, char **argv)
{
    const char *config = NULL;
    bool check = false;
    struct run_ctx ctx = {0};
    struct vr_errbuf eb = {{0}};
    uv_loop_t *loop = uv_default_loop();
    char shortopts[8];
    int c, rc;

    (void)vr_cliopt_shortopts(vr_cmd_run_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_run_options, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            fprintf(stderr,
                    "%s: run: unknown option or missing value \"%s\"; see '%s run --help'\n", prog,
                    argv[optind - 1], prog);
            return EXIT_USAGE;
        }
    }
    if (config == NULL || optind != argc)
        return vr_cmd_fail(prog, "run needs --config FILE (see 'voiceready-agent run --help')");
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
