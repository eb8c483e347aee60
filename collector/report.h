/* report: `voiceready-collector report`: the site verdicts of the store over a window, as a
 * text table for a terminal, JSON for a script, or CSV for a spreadsheet. It reads only (the
 * site list and per-site verdicts of the store, with the capacity rule's planned peak, measured
 * capacity and status, and per link kind the share of intervals passed and the mean jitter, so
 * that Wi-Fi trouble is not read as a WAN problem) and writes only to the FILE it is given.
 * Single-threaded (main.c). */
#ifndef VR_COLLECTOR_REPORT_H
#define VR_COLLECTOR_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "record.h"
#include "store.h"

enum vr_report_format {
    VR_REPORT_TEXT = 0,
    VR_REPORT_JSON = 1,
    VR_REPORT_CSV = 2,
};

/* "text" | "json" | "csv" into *out; VR_EINVAL with eb otherwise. */
int vr_report_parse_format(const char *s, enum vr_report_format *out, struct vr_errbuf *eb);

/* Writes the report of site (NULL = every site) over [now - window, now] to out.
 * Returns 0 when every selected site is Ready, 1 when one is not (or none has data), or a
 * negative error (VR_ENOTFOUND for an unknown --site) with eb set. */
int vr_report_write(struct vr_store *store, const char *site, uint64_t now_wall_ns,
                    uint64_t window_ns, enum vr_report_format fmt, FILE *out, struct vr_errbuf *eb);

#endif
