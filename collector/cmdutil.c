/* cmdutil: what the collector's commands share: --config, an unknown option, opening the
 * store with each site's thresholds and plan. Messages go to stderr as "PROG: ..."; no state. */
#include "cmdutil.h"

#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmdtab.h"

int vr__cmd_load_config(const char *prog, const char *path, struct vr_config *cfg)
{
    struct vr_errbuf eb = {{0}};
    vr_config_init(cfg);
    if (path != NULL && vr_config_load(cfg, path, &eb) < 0) {
        vr_config_free(cfg);
        return vr_cmd_fail(prog, eb.msg);
    }
    return 0;
}

int vr__cmd_bad_option(const char *prog, char **argv, int c)
{
    char msg[200];
    const char *arg = argv[optind - 1];
    if (c == ':')
        snprintf(msg, sizeof(msg), "%s needs a value (see --help)", arg);
    else
        snprintf(msg, sizeof(msg), "unknown option %s (see --help)", arg);
    return vr_cmd_fail(prog, msg);
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

/* ... and the liveness rule with the configured sites and each one's silent_after. */
static const char *configured_site(void *arg, size_t i)
{
    const struct vr_config *cfg = arg;
    return i < cfg->n_sites ? cfg->sites[i].name : NULL;
}

static uint64_t site_silent_after(void *arg, const char *site)
{
    return vr_config_silent_after(arg, site);
}

int vr__cmd_open_store(const char *prog, const char *db, const struct vr_config *cfg, bool serving,
                       struct vr_store **out)
{
    struct vr_store_options so = {.retention_days = cfg != NULL ? cfg->retention_days : 0,
                                  .checkpoint_thread = serving};
    if (cfg != NULL) {
        so.site_thresholds = site_thresholds;
        so.site_thresholds_arg = (void *)cfg;
        so.site_plan = site_plan;
        so.site_plan_arg = (void *)cfg;
        so.configured_site = configured_site;
        so.site_silent_after = site_silent_after;
        so.sites_arg = (void *)cfg;
    }
    /* Only serve creates a database: elsewhere a typo'd path must not leave an empty db that
     * then "works" with no tokens and no data. */
    struct stat st;
    if (!serving && stat(db, &st) != 0) {
        char msg[4200];
        snprintf(msg, sizeof(msg),
                 "no database at %s: start 'voiceready-collector serve --config FILE' first, or "
                 "check --db/--config",
                 db);
        return vr_cmd_fail(prog, msg);
    }
    struct vr_errbuf eb = {{0}};
    if (vr_store_open(db, &so, out, &eb) < 0) {
        char msg[VR_ERRBUF_SIZE + 64];
        snprintf(msg, sizeof(msg), "%s", eb.msg[0] ? eb.msg : "cannot open the database");
        return vr_cmd_fail(prog, msg);
    }
    return 0;
}
