#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capacity.h"
#include "capture.h"
#include "clock.h"
#include "config.h"
#include "quarantine.h"
#include "record.h"
#include "recref.h"
#include "session.h"
#include "sock.h"
#include "spool.h"
#include "uploader.h"

#ifdef __linux__
#include <sys/timex.h>
#endif

#define TICK_MS          1000
#define RETRY_NS         (30 * UINT64_C(1000000000)) /* a run that could not start retries */
#define FLUSH_NS         (5 * UINT64_C(1000000000))  /* upload time granted at stop */
#define LATE_NS          (3 * UINT64_C(1000000000))
#define CAPTURE_RETRY_NS (300 * UINT64_C(1000000000)) /* a capture that failed (no permission) */
#define MAX_RUNS         (VR_CONFIG_MAX_TARGETS + VR_CONFIG_MAX_SCHEDULES)

/* One test run: a continuous one per target (slots 0..n_targets-1), a peak-load test or a
 * capacity ramp per schedule (slots VR_CONFIG_MAX_TARGETS + j). */
struct run {
    struct vr_daemon *d;
    struct vr_session *session;
    struct vr_capacity *capacity; /* a capacity schedule's ramp (then session is NULL) */
    int64_t done_occurrence;      /* capacity: the window occurrence (local day) already run */
    bool running;                 /* session started and not yet done */
    bool finished; /* on_done ran: free it on the next tick (not inside libuv's close path) */
    uint64_t retry_mono_ns;
};

struct vr_daemon {
    uv_loop_t *loop;
    char config_path[512];
    struct vr_agent_config cfg;
    struct vr_agent_config *pending; /* a reloaded config waiting for the runs to stop */
    struct vr_spool *spool;
    struct vr_uploader *uploader;
    uv_timer_t tick;
    struct run runs[MAX_RUNS];
    bool stopping;
    bool uploader_closing;
    bool flushed;           /* the stop's immediate upload was asked for */
    uint64_t flush_mono_ns; /* when: the flush gets FLUSH_NS from then */
    vr_daemon_stopped_cb stopped_cb;
    void *stopped_arg;
    uint64_t records, spool_errors;
    /* [capture]: live analysis of real calls */
    struct vr_capture *capture;
    bool capture_running, capture_closing;
    uint64_t capture_retry_mono_ns;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line per event on stderr with a UTC time stamp: systemd's journal keeps it. */
static void logf_(const char *fmt, ...)
{
    char ts[40];
    va_list ap;
    vr_format_rfc3339(vr_clock_wall_ns(), ts, sizeof(ts));
    fprintf(stderr, "%s voiceready-agent: ", ts);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static void on_uploader_log(void *arg, const char *line)
{
    (void)arg;
    logf_("upload: %s", line);
}

/* Whether the kernel says the clock is disciplined (NTP, chrony, timesyncd): one-way delays and
 * record times are only as good as it. Linux's adjtimex; elsewhere unknown. */
static enum vr_clock_sync clock_sync_state(void)
{
#ifdef __linux__
    struct timex tx = {0};
    int st = adjtimex(&tx);
    if (st < 0)
        return VR_CLOCK_UNKNOWN;
    return st == TIME_ERROR || (tx.status & STA_UNSYNC) ? VR_CLOCK_UNSYNCED : VR_CLOCK_SYNCED;
#else
    return VR_CLOCK_UNKNOWN;
#endif
}

static void on_uploader_status(void *arg, struct vr_agent_status *out)
{
    const struct vr_daemon *d = arg;
    snprintf(out->agent, sizeof(out->agent), "%s", d->cfg.agent);
    snprintf(out->site, sizeof(out->site), "%s", d->cfg.site);
    snprintf(out->version, sizeof(out->version), "%s", VR_VERSION);
    out->clock_sync = clock_sync_state();
    out->n_links = 0; /* the link kinds are per record (the records' "link"); not repeated here */
}

static int open_uploader(struct vr_daemon *d, struct vr_errbuf *eb)
{
    struct vr_uploader_config uc = {0};
    uc.url = d->cfg.url;
    uc.token = d->cfg.token;
    uc.ca_file = d->cfg.ca_file;
    uc.insecure = d->cfg.insecure;
    uc.log = on_uploader_log;
    uc.status = on_uploader_status;
    uc.spool_dir = d->cfg.spool_dir;
    uc.arg = d;
    int rc = vr_uploader_init(d->loop, d->spool, &uc, &d->uploader, eb);
    if (rc == 0)
        rc = vr_uploader_start(d->uploader);
    return rc;
}

int vr_daemon_init(uv_loop_t *loop, const char *config_path, struct vr_daemon **out,
                   struct vr_errbuf *eb)
{
    struct vr_daemon *d = calloc(1, sizeof(*d));
    int rc;

    *out = d;
    if (d == NULL)
        return VR_ENOMEM;
    d->loop = loop;
    snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
    rc = vr_agent_config_load(config_path, &d->cfg, eb);
    if (rc != 0)
        return rc;
    rc = vr_spool_open(d->cfg.spool_dir, d->cfg.spool_max_bytes, &d->spool);
    if (rc != 0)
        return vr_errbuf_set(eb, rc,
                             "%s: cannot open the spool directory \"%s\": %s (set spool_dir in "
                             "[collector] to a writable directory)",
                             config_path, d->cfg.spool_dir, vr_strerror(rc));
    uint64_t held = 0;
    if (vr_quarantine_count(d->cfg.spool_dir, &held) == 0 && held > 0)
        logf_("quarantine: %llu records the collector refused are kept in %s/quarantine.jsonl, "
              "never sent again on their own; see 'voiceready-agent spool list --config %s'",
              (unsigned long long)held, d->cfg.spool_dir, config_path);
    for (size_t i = 0; i < MAX_RUNS; i++)
        d->runs[i].d = d;
    return 0;
}

/* ---- runs ---- */

/* [agent] record_log: one line per record the daemon produced, for accounting (a soak test, an
 * audit of what reached the collector). Opened per line: a rotated or deleted file comes back. */
static void note_produced(struct vr_daemon *d, const json_t *j, const char *id)
{
    if (d->cfg.record_log[0] == '\0')
        return;
    int fd = open(d->cfg.record_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        logf_("record_log %s: %s", d->cfg.record_log, strerror(errno));
        return;
    }
    char ts[40], line[256];
    vr_format_rfc3339(vr_clock_wall_ns(), ts, sizeof(ts));
    const char *type = json_string_value(json_object_get(j, "type"));
    int n = snprintf(line, sizeof(line), "%s %s %s\n", ts, type != NULL ? type : "?", id);
    if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) != n)
        logf_("record_log %s: %s", d->cfg.record_log, strerror(errno));
    close(fd);
}

/* Appends one record (borrowed) to the spool, then wakes the uploader. */
static void spool_json(struct vr_daemon *d, const json_t *j)
{
    const char *id = json_string_value(json_object_get(j, "id"));
    char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    uint64_t dropped = 0;
    int rc;

    if (id == NULL)
        id = "?";
    if (line == NULL) {
        d->spool_errors++;
        logf_("out of memory: record %s lost", id);
        return;
    }
    rc = vr_spool_append(d->spool, line, strlen(line), id, &dropped);
    free(line);
    if (rc != 0) {
        d->spool_errors++;
        logf_("CANNOT SPOOL record %s: %s (disk full or spool directory gone?)", id,
              vr_strerror(rc));
        return;
    }
    if (dropped > 0)
        logf_("SPOOL FULL: dropped the %llu oldest unacknowledged records to stay under "
              "spool_max_mb; the collector has not acknowledged uploads for a long time",
              (unsigned long long)dropped);
    d->records++;
    note_produced(d, j, id);
    if (d->uploader != NULL)
        vr_uploader_kick(d->uploader);
}

/* Writes one record through its writer and spools it. */
static void spool_rec(struct vr_daemon *d, const struct vr_rec_ref *r)
{
    json_t *j = vr_rec_ref_to_json(r);

    if (j == NULL) {
        d->spool_errors++;
        logf_("out of memory: record %s lost", vr_rec_ref_id(r));
        return;
    }
    spool_json(d, j);
    json_decref(j);
}

static void on_run_record(void *arg, const struct vr_rec_ref *r)
{
    struct run *run = arg;
    spool_rec(run->d, r);
}

static void on_run_done(void *arg, const struct vr_session_result *res)
{
    struct run *run = arg;
    if (res->error != 0)
        logf_("test stopped: %s", res->errmsg);
    run->running = false;
    run->finished = true;
}

static void start_run(struct vr_daemon *d, struct run *run, const struct vr_agent_config_target *t,
                      uint32_t calls, uint64_t duration_ns, const char *tag)
{
    struct vr_session_config sc = {0};
    struct vr_session_hooks hooks = {on_run_record, NULL, on_run_done, run};
    struct vr_errbuf eb = {{0}};
    uint64_t now = vr_clock_mono_ns();
    int rc;

    snprintf(sc.target, sizeof(sc.target), "%s", t->host);
    rc = vr_sock_resolve(t->hostname, t->port, false, &sc.dst, &sc.dst_len, &eb);
    if (rc == 0) {
        sc.class_mask = t->class_mask;
        sc.calls = calls;
        sc.profile = t->profile;
        sc.teams_ports = t->teams_ports;
        snprintf(sc.interface, sizeof(sc.interface), "%s", t->interface);
        sc.thr = t->thr;
        sc.interval_ns = d->cfg.continuous_interval_ns;
        sc.late_ns = LATE_NS;
        sc.continuous = duration_ns == 0;
        sc.duration_ns = duration_ns;
        sc.align_wall = true;
        sc.keep_going = true;
        snprintf(sc.agent, sizeof(sc.agent), "%s", d->cfg.agent);
        snprintf(sc.site, sizeof(sc.site), "%s", d->cfg.site);
        snprintf(sc.tag, sizeof(sc.tag), "%s", tag);
        rc = vr_session_init(d->loop, &sc, &hooks, &run->session, &eb);
        if (rc == 0)
            rc = vr_session_start(run->session, &eb);
    }
    if (rc != 0) {
        logf_("target %s: cannot start a test: %s; retrying in 30 s", t->name,
              eb.msg[0] ? eb.msg : vr_strerror(rc));
        run->retry_mono_ns = now + RETRY_NS;
        if (run->session != NULL && !run->running) {
            /* init failed before any handle started; a failed start closes its own handles */
            run->finished = true;
        }
        return;
    }
    run->running = true;
    logf_("target %s: %s test started, %u call%s per class", t->name,
          duration_ns == 0 ? "continuous" : "peak-load", calls, calls == 1 ? "" : "s");
}

/* Seconds left in a schedule's window from local time tm (the window may span midnight). */
static uint64_t window_left_ns(const struct vr_agent_config_schedule *s, const struct tm *tm)
{
    int now_min = tm->tm_hour * 60 + tm->tm_min;
    int end = s->end_min;
    if (end <= now_min)
        end += 24 * 60;
    return ((uint64_t)(end - now_min) * 60 - (uint64_t)tm->tm_sec) * UINT64_C(1000000000);
}

static void reap_finished(struct vr_daemon *d)
{
    for (size_t i = 0; i < MAX_RUNS; i++) {
        struct run *run = &d->runs[i];
        if (run->finished) {
            vr_session_free(run->session);
            run->session = NULL;
            vr_capacity_free(run->capacity);
            run->capacity = NULL;
            run->finished = false;
        }
    }
}

/* ---- capacity schedules ---- */

/* Only the ramp's final "capacity" record is uploaded: its steps' interval records come from
 * load the ramp raised until the path failed on purpose, and would count against the site's
 * verdict as if real calls had suffered. */
static void on_capacity_record(void *arg, const struct vr_rec_ref *r)
{
    struct run *run = arg;
    if (r->kind == VR_REC_KIND_CAPACITY)
        spool_rec(run->d, r);
}

static void on_capacity_done(void *arg, const struct vr_capacity_result *res)
{
    struct run *run = arg;
    if (res->error != 0)
        logf_("capacity run stopped: %s", res->errmsg);
    else
        logf_("capacity run done: %u calls within the thresholds (stopped by %s, cause %s)",
              res->capacity_calls, vr_ramp_limit_name(res->limit), res->cause);
    run->running = false;
    run->finished = true;
}

/* 0 when the ramp started; otherwise it is retried in 30 s. */
static int start_capacity(struct vr_daemon *d, struct run *run,
                          const struct vr_agent_config_schedule *s)
{
    const struct vr_agent_config_target *t = &d->cfg.targets[s->target_index];
    struct vr_capacity_config cc = {0};
    struct vr_capacity_hooks hooks = {on_capacity_record, NULL, NULL, on_capacity_done, run};
    struct vr_errbuf eb = {{0}};
    int rc;

    snprintf(cc.session.target, sizeof(cc.session.target), "%s", t->host);
    rc = vr_sock_resolve(t->hostname, t->port, false, &cc.session.dst, &cc.session.dst_len, &eb);
    if (rc == 0) {
        cc.session.profile = t->profile;
        cc.session.thr = t->thr;
        snprintf(cc.session.interface, sizeof(cc.session.interface), "%s", t->interface);
        snprintf(cc.session.agent, sizeof(cc.session.agent), "%s", d->cfg.agent);
        snprintf(cc.session.site, sizeof(cc.session.site), "%s", d->cfg.site);
        memcpy(cc.mix, s->mix, sizeof(cc.mix));
        cc.max_calls = s->max_calls;
        cc.max_rate_bps = s->max_rate_bps;
        cc.loss_stop_pct = 5;
        cc.step_ns = s->step_ns;
        cc.interval_ns = s->interval_ns;
        cc.pause_ns = UINT64_C(1000000000);
        rc = vr_capacity_init(d->loop, &cc, &hooks, &run->capacity, &eb);
        if (rc == 0)
            rc = vr_capacity_start(run->capacity, &eb);
    }
    if (rc != 0) {
        logf_("schedule %s: cannot start the capacity run: %s; retrying in 30 s", s->name,
              eb.msg[0] ? eb.msg : vr_strerror(rc));
        run->retry_mono_ns = vr_clock_mono_ns() + RETRY_NS;
        if (run->capacity != NULL)
            run->finished = true;
        return rc;
    }
    run->running = true;
    logf_("schedule %s: capacity run started against %s (up to %u calls, %.1f Mbit/s)", s->name,
          t->name, s->max_calls, s->max_rate_bps / 1e6);
    return 0;
}

/* The local day a schedule's current window opened on (a window spanning midnight opened the
 * day before when it is now past midnight). */
static int64_t window_occurrence(const struct vr_agent_config_schedule *s, const struct tm *tm,
                                 time_t wall)
{
    int64_t day = ((int64_t)wall + tm->tm_gmtoff) / 86400;
    int now_min = tm->tm_hour * 60 + tm->tm_min;
    if (s->end_min < s->start_min && now_min < s->end_min)
        day--;
    return day;
}

/* A capacity schedule that is due or running holds its target: the continuous test pauses so
 * that neither disturbs the other, and peak-load tests on it wait. */
static bool target_held(const struct vr_daemon *d, size_t target, const bool *due)
{
    for (size_t j = 0; j < d->cfg.n_schedules; j++) {
        const struct run *run = &d->runs[VR_CONFIG_MAX_TARGETS + j];
        if (d->cfg.schedules[j].capacity && d->cfg.schedules[j].target_index == target &&
            (due[j] || run->capacity != NULL))
            return true;
    }
    return false;
}

/* ---- capture ---- */

static void on_capture_record(void *arg, const struct vr_rec_ref *r)
{
    spool_rec(arg, r);
}

static void on_capture_closed(struct vr_capture *c, void *arg)
{
    struct vr_daemon *d = arg;
    vr_capture_free(c);
    d->capture = NULL;
    d->capture_closing = false;
}

static void on_capture_done(void *arg, int err, const char *msg)
{
    struct vr_daemon *d = arg;
    if (err < 0) {
        logf_("capture on %s stopped: %s; retrying in 5 min", d->cfg.capture_interface,
              msg != NULL ? msg : vr_strerror(err));
        d->capture_retry_mono_ns = vr_clock_mono_ns() + CAPTURE_RETRY_NS;
    }
    d->capture_running = false;
    d->capture_closing = true;
    vr_capture_close(d->capture, on_capture_closed, d);
}

static void start_capture(struct vr_daemon *d)
{
    struct vr_capture_config cc = {0};
    struct vr_errbuf eb = {{0}};
    int rc;

    cc.interface = d->cfg.capture_interface;
    cc.filter = d->cfg.capture_filter[0] != '\0' ? d->cfg.capture_filter : NULL;
    cc.idle_ns = d->cfg.capture_idle_ns;
    (void)vr_thresholds_by_name("client", &cc.thresholds, NULL);
    cc.agent = d->cfg.agent;
    cc.site = d->cfg.site;
    cc.on_record = on_capture_record;
    cc.on_done = on_capture_done;
    cc.arg = d;
    rc = vr_capture_new(&cc, &d->capture, &eb);
    if (rc == 0)
        rc = vr_capture_start(d->capture, d->loop, &eb);
    if (rc != 0) {
        logf_("capture on %s: %s; retrying in 5 min", d->cfg.capture_interface,
              eb.msg[0] ? eb.msg : vr_strerror(rc));
        vr_capture_free(d->capture);
        d->capture = NULL;
        d->capture_retry_mono_ns = vr_clock_mono_ns() + CAPTURE_RETRY_NS;
        return;
    }
    d->capture_running = true;
    logf_("capture on %s started: real RTP calls are judged and uploaded",
          d->cfg.capture_interface);
}

static bool any_running(const struct vr_daemon *d)
{
    for (size_t i = 0; i < MAX_RUNS; i++) {
        if (d->runs[i].running || d->runs[i].finished)
            return true;
    }
    return d->capture != NULL;
}

static void stop_run(struct run *run)
{
    if (!run->running)
        return;
    if (run->capacity != NULL)
        vr_capacity_interrupt(run->capacity);
    else
        vr_session_stop(run->session);
}

static void stop_runs(struct vr_daemon *d)
{
    for (size_t i = 0; i < MAX_RUNS; i++)
        stop_run(&d->runs[i]);
    if (d->capture_running)
        vr_capture_stop(d->capture); /* flushes every stream; on_capture_done closes it */
}

static void schedule_runs(struct vr_daemon *d)
{
    uint64_t now = vr_clock_mono_ns();
    time_t wall = time(NULL);
    struct tm tm;
    char tag[8];

    bool due[VR_CONFIG_MAX_SCHEDULES] = {false};

    localtime_r(&wall, &tm);
    for (size_t j = 0; j < d->cfg.n_schedules; j++) {
        const struct vr_agent_config_schedule *s = &d->cfg.schedules[j];
        const struct run *run = &d->runs[VR_CONFIG_MAX_TARGETS + j];
        due[j] = s->capacity && run->capacity == NULL && vr_agent_config_schedule_active(s, &tm) &&
                 run->done_occurrence != window_occurrence(s, &tm, wall);
    }
    if (d->cfg.capture_interface[0] != '\0' && d->capture == NULL &&
        now >= d->capture_retry_mono_ns)
        start_capture(d);
    for (size_t i = 0; i < d->cfg.n_targets && d->cfg.continuous; i++) {
        struct run *run = &d->runs[i];
        if (target_held(d, i, due)) {
            stop_run(run); /* resumes once the capacity run is over */
            continue;
        }
        if (!run->running && run->session == NULL && now >= run->retry_mono_ns) {
            snprintf(tag, sizeof(tag), "c%zu", i);
            start_run(d, run, &d->cfg.targets[i], d->cfg.targets[i].calls, 0, tag);
        }
    }
    for (size_t j = 0; j < d->cfg.n_schedules; j++) {
        const struct vr_agent_config_schedule *s = &d->cfg.schedules[j];
        struct run *run = &d->runs[VR_CONFIG_MAX_TARGETS + j];
        if (run->running || run->session != NULL || run->capacity != NULL ||
            now < run->retry_mono_ns || !vr_agent_config_schedule_active(s, &tm))
            continue;
        if (s->capacity) {
            /* only once the target's other tests have stopped */
            const struct run *cont = &d->runs[s->target_index];
            bool busy = cont->running || cont->session != NULL;
            for (size_t k = 0; k < d->cfg.n_schedules && !busy; k++) {
                const struct run *o = &d->runs[VR_CONFIG_MAX_TARGETS + k];
                busy = k != j && d->cfg.schedules[k].target_index == s->target_index &&
                       (o->running || o->session != NULL || o->capacity != NULL);
            }
            if (due[j] && !busy) {
                logf_("schedule %s: capacity window open", s->name);
                if (start_capacity(d, run, s) == 0) /* else retried while the window lasts */
                    run->done_occurrence = window_occurrence(s, &tm, wall);
            }
            continue;
        }
        if (target_held(d, s->target_index, due))
            continue;
        uint64_t left = window_left_ns(s, &tm);
        if (left < d->cfg.continuous_interval_ns)
            continue; /* too little of the window left for one interval */
        snprintf(tag, sizeof(tag), "p%zu", j);
        logf_("schedule %s: peak window open", s->name);
        start_run(d, run, &d->cfg.targets[s->target_index], s->calls, left, tag);
    }
}

/* ---- stop and reload ---- */

static void on_uploader_closed(void *arg)
{
    struct vr_daemon *d = arg;
    d->uploader = NULL;
    if (d->stopping) {
        struct vr_spool_stats st;
        vr_spool_get_stats(d->spool, &st);
        logf_("stopped: %llu records produced this run, %llu still spooled for the next start",
              (unsigned long long)d->records, (unsigned long long)st.records);
        uv_close((uv_handle_t *)&d->tick, NULL);
        if (d->stopped_cb != NULL)
            d->stopped_cb(d->stopped_arg);
        return;
    }
    d->uploader_closing = false;
    struct vr_errbuf eb = {{0}};
    if (open_uploader(d, &eb) != 0)
        logf_("cannot start uploading: %s", eb.msg);
}

static void apply_reload(struct vr_daemon *d)
{
    d->cfg = *d->pending;
    free(d->pending);
    d->pending = NULL;
    for (size_t i = 0; i < MAX_RUNS; i++)
        d->runs[i].retry_mono_ns = 0;
    logf_("configuration reloaded from %s", d->config_path);
    if (d->uploader != NULL) {
        d->uploader_closing = true;
        vr_uploader_close(d->uploader, on_uploader_closed, d); /* reopened with the new URL */
    }
}

static void on_tick(uv_timer_t *t)
{
    struct vr_daemon *d = t->data;
    uint64_t now = vr_clock_mono_ns();

    reap_finished(d);
    if (d->stopping) {
        struct vr_spool_stats st;
        if (any_running(d) || d->uploader_closing)
            return;
        vr_spool_get_stats(d->spool, &st);
        if (d->uploader == NULL) {
            on_uploader_closed(d); /* never opened (bad URL at reload): nothing to flush */
            return;
        }
        if (!d->flushed) {
            d->flushed = true;
            d->flush_mono_ns = now;
            vr_uploader_flush(d->uploader);
        }
        if (st.records == 0 || now >= d->flush_mono_ns + FLUSH_NS) {
            d->uploader_closing = true;
            vr_uploader_close(d->uploader, on_uploader_closed, d);
        }
        return;
    }
    if (d->pending != NULL) {
        if (!any_running(d) && !d->uploader_closing)
            apply_reload(d);
        return;
    }
    if (!d->uploader_closing)
        schedule_runs(d);
}

int vr_daemon_start(struct vr_daemon *d, struct vr_errbuf *eb)
{
    int rc = open_uploader(d, eb);
    if (rc != 0)
        return rc;
    uv_timer_init(d->loop, &d->tick);
    d->tick.data = d;
    uv_timer_start(&d->tick, on_tick, 10, TICK_MS);
    logf_("agent %s, site %s: %zu target%s, %zu schedule%s, uploading to %s", d->cfg.agent,
          d->cfg.site, d->cfg.n_targets, d->cfg.n_targets == 1 ? "" : "s", d->cfg.n_schedules,
          d->cfg.n_schedules == 1 ? "" : "s", d->cfg.url);
    return 0;
}

void vr_daemon_reload(struct vr_daemon *d)
{
    struct vr_errbuf eb = {{0}};
    struct vr_agent_config *cfg = malloc(sizeof(*cfg));

    if (d->stopping || cfg == NULL) {
        free(cfg);
        return;
    }
    if (vr_agent_config_load(d->config_path, cfg, &eb) != 0) {
        logf_("reload refused, keeping the running configuration: %s", eb.msg);
        free(cfg);
        return;
    }
    if (strcmp(cfg->spool_dir, d->cfg.spool_dir) != 0)
        logf_("reload: spool_dir changes need a restart; keeping %s", d->cfg.spool_dir);
    snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%s", d->cfg.spool_dir);
    free(d->pending);
    d->pending = cfg;
    stop_runs(d);
}

void vr_daemon_stop(struct vr_daemon *d, vr_daemon_stopped_cb cb, void *arg)
{
    if (d->stopping)
        return;
    d->stopping = true;
    d->stopped_cb = cb;
    d->stopped_arg = arg;
    logf_("stopping: finishing the running tests and uploading what is spooled (up to 5 s)");
    stop_runs(d);
}

void vr_daemon_free(struct vr_daemon *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < MAX_RUNS; i++) {
        vr_session_free(d->runs[i].session);
        vr_capacity_free(d->runs[i].capacity);
    }
    vr_capture_free(d->capture);
    vr_spool_free(d->spool);
    free(d->pending);
    free(d);
}
