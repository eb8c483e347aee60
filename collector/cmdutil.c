/* cmdutil: what the collector's commands share: --config, an unknown option, opening the
 * store with each site's thresholds and plan. Messages go to stderr as "PROG: ..."; no state. */
#include "cmdutil.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int vr__cmd_cfg_init(struct vr__cmd_cfg *h, struct vr_config *cfg)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    return vr__cmd_cfg_swap(h, cfg);
}

const struct vr_config *vr__cmd_cfg_get(struct vr__cmd_cfg *h)
{
    pthread_mutex_lock(&h->lock);
    const struct vr_config *c = h->cur;
    pthread_mutex_unlock(&h->lock);
    return c;
}

int vr__cmd_cfg_swap(struct vr__cmd_cfg *h, struct vr_config *cfg)
{
    struct vr_config *c = malloc(sizeof(*c));
    struct vr_config **k = realloc(h->kept, (h->n_kept + 1) * sizeof(*k));
    if (c == NULL || k == NULL) {
        free(c);
        if (k != NULL)
            h->kept = k;
        return -1;
    }
    *c = *cfg;
    vr_config_init(cfg); /* contents moved into c */
    h->kept = k;
    pthread_mutex_lock(&h->lock);
    h->kept[h->n_kept++] = c;
    h->cur = c;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

void vr__cmd_cfg_free(struct vr__cmd_cfg *h)
{
    for (size_t i = 0; i < h->n_kept; i++) {
        vr_config_free(h->kept[i]);
        free(h->kept[i]);
    }
    free(h->kept);
    h->kept = NULL;
    h->n_kept = 0;
    h->cur = NULL;
    pthread_mutex_destroy(&h->lock);
}

size_t vr__cmd_cfg_log_changes(const char *prog, const char *file, const struct vr_config *old,
                               const struct vr_config *cur)
{
    size_t n = 0;
    static const struct {
        const char *name;
        size_t off, len;
    } restart[] = {
        {"listen", offsetof(struct vr_config, listen), sizeof(((struct vr_config *)0)->listen)},
        {"db", offsetof(struct vr_config, db), sizeof(((struct vr_config *)0)->db)},
        {"tls_cert", offsetof(struct vr_config, tls_cert),
         sizeof(((struct vr_config *)0)->tls_cert)},
        {"tls_key", offsetof(struct vr_config, tls_key), sizeof(((struct vr_config *)0)->tls_key)},
    };
    for (size_t i = 0; i < sizeof(restart) / sizeof(restart[0]); i++) {
        const char *a = (const char *)old + restart[i].off;
        const char *b = (const char *)cur + restart[i].off;
        if (strncmp(a, b, restart[i].len) != 0) {
            fprintf(stderr, "%s: reload %s: %s changed: restart to apply\n", prog, file,
                    restart[i].name);
            n++;
        }
    }
    if (old->max_body != cur->max_body) {
        fprintf(stderr, "%s: reload %s: max_body changed: restart to apply\n", prog, file);
        n++;
    }
    if (old->retention_days != cur->retention_days) {
        fprintf(stderr, "%s: reload %s: retention_days %u -> %u\n", prog, file, old->retention_days,
                cur->retention_days);
        n++;
    }
    if (old->silent_after_ns != cur->silent_after_ns) {
        fprintf(stderr, "%s: reload %s: silent_after %llu s -> %llu s\n", prog, file,
                (unsigned long long)(old->silent_after_ns / 1000000000ull),
                (unsigned long long)(cur->silent_after_ns / 1000000000ull));
        n++;
    }
    for (size_t i = 0; i < old->n_sites; i++) {
        if (vr_config_site(cur, old->sites[i].name) == NULL) {
            fprintf(stderr, "%s: reload %s: site %s removed\n", prog, file, old->sites[i].name);
            n++;
        }
    }
    for (size_t i = 0; i < cur->n_sites; i++) {
        const struct vr_config_site *b = &cur->sites[i];
        const struct vr_config_site *a = vr_config_site(old, b->name);
        if (a == NULL) {
            fprintf(stderr, "%s: reload %s: site %s added\n", prog, file, b->name);
            n++;
            continue;
        }
        if (memcmp(&a->thresholds, &b->thresholds, sizeof(a->thresholds)) != 0) {
            fprintf(stderr, "%s: reload %s: site %s: thresholds changed\n", prog, file, b->name);
            n++;
        }
        if (a->planned_peak_calls != b->planned_peak_calls ||
            memcmp(&a->plan, &b->plan, sizeof(a->plan)) != 0) {
            fprintf(stderr, "%s: reload %s: site %s: plan changed\n", prog, file, b->name);
            n++;
        }
        if (a->silent_after_ns != b->silent_after_ns) {
            fprintf(stderr, "%s: reload %s: site %s: silent_after %llu s -> %llu s\n", prog, file,
                    b->name, (unsigned long long)(a->silent_after_ns / 1000000000ull),
                    (unsigned long long)(b->silent_after_ns / 1000000000ull));
            n++;
        }
    }
    if (n == 0)
        fprintf(stderr, "%s: reload %s: no change\n", prog, file);
    return n;
}

/* With a holder (serve), every callback reads the config in force (SIGHUP swaps it). */
static int held_site_thresholds(void *arg, const char *site, struct vr_thresholds *out)
{
    vr_config_thresholds(vr__cmd_cfg_get(arg), site, out);
    return 0;
}

static bool held_site_plan(void *arg, const char *site, struct vr_plan_input *out)
{
    return vr_config_plan(vr__cmd_cfg_get(arg), site, out);
}

static const char *held_configured_site(void *arg, size_t i)
{
    const struct vr_config *cfg = vr__cmd_cfg_get(arg);
    return i < cfg->n_sites ? cfg->sites[i].name : NULL;
}

static uint64_t held_site_silent_after(void *arg, const char *site)
{
    return vr_config_silent_after(vr__cmd_cfg_get(arg), site);
}

static int open_store(const char *prog, const char *db, const struct vr_store_options *opt,
                      bool serving, struct vr_store **out);

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
    return open_store(prog, db, &so, serving, out);
}

int vr__cmd_create_store(const char *prog, const char *db, struct vr_store **out)
{
    struct vr_store_options so = {0};
    return open_store(prog, db, &so, true, out);
}

int vr__cmd_open_store_held(const char *prog, const char *db, struct vr__cmd_cfg *h, bool serving,
                            struct vr_store **out)
{
    struct vr_store_options so = {.retention_days = vr__cmd_cfg_get(h)->retention_days,
                                  .checkpoint_thread = serving,
                                  .site_thresholds = held_site_thresholds,
                                  .site_thresholds_arg = h,
                                  .site_plan = held_site_plan,
                                  .site_plan_arg = h,
                                  .configured_site = held_configured_site,
                                  .site_silent_after = held_site_silent_after,
                                  .sites_arg = h};
    return open_store(prog, db, &so, serving, out);
}

static int open_store(const char *prog, const char *db, const struct vr_store_options *opt,
                      bool serving, struct vr_store **out)
{
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
    if (vr_store_open(db, opt, out, &eb) < 0) {
        char msg[VR_ERRBUF_SIZE + 64];
        snprintf(msg, sizeof(msg), "%s", eb.msg[0] ? eb.msg : "cannot open the database");
        return vr_cmd_fail(prog, msg);
    }
    return 0;
}
