/* cmd_report: `voiceready-collector report`: site verdicts from the store as text, JSON or CSV
 * (report.c renders them). Exit status 0 when every selected site is Ready, 1 otherwise, 2 for
 * a usage or runtime error. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "api.h"
#include "clock.h"
#include "cmdtab.h"
#include "cmdutil.h"
#include "commands.h"
#include "config.h"
#include "parse.h"
#include "report.h"
#include "store.h"

#define EXIT_USAGE VR_CMD_EXIT_USAGE

static void usage(FILE *f, const char *prog)
{
    fprintf(
        f,
        "usage: %s report [--site SITE] [--since 24h] [--format text|json|csv] [--db FILE]\n"
        "                 [--config FILE]\n\n"
        "  --config FILE   the collector INI file: per-site thresholds and plans (users,\n"
        "                  peak_concurrency_pct, planned_peak_calls, mix, growth_pct), so that\n"
        "                  the verdicts include the capacity rule as `serve` shows them; the\n"
        "                  database is its `db =` unless --db is given (--db wins). The\n"
        "                  database must exist: `serve` creates it.\n\n"
        "Exit status: 0 when every selected site is Ready, 1 otherwise, 2 on errors.\n",
        prog);
}

int vr_cmd_report(const char *prog, int argc, char **argv)
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
                return vr_cmd_fail(prog, eb.msg);
            if (since == 0 || since > VR_API_MAX_WINDOW)
                return vr_cmd_fail(prog, "--since: expected a duration up to 400 days, e.g. 24h");
            break;
        case 'f':
            if (vr_report_parse_format(optarg, &fmt, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 'd':
            db = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            return vr__cmd_bad_option(prog, argv, c);
        }
    }
    if (optind < argc)
        return vr_cmd_fail(prog, "report takes no arguments besides options (see --help)");
    struct vr_config cfg;
    if (vr__cmd_load_config(prog, config, &cfg) != 0)
        return EXIT_USAGE;
    if (db == NULL)
        db = config != NULL ? cfg.db : VR_CONFIG_DEFAULT_DB;
    struct vr_store *store = NULL;
    if (vr__cmd_open_store(prog, db, config != NULL ? &cfg : NULL, false, &store) != 0) {
        vr_config_free(&cfg);
        return EXIT_USAGE;
    }
    int rc = vr_report_write(store, site, vr_clock_wall_ns(), since, fmt, stdout, &eb);
    vr_store_close(store);
    vr_config_free(&cfg);
    if (rc < 0)
        return vr_cmd_fail(prog, eb.msg);
    return rc;
}
