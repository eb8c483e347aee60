#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"
#include "parse.h"

struct load_ctx {
    struct vr_config *cfg;
    char *msg; /* the current entry's message, without FILE:LINE (the layer adds it) */
    size_t msglen;
};

enum section_kind { SEC_SERVER, SEC_SITE };

static const char *const server_keys[] = {
    "listen", "db", "max_body", "tls_cert", "tls_key", "retention_days", "silent_after", NULL};
static const char *const site_keys[] = {
    "thresholds", "planned_peak_calls", "users",        "peak_concurrency_pct",
    "mix",        "growth_pct",         "silent_after", NULL};
/* in enum section_kind order */
static const struct vr_inifile_section sections[] = {
    {"server", false, server_keys},
    {"site", true, site_keys},
};

static int copy_str(struct load_ctx *c, const char *key, const char *value, char *dst, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || n >= cap) {
        snprintf(c->msg, c->msglen, "key \"%s\": expected a value of 1..%zu characters", key,
                 cap - 1);
        return 0;
    }
    memcpy(dst, value, n + 1);
    return 1;
}

/* silent_after: a duration from 10 s to 30 days (shorter than an interval would flap) */
static int parse_silent_after(struct load_ctx *c, const char *value, uint64_t *out)
{
    struct vr_errbuf eb = {{0}};
    if (vr_parse_duration_ns(value, "silent_after", out, &eb) < 0) {
        snprintf(c->msg, c->msglen, "%s", eb.msg);
        return 0;
    }
    if (*out < 10000000000ull || *out > 30ull * 86400 * 1000000000ull) {
        snprintf(c->msg, c->msglen,
                 "key \"silent_after\": \"%s\" is out of range: expected 10s to 30 days, "
                 "e.g. 5m",
                 value);
        return 0;
    }
    return 1;
}

static struct vr_config_site *site_entry(struct load_ctx *c, const char *name)
{
    struct vr_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_sites; i++)
        if (strcmp(cfg->sites[i].name, name) == 0)
            return &cfg->sites[i];
    size_t n = strlen(name); /* 1 to 63 characters: the layer checked */
    if (cfg->n_sites >= VR_CONFIG_MAX_SITES) {
        snprintf(c->msg, c->msglen, "more than %d [site] sections", VR_CONFIG_MAX_SITES);
        return NULL;
    }
    struct vr_config_site *s = realloc(cfg->sites, (cfg->n_sites + 1) * sizeof(*s));
    if (s == NULL) {
        snprintf(c->msg, c->msglen, "out of memory");
        return NULL;
    }
    cfg->sites = s;
    struct vr_config_site *e = &s[cfg->n_sites++];
    memset(e, 0, sizeof(*e));
    memcpy(e->name, name, n + 1);
    (void)vr_thresholds_by_name("client", &e->thresholds, NULL);
    vr_plan_input_init(&e->plan);
    return e;
}

static int handle_server(struct load_ctx *c, const char *key, const char *value)
{
    struct vr_config *cfg = c->cfg;
    struct vr_errbuf eb;
    uint64_t v = 0;
    if (strcmp(key, "listen") == 0)
        return copy_str(c, key, value, cfg->listen, sizeof(cfg->listen));
    if (strcmp(key, "db") == 0)
        return copy_str(c, key, value, cfg->db, sizeof(cfg->db));
    if (strcmp(key, "tls_cert") == 0)
        return copy_str(c, key, value, cfg->tls_cert, sizeof(cfg->tls_cert));
    if (strcmp(key, "tls_key") == 0)
        return copy_str(c, key, value, cfg->tls_key, sizeof(cfg->tls_key));
    if (strcmp(key, "max_body") == 0) {
        if (vr_parse_u64(value, "max_body", 1024, (uint64_t)1 << 30, &v, &eb) < 0) {
            snprintf(c->msg, c->msglen, "%s", eb.msg);
            return 0;
        }
        cfg->max_body = (size_t)v;
        return 1;
    }
    if (strcmp(key, "retention_days") == 0) {
        if (vr_parse_u64(value, "retention_days", 1, 3650, &v, &eb) < 0) {
            snprintf(c->msg, c->msglen, "%s", eb.msg);
            return 0;
        }
        cfg->retention_days = (unsigned)v;
        return 1;
    }
    if (strcmp(key, "silent_after") == 0)
        return parse_silent_after(c, value, &cfg->silent_after_ns);
    snprintf(c->msg, c->msglen, "unknown key \"%s\"", key);
    return 0;
}

static int handle_plan(struct load_ctx *c, struct vr_config_site *s, const char *key,
                       const char *value);

static int handle_site(struct load_ctx *c, const char *name, const char *key, const char *value)
{
    struct vr_config_site *s = site_entry(c, name);
    struct vr_errbuf eb;
    if (s == NULL)
        return 0;
    if (strcmp(key, "thresholds") == 0) {
        if (strcmp(value, "client") != 0 && strcmp(value, "edge") != 0) {
            snprintf(c->msg, c->msglen,
                     "key \"thresholds\": \"%s\" is not a threshold set; use client or edge",
                     value);
            return 0;
        }
        if (vr_thresholds_by_name(value, &s->thresholds, &eb) < 0) {
            snprintf(c->msg, c->msglen, "%s", eb.msg);
            return 0;
        }
        return 1;
    }
    if (strcmp(key, "planned_peak_calls") == 0) {
        uint64_t v = 0;
        if (vr_parse_u64(value, "planned_peak_calls", 0, 100000, &v, &eb) < 0) {
            snprintf(c->msg, c->msglen, "%s", eb.msg);
            return 0;
        }
        s->planned_peak_calls = (uint32_t)v;
        s->plan.peak_calls = (uint32_t)v;
        return 1;
    }
    if (strcmp(key, "silent_after") == 0)
        return parse_silent_after(c, value, &s->silent_after_ns);
    return handle_plan(c, s, key, value);
}

/* The planning keys of a [site] section (common/plan.h). */
static int handle_plan(struct load_ctx *c, struct vr_config_site *s, const char *key,
                       const char *value)
{
    struct vr_errbuf eb = {{0}};
    int rc = 1;
    if (strcmp(key, "users") == 0) {
        uint64_t v = 0;
        if (vr_parse_u64(value, "users", 1, VR_PLAN_MAX_USERS, &v, &eb) < 0)
            rc = 0;
        s->plan.users = (uint32_t)v;
    } else if (strcmp(key, "peak_concurrency_pct") == 0) {
        if (vr_plan_parse_pct(value, "peak_concurrency_pct", 10000, &s->plan.concurrency_cpct,
                              &eb) < 0 ||
            (s->plan.concurrency_cpct == 0 &&
             vr_errbuf_set(&eb, VR_EINVAL, "peak_concurrency_pct: expected more than 0 %%") < 0))
            rc = 0;
    } else if (strcmp(key, "growth_pct") == 0) {
        if (vr_plan_parse_pct(value, "growth_pct", VR_PLAN_MAX_GROWTH_CPCT, &s->plan.growth_cpct,
                              &eb) < 0)
            rc = 0;
    } else if (strcmp(key, "mix") == 0) {
        if (vr_plan_parse_mix(value, "mix", s->plan.mix, &eb) < 0)
            rc = 0;
    } else {
        snprintf(c->msg, c->msglen, "unknown key \"%s\"", key);
        return 0;
    }
    if (rc == 0)
        snprintf(c->msg, c->msglen, "%s", eb.msg);
    return rc;
}

/* The layer's callback: one known key of [server] or [site NAME]. */
static int on_entry(void *arg, const struct vr_inifile_entry *e, struct vr_errbuf *eb)
{
    struct load_ctx *c = arg;
    int ok;

    c->msg = eb->msg;
    c->msglen = sizeof(eb->msg);
    if (e->section == SEC_SERVER)
        ok = handle_server(c, e->key, e->value);
    else
        ok = handle_site(c, e->instance, e->key, e->value);
    return ok ? 0 : VR_EINVAL;
}

void vr_config_init(struct vr_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen, sizeof(cfg->listen), "%s", VR_CONFIG_DEFAULT_LISTEN);
    snprintf(cfg->db, sizeof(cfg->db), "%s", VR_CONFIG_DEFAULT_DB);
    cfg->max_body = VR_CONFIG_DEFAULT_BODY;
    cfg->silent_after_ns = VR_LIVENESS_DEFAULT_SILENT_AFTER_NS;
}

int vr_config_load(struct vr_config *cfg, const char *path, struct vr_errbuf *eb)
{
    struct load_ctx c = {.cfg = cfg};
    int rc =
        vr_inifile_parse(path, sections, sizeof(sections) / sizeof(sections[0]), on_entry, &c, eb);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < cfg->n_sites; i++) {
        const struct vr_plan_input *p = &cfg->sites[i].plan;
        if (p->peak_calls == 0 && (p->users > 0) != (p->concurrency_cpct > 0))
            return vr_errbuf_set(
                eb, VR_EINVAL, "%s: [site %s]: %s needs %s too (or give planned_peak_calls)", path,
                cfg->sites[i].name, p->users > 0 ? "users" : "peak_concurrency_pct",
                p->users > 0 ? "peak_concurrency_pct" : "users");
    }
    return 0;
}

void vr_config_free(struct vr_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->sites);
    cfg->sites = NULL;
    cfg->n_sites = 0;
}

const struct vr_config_site *vr_config_site(const struct vr_config *cfg, const char *site)
{
    for (size_t i = 0; i < cfg->n_sites; i++)
        if (strcmp(cfg->sites[i].name, site) == 0)
            return &cfg->sites[i];
    return NULL;
}

void vr_config_thresholds(const struct vr_config *cfg, const char *site, struct vr_thresholds *out)
{
    const struct vr_config_site *s = vr_config_site(cfg, site);
    if (s != NULL) {
        *out = s->thresholds;
        return;
    }
    (void)vr_thresholds_by_name("client", out, NULL);
}

bool vr_config_plan(const struct vr_config *cfg, const char *site, struct vr_plan_input *out)
{
    const struct vr_config_site *s = cfg != NULL ? vr_config_site(cfg, site) : NULL;
    if (s == NULL || !vr_plan_input_valid(&s->plan)) {
        vr_plan_input_init(out);
        return false;
    }
    *out = s->plan;
    return true;
}

uint64_t vr_config_silent_after(const struct vr_config *cfg, const char *site)
{
    const struct vr_config_site *s = vr_config_site(cfg, site);
    return s != NULL && s->silent_after_ns > 0 ? s->silent_after_ns : cfg->silent_after_ns;
}
