/* metrics: the Prometheus text exposition (format 0.0.4) of GET /metrics.
 *
 * Per site: voiceready_site_verdict (0 ready, 1 at risk, 2 not ready, 3 silent; no sample for no
 * data), voiceready_site_silent (0/1; 1 too for a configured site that never reported),
 * voiceready_site_last_upload_timestamp_seconds, voiceready_site_score_pct,
 * voiceready_site_intervals, voiceready_site_planned_peak_calls and voiceready_site_capacity_calls
 * (sites with a plan / a capacity run), from the store's site list over the scoring window. Per
 * agent (site, agent): voiceready_agent_last_upload_timestamp_seconds,
 * voiceready_agent_spool_records and voiceready_agent_quarantined_records, from the store. Per
 * site, class and target: loss, jitter, RTT quantiles, MOS and DSCP preservation of the latest
 * interval record ingested since the collector started (kept here, bounded, not read back from the
 * database). The collector's own counters: records ingested, duplicates, requests rejected by
 * status, and a request latency histogram.
 * Not thread-safe: the HTTP server calls it from its single polling thread. */
#ifndef VR_METRICS_H
#define VR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

#define VR_METRICS_MAX_SERIES 4096 /* latest-interval entries (site, class, target) */

struct vr_metrics;

struct vr_metrics *vr_metrics_new(void); /* NULL on allocation failure; free with _free */
void vr_metrics_free(struct vr_metrics *m);

void vr_metrics_count_ingest(struct vr_metrics *m, uint64_t stored, uint64_t duplicates);
/* Lines of accepted uploads that were refused one by one (ingest.h). */
void vr_metrics_count_rejected_records(struct vr_metrics *m, uint64_t lines);
void vr_metrics_count_reject(struct vr_metrics *m, unsigned status);
void vr_metrics_observe_request(struct vr_metrics *m, uint64_t duration_ns);
/* Counters since start, for the collector's once-a-minute log summary (same lock as above). */
struct vr_metrics_totals {
    uint64_t requests;         /* answered, any status */
    uint64_t stored;           /* records stored */
    uint64_t duplicates;       /* records already stored */
    uint64_t refused;          /* requests answered >= 400 */
    uint64_t rejected_records; /* lines refused one by one inside accepted uploads */
};
void vr_metrics_totals(const struct vr_metrics *m, struct vr_metrics_totals *out);
/* Keeps r as the latest interval of its (site, class, target) when it is newer. Summary
 * records are ignored. Beyond VR_METRICS_MAX_SERIES series, new ones are dropped and counted. */
void vr_metrics_note_interval(struct vr_metrics *m, const struct vr_record *r);

/* The whole exposition into *out (caller frees with free()). 0, VR_ENOMEM or a store error. */
int vr_metrics_render(struct vr_metrics *m, struct vr_store *store, uint64_t now_wall_ns,
                      uint64_t window_ns, char **out, size_t *out_len, struct vr_errbuf *eb);

#endif
