#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "parse.h"

struct load_ctx {
    struct vr_config *cfg;
    struct vr_errbuf *eb;
    char msg[VR_ERRBUF_SIZE]; /* the handler's complaint, without FILE:LINE */
};

static const char *const server_keys[] = {"listen",   "db",      "max_body",
                                          "tls_cert", "tls_key", "retention_days"};
static const char *const site_keys[] = {
    "thresholds", "planned_peak_calls", "users", "peak_concurrency_pct", "mix", "growth_pct"};

/* Levenshtein distance capped for short keys; enough for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            cur[j] = best;
        }
        memcpy(prev, cur, sizeof(prev));
    }
    return prev[lb];
}

static void unknown_key(struct load_ctx *c, const char *key, const char *const *keys, size_t n)
{
    const char *best = keys[0];
    size_t best_d = edit_distance(key, keys[0]);
    for (size_t i = 1; i < n; i++) {
        size_t d = edit_distance(key, keys[i]);
        if (d < best_d) {
            best_d = d;
            best = keys[i];
        }
    }
    snprintf(c->msg, sizeof(c->msg), "unknown key \"%s\" (did you mean \"%s\"?)", key, best);
}

static int copy_str(struct load_ctx *c, const char *key, const char *value, char *dst, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || n >= cap) {
        snprintf(c->msg, sizeof(c->msg), "key \"%s\": expected a value of 1..%zu characters", key,
                 cap - 1);
        return 0;
    }
    memcpy(dst, value, n + 1);
    return 1;
}

static struct vr_config_site *site_entry(struct load_ctx *c, const char *name)
{
    struct vr_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_sites; i++)
        if (strcmp(cfg->sites[i].name, name) == 0)
            return &cfg->sites[i];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(cfg->sites[0].name)) {
        snprintf(c->msg, sizeof(c->msg), "section [site NAME]: the name must be 1..63 characters");
        return NULL;
    }
    if (cfg->n_sites >= VR_CONFIG_MAX_SITES) {
        snprintf(c->msg, sizeof(c->msg), "more than %d [site] sections", VR_CONFIG_MAX_SITES);
        return NULL;
    }
    struct vr_config_site *s = realloc(cfg->sites, (cfg->n_sites + 1) * sizeof(*s));
    if (s == NULL) {
        snprintf(c->msg, sizeof(c->msg), "out of memory");
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
            snprintf(c->msg, sizeof(c->msg), "%s", eb.msg);
            return 0;
        }
        cfg->max_body = (size_t)v;
        return 1;
    }
    if (strcmp(key, "retention_days") == 0) {
        if (vr_parse_u64(value, "retention_days", 1, 3650, &v, &eb) < 0) {
            snprintf(c->msg, sizeof(c->msg), "%s", eb.msg);
            return 0;
        }
        cfg->retention_days = (unsigned)v;
        return 1;
    }
    unknown_key(c, key, server_keys, sizeof(server_keys) / sizeof(server_keys[0]));
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
            snprintf(c->msg, sizeof(c->msg),
                     "key \"thresholds\": \"%s\" is not a threshold set; use client or edge",
                     value);
            return 0;
        }
        if (vr_thresholds_by_name(value, &s->thresholds, &eb) < 0) {
            snprintf(c->msg, sizeof(c->msg), "%s", eb.msg);
            return 0;
        }
        return 1;
    }
    if (strcmp(key, "planned_peak_calls") == 0) {
        uint64_t v = 0;
        if (vr_parse_u64(value, "planned_peak_calls", 0, 100000, &v, &eb) < 0) {
            snprintf(c->msg, sizeof(c->msg), "%s", eb.msg);
            return 0;
        }
        s->planned_peak_calls = (uint32_t)v;
        s->plan.peak_calls = (uint32_t)v;
        return 1;
    }
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
        unknown_key(c, key, site_keys, sizeof(site_keys) / sizeof(site_keys[0]));
        return 0;
    }
    if (rc == 0)
        snprintf(c->msg, sizeof(c->msg), "%s", eb.msg);
    return rc;
}

/* libinih: returning 0 makes ini_parse() return this line's number. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *c = user;
    if (c->msg[0] != '\0')
        return 1; /* keep the first complaint: ini_parse() reports the first failing line */
    if (strcmp(section, "server") == 0)
        return handle_server(c, name, value);
    if (strncmp(section, "site ", 5) == 0) {
        const char *site = section + 5;
        while (*site == ' ')
            site++;
        return handle_site(c, site, name, value);
    }
    snprintf(c->msg, sizeof(c->msg), "unknown section [%s] (sections are [server] and [site NAME])",
             section);
    return 0;
}

void vr_config_init(struct vr_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen, sizeof(cfg->listen), "%s", VR_CONFIG_DEFAULT_LISTEN);
    snprintf(cfg->db, sizeof(cfg->db), "%s", VR_CONFIG_DEFAULT_DB);
    cfg->max_body = VR_CONFIG_DEFAULT_BODY;
}

/* libinih reader: lines as fgets gives them, less any inline comment ("key = v   # why"),
 * which Debian's libinih build would otherwise keep as part of the value. */
static char *read_line(char *str, int num, void *stream)
{
    char *line = fgets(str, num, stream);
    if (line != NULL)
        vr_ini_strip_comment(line);
    return line;
}

int vr_config_load(struct vr_config *cfg, const char *path, struct vr_errbuf *eb)
{
    struct load_ctx c = {.cfg = cfg, .eb = eb};
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int err = errno;
        return vr_errbuf_set(eb, -err, "%s: %s", path, strerror(err));
    }
    int line = ini_parse_stream(read_line, f, handler, &c);
    fclose(f);
    if (line < 0)
        return vr_errbuf_set(eb, VR_ENOMEM, "%s: out of memory while reading", path);
    if (line > 0) {
        if (c.msg[0] == '\0')
            snprintf(c.msg, sizeof(c.msg), "syntax error (expected [section] or key = value)");
        return vr_errbuf_set(eb, VR_EINVAL, "%s:%d: %s", path, line, c.msg);
    }
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
