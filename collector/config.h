/* config: the collector's INI file (libinih), e.g.
 *
 *   [server]
 *   listen = 127.0.0.1:8080
 *   db = /var/lib/voiceready/voiceready.db
 *   max_body = 4194304          ; bytes, POST bodies over it get 413
 *   tls_cert = /etc/voiceready/cert.pem
 *   tls_key = /etc/voiceready/key.pem
 *   retention_days = 30
 *   silent_after = 5m            ; a site with no upload for longer reads Silent (30s, 5m, 2h)
 *
 *   [site hq]
 *   thresholds = client          ; client | edge (DESIGN.md §6)
 *   silent_after = 10m           ; this site's own (default: the server's)
 *   users = 250                  ; planning (common/plan.h): the peak is
 *   peak_concurrency_pct = 15    ;   ceil(users x concurrency) ...
 *   planned_peak_calls = 40      ;   ... or this direct figure (wins when both are given)
 *   mix = audio=1,video=0.3,sharing=0.1   ; share of calls using each modality
 *   growth_pct = 10              ; planned = ceil(peak x (1 + growth))
 *
 * Loading only fills the struct; it does not open files named in it. Command-line options
 * override it (main.c). The grammar, the bounds and the messages are common/inifile.h's, shared
 * with the agent: unknown sections and keys are errors with a suggestion, a site NAME is 1 to 63
 * letters, digits, '.', '_' or '-'. Any thread. */
#ifndef VR_COLLECTOR_CONFIG_H
#define VR_COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"
#include "score.h"

#define VR_CONFIG_MAX_SITES      1024
#define VR_CONFIG_DEFAULT_LISTEN "127.0.0.1:8080"
#define VR_CONFIG_DEFAULT_DB     "./voiceready.db"
#define VR_CONFIG_DEFAULT_BODY   ((size_t)4 << 20)

struct vr_config_site {
    char name[64];
    struct vr_thresholds thresholds;
    uint32_t planned_peak_calls; /* 0 = not planned (also in plan.peak_calls) */
    struct vr_plan_input plan;   /* users, concurrency, peak, mix, growth */
    uint64_t silent_after_ns;    /* 0 = the server's */
};

struct vr_config {
    char listen[128];
    char db[1024];
    size_t max_body;
    char tls_cert[1024];
    char tls_key[1024];
    unsigned retention_days;
    uint64_t silent_after_ns;     /* default VR_LIVENESS_DEFAULT_SILENT_AFTER_NS (score.h) */
    struct vr_config_site *sites; /* owned; n_sites entries */
    size_t n_sites;
};

/* Fills cfg with defaults (no sites). */
void vr_config_init(struct vr_config *cfg);
/* Reads path over cfg (call vr_config_init first). 0, -errno when the file cannot be read, or
 * VR_EINVAL with eb like `collector.conf:12: unknown key "thresold" (did you mean "thresholds"?)`.
 */
int vr_config_load(struct vr_config *cfg, const char *path, struct vr_errbuf *eb);
/* Frees the sites; cfg may then be re-initialised. */
void vr_config_free(struct vr_config *cfg);
/* The site's entry, or NULL when the config does not name it. Borrowed, valid until free. */
const struct vr_config_site *vr_config_site(const struct vr_config *cfg, const char *site);
/* The thresholds for site: its own set, or the built-in "client" set. */
void vr_config_thresholds(const struct vr_config *cfg, const char *site, struct vr_thresholds *out);
/* The site's plan into out; true when it has one (users and concurrency, or planned_peak_calls). */
bool vr_config_plan(const struct vr_config *cfg, const char *site, struct vr_plan_input *out);
/* The site's silent_after: its own, else the server's. */
uint64_t vr_config_silent_after(const struct vr_config *cfg, const char *site);

#endif
