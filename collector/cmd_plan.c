/* cmd_plan: `voiceready-collector plan`: the planned peak calls and bandwidth of a site from
 * the command line, without a database (plan.c computes, plancmd.c prints). Exit status 0, or
 * 2 for a usage or runtime error. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmdtab.h"
#include "cmdutil.h"
#include "commands.h"
#include "parse.h"
#include "plan.h"
#include "plancmd.h"

static void usage(FILE *f, const char *prog)
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

int vr_cmd_plan(const char *prog, int argc, char **argv)
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
                return vr_cmd_fail(prog, eb.msg);
            in.users = (uint32_t)v;
            have_users = true;
            break;
        case 'c':
            if (vr_plan_parse_pct(optarg, "--concurrency", 10000, &in.concurrency_cpct, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            if (in.concurrency_cpct == 0)
                return vr_cmd_fail(prog, "--concurrency: expected more than 0 %, e.g. 15%");
            have_conc = true;
            break;
        case 'p':
            if (vr_parse_u64(optarg, "--peak-calls", 1, VR_PLAN_MAX_CALLS, &v, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            in.peak_calls = (uint32_t)v;
            break;
        case 'm':
            if (vr_plan_parse_mix(optarg, "--mix", in.mix, &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 'g':
            if (vr_plan_parse_pct(optarg, "--growth", VR_PLAN_MAX_GROWTH_CPCT, &in.growth_cpct,
                                  &eb) < 0)
                return vr_cmd_fail(prog, eb.msg);
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            return vr__cmd_bad_option(prog, argv, c);
        }
    }
    if (optind < argc)
        return vr_cmd_fail(prog, "plan takes no arguments besides options (see --help)");
    if (in.peak_calls > 0 && (have_users || have_conc))
        return vr_cmd_fail(
            prog, "plan: give either --peak-calls or --users with --concurrency, not both");
    if (in.peak_calls == 0 && !(have_users && have_conc))
        return vr_cmd_fail(prog,
                           "plan: give --users N and --concurrency PCT (or --peak-calls N), e.g. "
                           "plan --users 250 --concurrency 15%");
    struct vr_plan p;
    if (vr_plan_compute(&in, &p, &eb) < 0)
        return vr_cmd_fail(prog, eb.msg);
    if (vr_plancmd_write(&in, &p, json, stdout) < 0)
        return vr_cmd_fail(prog, "could not write to stdout");
    return 0;
}
