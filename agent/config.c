/* config: the agent's INI file into struct vr_agent_config; see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "inifile.h"
#include "parse.h"
#include "ramp.h"

enum section_kind {
    SEC_AGENT,
    SEC_COLLECTOR,
    SEC_TARGET,
    SEC_SCHEDULE,
    SEC_CONTINUOUS,
    SEC_CAPTURE
};

static const char *const agent_keys[] = {"name", "site", "record_log", NULL};
static const char *const collector_keys[] = {"url",       "token",        "ca_file", "insecure",
                                             "spool_dir", "spool_max_mb", NULL};
static const char *const target_keys[] = {"host",        "classes",    "calls",     "profile",
                                          "teams_ports", "thresholds", "interface", NULL};
static const char *const schedule_keys[] = {"target", "calls",    "window",    "days",
                                            "type",   "mix",      "max_calls", "max_rate",
                                            "step",   "interval", NULL};
static const char *const capture_keys[] = {"interface", "filter", "idle", NULL};
static const char *const continuous_keys[] = {"interval", "enabled", NULL};

/* in enum section_kind order */
static const struct vr_inifile_section sections[] = {
    {"agent", false, agent_keys},           {"collector", false, collector_keys},
    {"target", true, target_keys},          {"schedule", true, schedule_keys},
    {"continuous", false, continuous_keys}, {"capture", false, capture_keys},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct ctx {
    struct vr_agent_config *cfg;
    const char *name;     /* the file, for messages of check() */
    struct vr_errbuf *eb; /* the current entry's message, without FILE:LINE */
    size_t index;         /* the current [target NAME] or [schedule NAME] */
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->eb->msg, sizeof(c->eb->msg), fmt, ap);
    va_end(ap);
    return VR_EINVAL;
}

static int set_string(struct ctx *c, const char *key, const char *value, char *dst, size_t len)
{
    if (value[0] == '\0' || strlen(value) >= len)
        return fail(c, "%s: expected 1 to %zu characters", key, len - 1);
    snprintf(dst, len, "%s", value);
    return 0;
}

static int set_name(struct ctx *c, const char *key, const char *value, char *dst, size_t len)
{
    if (!vr_inifile_valid_name(value))
        return fail(c, "%s \"%s\": use 1 to 63 letters, digits, '.', '_' or '-'", key, value);
    snprintf(dst, len, "%s", value);
    return 0;
}

static int set_bool(struct ctx *c, const char *key, const char *value, bool *dst)
{
    if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1") ||
        !strcasecmp(value, "on"))
        *dst = true;
    else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0") ||
             !strcasecmp(value, "off"))
        *dst = false;
    else
        return fail(c, "%s \"%s\": expected yes or no", key, value);
    return 0;
}

static int set_u32(struct ctx *c, const char *key, const char *value, uint64_t min, uint64_t max,
                   uint32_t *dst)
{
    struct vr_errbuf eb = {{0}};
    uint64_t v;
    if (vr_parse_u64(value, key, min, max, &v, &eb) != 0)
        return fail(c, "%s", eb.msg);
    *dst = (uint32_t)v;
    return 0;
}

/* "HH:MM" into minutes after midnight; 24:00 is allowed as an end. */
static int parse_hhmm(const char *s, size_t len, unsigned *out)
{
    unsigned h, m;
    if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int set_window(struct ctx *c, const char *value, struct vr_agent_config_schedule *s)
{
    const char *dash = strchr(value, '-');
    unsigned a, b;
    if (dash == NULL || parse_hhmm(value, (size_t)(dash - value), &a) != 0 ||
        parse_hhmm(dash + 1, strlen(dash + 1), &b) != 0 || a == b || a == 24 * 60)
        return fail(c, "window \"%s\": expected HH:MM-HH:MM in local time, e.g. 09:30-10:00",
                    value);
    s->start_min = (uint16_t)a;
    s->end_min = (uint16_t)(b == 24 * 60 ? 0 : b);
    return 0;
}

static int set_days(struct ctx *c, const char *value, uint8_t *out)
{
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    uint8_t mask = 0;
    const char *p = value;

    while (*p != '\0') {
        char word[16];
        size_t n = 0;
        while (*p == ' ' || *p == ',')
            p++;
        while (*p != '\0' && *p != ',' && *p != ' ' && n < sizeof(word) - 1)
            word[n++] = (char)tolower((unsigned char)*p++);
        word[n] = '\0';
        if (n == 0)
            break;
        if (!strcmp(word, "daily"))
            mask |= 0x7f;
        else if (!strcmp(word, "weekdays"))
            mask |= 0x3e;
        else if (!strcmp(word, "weekends"))
            mask |= 0x41;
        else {
            size_t i;
            for (i = 0; i < 7 && strcmp(word, names[i]) != 0; i++)
                ;
            if (i == 7)
                return fail(c,
                            "days \"%s\": expected weekdays, weekends, daily or a list such as "
                            "mon,tue,fri",
                            value);
            mask |= (uint8_t)(1u << i);
        }
    }
    if (mask == 0)
        return fail(c, "days: expected weekdays, weekends, daily or a list such as mon,tue,fri");
    *out = mask;
    return 0;
}

static int on_agent(struct ctx *c, const char *key, const char *value)
{
    if (!strcmp(key, "name"))
        return set_name(c, key, value, c->cfg->agent, sizeof(c->cfg->agent));
    if (!strcmp(key, "record_log"))
        return set_string(c, key, value, c->cfg->record_log, sizeof(c->cfg->record_log));
    if (!strcmp(key, "site"))
        return set_name(c, key, value, c->cfg->site, sizeof(c->cfg->site));
    return fail(c, "unknown key \"%s\"", key);
}

static int on_collector(struct ctx *c, const char *key, const char *value)
{
    struct vr_agent_config *cfg = c->cfg;
    if (!strcmp(key, "url")) {
        size_t n = strlen(value);
        if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
            return fail(c, "url \"%s\": expected http://HOST[:PORT] or https://HOST[:PORT]", value);
        if (n >= sizeof(cfg->url))
            return fail(c, "url: at most %zu characters", sizeof(cfg->url) - 1);
        /* the uploader appends /api/v1/records */
        while (n > 0 && value[n - 1] == '/')
            n--;
        snprintf(cfg->url, sizeof(cfg->url), "%.*s", (int)n, value);
        return 0;
    }
    if (!strcmp(key, "token")) {
        /* agent.conf.example ships "PASTE-THE-TOKEN-FROM-...": refused here, or the first
         * upload would only say 401 */
        if (strncasecmp(value, "PASTE-THE-TOKEN", 15) == 0)
            return fail(c,
                        "token = is still the placeholder of agent.conf.example: paste the token "
                        "of `voiceready-collector token add --config /etc/voiceready/"
                        "collector.conf --site %s`",
                        cfg->site[0] != '\0' ? cfg->site : "SITE");
        for (const char *p = value; *p != '\0'; p++)
            if (!isgraph((unsigned char)*p))
                return fail(c, "token: no spaces or control characters; paste the token that "
                               "'voiceready-collector token add' printed");
        return set_string(c, key, value, cfg->token, sizeof(cfg->token));
    }
    if (!strcmp(key, "ca_file")) {
        if (access(value, R_OK) != 0)
            return fail(c,
                        "ca_file \"%s\": cannot read it (%s); give a PEM file of CA "
                        "certificates",
                        value, strerror(errno));
        return set_string(c, key, value, cfg->ca_file, sizeof(cfg->ca_file));
    }
    if (!strcmp(key, "insecure"))
        return set_bool(c, key, value, &cfg->insecure);
    if (!strcmp(key, "spool_dir"))
        return set_string(c, key, value, cfg->spool_dir, sizeof(cfg->spool_dir));
    if (!strcmp(key, "spool_max_mb")) {
        struct vr_errbuf eb = {{0}};
        uint64_t mb;
        if (vr_parse_u64(value, key, 2, 1000000, &mb, &eb) != 0)
            return fail(c, "%s", eb.msg);
        cfg->spool_max_bytes = mb * 1000000u;
        return 0;
    }
    return fail(c, "unknown key \"%s\"", key);
}

/* An interface name's shape only (IFNAMSIZ, no '/', ':' or spaces). */
static bool valid_ifname(const char *value, size_t cap)
{
    size_t n = strlen(value);
    return n > 0 && n < cap && strcmp(value, ".") != 0 && strcmp(value, "..") != 0 &&
           strpbrk(value, "/: \t") == NULL;
}

static int on_target(struct ctx *c, const char *key, const char *value)
{
    struct vr_agent_config_target *t = &c->cfg->targets[c->index];
    struct vr_errbuf eb = {{0}};

    if (!strcmp(key, "host")) {
        if (strlen(value) >= sizeof(t->host))
            return fail(c, "host: at most %zu characters", sizeof(t->host) - 1);
        if (vr_parse_hostport(value, VR_CONFIG_DEFAULT_PORT, t->hostname, sizeof(t->hostname),
                              &t->port, &eb) != 0)
            return fail(c, "host: %s", eb.msg);
        snprintf(t->host, sizeof(t->host), "%s", value);
        return 0;
    }
    if (!strcmp(key, "classes")) {
        /* own message: the shared parser's names the command-line option */
        if (vr_parse_classes(value, &t->class_mask, &eb) != 0)
            return fail(c,
                        "classes \"%s\": expected audio, video, sharing, besteffort or all "
                        "(comma-separated)",
                        value);
        return 0;
    }
    if (!strcmp(key, "calls"))
        return set_u32(c, key, value, 1, 1000, &t->calls);
    if (!strcmp(key, "profile")) {
        t->profile = vr_profile_find(value);
        if (t->profile == NULL)
            return fail(c, "profile \"%s\": expected one of %s", value, vr_profile_names());
        return 0;
    }
    if (!strcmp(key, "teams_ports"))
        return set_bool(c, key, value, &t->teams_ports);
    if (!strcmp(key, "thresholds")) {
        if (vr_thresholds_by_name(value, &t->thr, &eb) != 0)
            return fail(c, "%s", eb.msg);
        return 0;
    }
    if (!strcmp(key, "interface")) {
        /* the name's shape only: Wi-Fi may come up after the daemon, which retries */
        if (!valid_ifname(value, sizeof(t->interface)))
            return fail(c,
                        "interface \"%s\": expected a network interface name of 1 to %zu "
                        "characters without '/', ':' or spaces, e.g. eth0 or wlan0",
                        value, sizeof(t->interface) - 1);
        snprintf(t->interface, sizeof(t->interface), "%s", value);
        return 0;
    }
    return fail(c, "unknown key \"%s\"", key);
}

/* 1 s to 1 h: step, interval, idle */
static int set_duration(const char *value, const char *key, uint64_t *dst, struct vr_errbuf *eb)
{
    uint64_t ns;
    if (vr_parse_duration_ns(value, key, &ns, eb) != 0)
        return VR_EINVAL;
    if (ns < UINT64_C(1000000000) || ns > UINT64_C(3600000000000))
        return vr_errbuf_set(eb, VR_EINVAL, "%s \"%s\": expected 1s to 1h, e.g. 30s", key, value);
    *dst = ns;
    return 0;
}

static int on_schedule(struct ctx *c, const char *key, const char *value)
{
    struct vr_agent_config_schedule *s = &c->cfg->schedules[c->index];
    if (!strcmp(key, "target"))
        return set_name(c, key, value, s->target, sizeof(s->target));
    if (!strcmp(key, "calls"))
        return set_u32(c, key, value, 1, 1000, &s->calls);
    if (!strcmp(key, "window"))
        return set_window(c, value, s);
    if (!strcmp(key, "days"))
        return set_days(c, value, &s->days);
    if (!strcmp(key, "type")) {
        if (strcmp(value, "peak") != 0 && strcmp(value, "capacity") != 0)
            return fail(c, "type \"%s\": expected peak or capacity", value);
        s->capacity = strcmp(value, "capacity") == 0;
        return 0;
    }
    if (!strcmp(key, "max_calls"))
        return set_u32(c, key, value, 1, 1000, &s->max_calls);
    if (!strcmp(key, "mix") || !strcmp(key, "max_rate") || !strcmp(key, "step") ||
        !strcmp(key, "interval")) {
        struct vr_errbuf eb = {{0}};
        int rc;
        if (!strcmp(key, "mix"))
            rc = vr_ramp_parse_mix(value, s->mix, &eb);
        else if (!strcmp(key, "max_rate"))
            rc = vr_ramp_parse_rate(value, key, &s->max_rate_bps, &eb);
        else
            rc =
                set_duration(value, key, !strcmp(key, "step") ? &s->step_ns : &s->interval_ns, &eb);
        return rc == 0 ? 0 : fail(c, "%s", eb.msg);
    }
    return fail(c, "unknown key \"%s\"", key);
}

static int on_capture(struct ctx *c, const char *key, const char *value)
{
    struct vr_agent_config *cfg = c->cfg;
    if (!strcmp(key, "interface")) {
        if (!valid_ifname(value, sizeof(cfg->capture_interface)))
            return fail(c, "interface \"%s\": expected a network interface name, e.g. eth0", value);
        snprintf(cfg->capture_interface, sizeof(cfg->capture_interface), "%s", value);
        return 0;
    }
    if (!strcmp(key, "filter")) {
        if (strlen(value) >= sizeof(cfg->capture_filter))
            return fail(c, "filter: at most %zu characters", sizeof(cfg->capture_filter) - 1);
        snprintf(cfg->capture_filter, sizeof(cfg->capture_filter), "%s", value);
        return 0;
    }
    if (!strcmp(key, "idle")) {
        struct vr_errbuf eb = {{0}};
        if (set_duration(value, key, &cfg->capture_idle_ns, &eb) != 0)
            return fail(c, "%s", eb.msg);
        return 0;
    }
    return fail(c, "unknown key \"%s\"", key);
}

static int on_continuous(struct ctx *c, const char *key, const char *value)
{
    if (!strcmp(key, "interval")) {
        struct vr_errbuf eb = {{0}};
        uint64_t ns;
        if (vr_parse_duration_ns(value, key, &ns, &eb) != 0)
            return fail(c, "%s", eb.msg);
        if (ns < UINT64_C(1000000000) || ns > UINT64_C(3600000000000))
            return fail(c, "interval \"%s\": expected 1s to 1h, e.g. 15s", value);
        c->cfg->continuous_interval_ns = ns;
        return 0;
    }
    if (!strcmp(key, "enabled"))
        return set_bool(c, key, value, &c->cfg->continuous);
    return fail(c, "unknown key \"%s\"", key);
}

/* Finds or adds the target or schedule named in a "[kind NAME]" section (the layer checked
 * the name's shape). */
static int enter_named(struct ctx *c, const struct vr_inifile_entry *e)
{
    struct vr_agent_config *cfg = c->cfg;
    bool target = e->section == SEC_TARGET;
    size_t n = target ? cfg->n_targets : cfg->n_schedules;
    size_t max = target ? VR_CONFIG_MAX_TARGETS : VR_CONFIG_MAX_SCHEDULES;
    const char *name = e->instance;

    for (size_t i = 0; i < n; i++) {
        const char *have = target ? cfg->targets[i].name : cfg->schedules[i].name;
        if (!strcmp(have, name)) {
            c->index = i;
            return 0;
        }
    }
    if (n == max)
        return fail(c, "more than %zu [%s] sections", max, sections[e->section].name);
    c->index = n;
    if (target) {
        struct vr_agent_config_target *t = &cfg->targets[n];
        snprintf(t->name, sizeof(t->name), "%s", name);
        t->class_mask = (1u << VR_CLASS_COUNT) - 1;
        t->calls = 1;
        (void)vr_thresholds_by_name("client", &t->thr, NULL);
        t->line = e->line;
        cfg->n_targets++;
    } else {
        struct vr_agent_config_schedule *s = &cfg->schedules[n];
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->calls = 1;
        s->days = 0x7f;
        s->line = e->line;
        s->max_calls = 50;
        s->mix[VR_CLASS_AUDIO] = 1.0;
        s->max_rate_bps = 10e6;
        s->step_ns = UINT64_C(30000000000);
        s->interval_ns = UINT64_C(10000000000);
        cfg->n_schedules++;
    }
    return 0;
}

/* The layer's callback: one known key of one section. */
static int on_entry(void *arg, const struct vr_inifile_entry *e, struct vr_errbuf *eb)
{
    struct ctx *c = arg;
    int rc;

    c->eb = eb;
    if (e->first && (e->section == SEC_TARGET || e->section == SEC_SCHEDULE) &&
        (rc = enter_named(c, e)) != 0)
        return rc;
    switch ((enum section_kind)e->section) {
    case SEC_AGENT:
        return on_agent(c, e->key, e->value);
    case SEC_COLLECTOR:
        return on_collector(c, e->key, e->value);
    case SEC_TARGET:
        return on_target(c, e->key, e->value);
    case SEC_SCHEDULE:
        return on_schedule(c, e->key, e->value);
    case SEC_CONTINUOUS:
        return on_continuous(c, e->key, e->value);
    case SEC_CAPTURE:
        return on_capture(c, e->key, e->value);
    }
    return fail(c, "unknown section");
}

static void defaults(struct vr_agent_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%s", VR_CONFIG_DEFAULT_SPOOL_DIR);
    cfg->spool_max_bytes = 100u * 1000000u;
    cfg->continuous = true;
    cfg->continuous_interval_ns = UINT64_C(15000000000);
    cfg->capture_idle_ns = UINT64_C(10000000000);
}

/* What only the whole file can tell: required keys and references between sections. */
static int check(struct ctx *c)
{
    struct vr_agent_config *cfg = c->cfg;
    const char *names[VR_CONFIG_MAX_TARGETS];

    if (cfg->agent[0] == '\0')
        return vr_errbuf_set(c->eb, VR_EINVAL, "%s: [agent] needs name = AGENT_NAME", c->name);
    if (cfg->site[0] == '\0')
        return vr_errbuf_set(c->eb, VR_EINVAL, "%s: [agent] needs site = SITE_NAME", c->name);
    if (cfg->url[0] == '\0')
        return vr_errbuf_set(c->eb, VR_EINVAL,
                             "%s: [collector] needs url = http(s)://HOST:PORT of the collector",
                             c->name);
    if (cfg->token[0] == '\0')
        return vr_errbuf_set(
            c->eb, VR_EINVAL,
            "%s: [collector] needs token = the token from 'voiceready-collector "
            "token add --config /etc/voiceready/collector.conf --site %s' on the collector",
            c->name, cfg->site);
    if (cfg->n_targets == 0)
        return vr_errbuf_set(c->eb, VR_EINVAL,
                             "%s: no [target NAME] section; add one with host = REFLECTOR[:PORT]",
                             c->name);
    for (size_t i = 0; i < cfg->n_targets; i++) {
        names[i] = cfg->targets[i].name;
        if (cfg->targets[i].host[0] == '\0')
            return vr_errbuf_set(c->eb, VR_EINVAL,
                                 "%s:%u: [target %s] needs host = REFLECTOR[:PORT]", c->name,
                                 cfg->targets[i].line, cfg->targets[i].name);
    }
    for (size_t i = 0; i < cfg->n_schedules; i++) {
        struct vr_agent_config_schedule *s = &cfg->schedules[i];
        size_t j;
        if (s->target[0] == '\0')
            return vr_errbuf_set(c->eb, VR_EINVAL, "%s:%u: [schedule %s] needs target = NAME",
                                 c->name, s->line, s->name);
        if (s->start_min == s->end_min)
            return vr_errbuf_set(c->eb, VR_EINVAL,
                                 "%s:%u: [schedule %s] needs window = HH:MM-HH:MM", c->name,
                                 s->line, s->name);
        for (j = 0; j < cfg->n_targets && strcmp(s->target, names[j]) != 0; j++)
            ;
        if (j == cfg->n_targets) {
            const char *sug = vr_inifile_suggest(s->target, names, cfg->n_targets);
            return vr_errbuf_set(c->eb, VR_EINVAL, "%s:%u: [schedule %s]: no [target %s]%s%s%s",
                                 c->name, s->line, s->name, s->target,
                                 sug ? " (did you mean \"" : "", sug ? sug : "", sug ? "\"?)" : "");
        }
        s->target_index = j;
        if (s->capacity && s->step_ns < 2 * s->interval_ns)
            return vr_errbuf_set(c->eb, VR_EINVAL,
                                 "%s:%u: [schedule %s]: step must hold at least two intervals "
                                 "(step >= 2 x interval)",
                                 c->name, s->line, s->name);
    }
    return 0;
}

int vr_agent_config_parse(const char *text, const char *name, struct vr_agent_config *cfg,
                          struct vr_errbuf *eb)
{
    struct ctx c = {.cfg = cfg, .name = name};
    int rc;

    defaults(cfg);
    rc = vr_inifile_parse_text(text, name, sections, COUNT(sections), on_entry, &c, eb);
    c.eb = eb;
    return rc != 0 ? rc : check(&c);
}

int vr_agent_config_load(const char *path, struct vr_agent_config *cfg, struct vr_errbuf *eb)
{
    struct ctx c = {.cfg = cfg, .name = path};
    int rc;

    defaults(cfg);
    rc = vr_inifile_parse(path, sections, COUNT(sections), on_entry, &c, eb);
    c.eb = eb;
    return rc != 0 ? rc : check(&c);
}

bool vr_agent_config_schedule_active(const struct vr_agent_config_schedule *s, const struct tm *tm)
{
    unsigned m = (unsigned)(tm->tm_hour * 60 + tm->tm_min);
    unsigned today = (unsigned)tm->tm_wday % 7, yesterday = (today + 6) % 7;
    bool on_today = (s->days >> today) & 1, on_yesterday = (s->days >> yesterday) & 1;

    if (s->start_min < s->end_min)
        return on_today && m >= s->start_min && m < s->end_min;
    /* spans midnight (end_min 0 = until midnight): the part after midnight belongs to the day
     * the window started on */
    return (on_today && m >= s->start_min) || (on_yesterday && m < s->end_min);
}
