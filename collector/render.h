/* render: the HTTP API's JSON (collector/API.md) built from the store's typed results
 * (store.h). The one place that knows the API's field names, null conventions and number
 * rounding: api.c serves what these return, report.c writes the same site objects in its JSON
 * format and uses vr_render_round so that its text and CSV show the figures the API shows.
 * Pure: reads its arguments only. Every json_t * returned is a new reference (caller
 * json_decref()s it), NULL on allocation failure. */
#ifndef VR_RENDER_H
#define VR_RENDER_H

#include <jansson.h>

#include "store.h"

/* v rounded as the API shows numbers (3 decimals); NAN and infinities stay as they are. */
double vr_render_round(double v);
/* "ready" | "at_risk" | "not_ready" | "silent" | "no_data" (not silent, no counted intervals). */
const char *vr_render_verdict_name(const struct vr_verdict *v);

/* {"generated","window_s","sites":[site objects]} for GET /api/v1/sites. */
json_t *vr_render_sites(const struct vr_store_site_list *l);
/* One site object of the list: site, verdict, score_pct, ..., capacity_reason. */
json_t *vr_render_site_summary(const struct vr_store_site_summary *s);
/* GET /api/v1/sites/{site}. */
json_t *vr_render_site(const struct vr_store_site_detail *d);
/* GET /api/v1/sites/{site}/intervals. */
json_t *vr_render_series(const struct vr_store_series_set *x);
/* One entry of a site's "links" in `report --format json`. */
json_t *vr_render_link_row(const struct vr_store_link_row *r);

#endif
