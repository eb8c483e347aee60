/* config: the agent daemon's INI file (`voiceready-agent run --config FILE`), parsed with
 * libinih into plain structs for the daemon.
 *
 *   [agent]       name, site
 *   [collector]   url, token, ca_file, insecure, spool_dir, spool_max_mb
 *   [target NAME] host (HOST[:PORT]), classes, calls, profile, teams_ports, thresholds,
 *                 interface (send through this interface: wired port vs Wi-Fi)
 *   [schedule NAME] target, calls, window (09:30-10:00, local time), days (weekdays|daily|mon,tue),
 *                 type (peak: N calls for the window | capacity: one capacity ramp per window,
 *                 with max_calls, mix, max_rate, step, interval as `voiceready-agent capacity`)
 *   [capture]     interface, filter, idle: judge the real RTP calls seen on an interface
 *   [continuous]  interval (15s), enabled
 *
 * The grammar, the bounds and the messages are common/inifile.h's, shared with the collector:
 * every problem is reported as "FILE:LINE: ..." naming the fix; an unknown key or section
 * suggests the nearest known one. Only the first problem is reported. It does not resolve
 * names, open the spool or start anything. The struct is caller-owned and holds no pointers to
 * free except the borrowed static `profile`. Any thread; no global state. */
#ifndef VR_AGENT_CONFIG_H
#define VR_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "profile.h"
#include "score.h"

#define VR_CONFIG_MAX_TARGETS   32
#define VR_CONFIG_MAX_SCHEDULES 32
#define VR_CONFIG_DEFAULT_PORT  5004

struct vr_agent_config_target {
    char name[64];
    char host[128];                   /* HOST[:PORT] as written, for records ("target") */
    char hostname[128];               /* HOST alone, for resolution */
    uint16_t port;                    /* VR_CONFIG_DEFAULT_PORT when absent */
    unsigned class_mask;              /* 1 << enum vr_class; default all */
    uint32_t calls;                   /* streams per class of the continuous test; default 1 */
    const struct vr_profile *profile; /* borrowed static; NULL: each class's default */
    bool teams_ports;                 /* bind Teams client source ports; default no */
    struct vr_thresholds thr;         /* default "client" */
    char interface[16];               /* IFNAMSIZ; "" = as the routing table says (default) */
    unsigned line;                    /* where the section's first key is, for messages */
};

struct vr_agent_config_schedule {
    char name[64];
    char target[64];     /* a target's name */
    size_t target_index; /* into vr_agent_config.targets */
    uint32_t calls;      /* streams per class during the window; default 1 */
    uint16_t start_min;  /* window start, minutes after local midnight */
    uint16_t end_min;    /* window end (exclusive); below start_min: the window spans midnight */
    uint8_t days;        /* bit (1 << tm_wday) for each day the window starts on; Sunday = bit 0 */
    unsigned line;
    /* type = capacity: one ramp per window occurrence instead of a peak-load test */
    bool capacity;
    uint32_t max_calls;            /* default 50 */
    double mix[VR_CLASS_COUNT];    /* streams per call by class; default audio=1 */
    double max_rate_bps;           /* default 10 Mbit/s */
    uint64_t step_ns, interval_ns; /* default 30 s and 10 s */
};

struct vr_agent_config {
    char agent[64], site[64];
    char record_log[256]; /* "" or a file: one line "RFC3339 TYPE ID" per record produced */
    char url[256];        /* collector base URL, http:// or https:// */
    char token[256];
    char ca_file[256]; /* "" = the system's CA store */
    bool insecure;     /* skip TLS verification: for tests only */
    char spool_dir[256];
    uint64_t spool_max_bytes;        /* default 100 MB */
    bool continuous;                 /* the always-on 1-call test; default yes */
    uint64_t continuous_interval_ns; /* default 15 s */
    size_t n_targets;
    struct vr_agent_config_target targets[VR_CONFIG_MAX_TARGETS];
    size_t n_schedules;
    struct vr_agent_config_schedule schedules[VR_CONFIG_MAX_SCHEDULES];
    /* [capture]: passive analysis of real calls; off while interface is "" */
    char capture_interface[16];
    char capture_filter[256]; /* BPF; "" = all UDP */
    uint64_t capture_idle_ns; /* default 10 s */
};

#define VR_CONFIG_DEFAULT_SPOOL_DIR "/var/lib/voiceready-agent/spool"

/* Reads and checks path into *cfg (overwritten). Returns 0, VR_EINVAL with eb set
 * ("FILE:LINE: ..." or "FILE: ..." for what is missing), or -errno when the file cannot be read
 * (eb names the file). */
int vr_agent_config_load(const char *path, struct vr_agent_config *cfg, struct vr_errbuf *eb);

/* Same, from text in memory; name stands for the file in messages. */
int vr_agent_config_parse(const char *text, const char *name, struct vr_agent_config *cfg,
                          struct vr_errbuf *eb);

/* True when local time `tm` is inside the schedule's window on one of its days. */
bool vr_agent_config_schedule_active(const struct vr_agent_config_schedule *s, const struct tm *tm);

#endif
