#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

int vr_report_parse_format(const char *s, enum vr_report_format *out, struct vr_errbuf *eb)
{
    if (strcmp(s, "text") == 0)
        *out = VR_REPORT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = VR_REPORT_JSON;
    else if (strcmp(s, "csv") == 0)
        *out = VR_REPORT_CSV;
    else
        return vr_errbuf_set(eb, VR_EINVAL, "--format \"%s\": expected text, json or csv", s);
    return 0;
}

/* A figure as the API shows it (rounded), 0 when it has none. */
static double fig(double v)
{
    v = vr_render_round(v);
    return isfinite(v) ? v : 0.0;
}

static double score_of(const struct vr_store_site_summary *s)
{
    return s->verdict.intervals == 0 ? 0.0 : fig(s->verdict.score_pct);
}

static double pass_pct(const struct vr_store_link_row *l)
{
    return l->intervals > 0 ? fig(100.0 * (double)l->passed / (double)l->intervals) : 0.0;
}

static const char *label_of(const struct vr_store_site_summary *s)
{
    if (s->liveness == VR_LIVENESS_NEVER_REPORTED)
        return "No data \xe2\x80\x94 never reported"; /* em dash */
    if (s->verdict.verdict == VR_VERDICT_SILENT)
        return vr_site_verdict_label(s->verdict.verdict);
    return s->verdict.intervals == 0 ? "No data" : vr_site_verdict_label(s->verdict.verdict);
}

/* RFC 3339, or "never" for a site that never reported. */
static void seen_text(uint64_t ns, char *buf, size_t len)
{
    if (ns == 0)
        snprintf(buf, len, "never");
    else
        vr_format_rfc3339(ns, buf, len);
}

/* RFC 4180: quote every field that needs it, double the quotes inside. */
static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* One selected site with its per-link rows (borrowed from the store's results). */
struct sel {
    const struct vr_store_site_summary *s;
    const struct vr_store_link_row *links;
    size_t n_links;
};

/* "18/42": measured capacity / planned peak with growth; "-/42" not measured; "-" no plan. */
static void capacity_text(const struct vr_store_capacity *c, char *buf, size_t len)
{
    char m[16] = "-", p[16] = "-";
    if (c->measured)
        snprintf(m, sizeof(m), "%lld", (long long)c->calls);
    if (c->planned)
        snprintf(p, sizeof(p), "%lld", (long long)c->plan.planned_calls);
    snprintf(buf, len, "%s/%s", m, p);
}

/* "wired 100.0% wifi 92.3%": share of intervals passed per link kind. sep between entries. */
static void links_text(const struct sel *x, const char *sep, bool with_jitter, char *buf,
                       size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < x->n_links; i++) {
        const struct vr_store_link_row *l = &x->links[i];
        int k =
            with_jitter
                ? snprintf(buf + o, len - o, "%s%s %.1f%% jitter %.1f/%.1f ms", o > 0 ? sep : "",
                           l->link, pass_pct(l), fig(l->jitter_fwd_ms), fig(l->jitter_rev_ms))
                : snprintf(buf + o, len - o, "%s%s:%.1f", o > 0 ? sep : "", l->link, pass_pct(l));
        if (k < 0 || (size_t)k >= len - o)
            break;
        o += (size_t)k;
    }
    if (o == 0 && with_jitter)
        snprintf(buf, len, "-");
}

static void write_text(const struct sel *sel, size_t n, uint64_t window_ns, FILE *out)
{
    fprintf(out, "%-24s %-10s %8s %10s %-9s %-13s %-24s %s\n", "SITE", "VERDICT", "SCORE",
            "INTERVALS", "CAP/PLAN", "CAPACITY", "LAST SEEN", "WORST REASON");
    for (size_t i = 0; i < n; i++) {
        const struct vr_store_site_summary *s = sel[i].s;
        char cap[40], links[400], seen[40];
        capacity_text(&s->capacity, cap, sizeof(cap));
        links_text(&sel[i], "; ", true, links, sizeof(links));
        seen_text(s->last_seen_wall_ns, seen, sizeof(seen));
        fprintf(out, "%-24s %-10s %7.1f%% %10.0f %-9s %-13s %-24s %s\n", s->site, label_of(s),
                score_of(s), (double)s->verdict.intervals, cap,
                vr_capacity_status_name(s->capacity.status), seen,
                s->verdict.n_reasons > 0 ? s->verdict.reasons[0] : "-");
        fprintf(out, "%-24s   links: %s\n", "", links);
    }
    fprintf(out,
            "(window %llu h; Ready >= 99 %% of intervals pass and no DSCP mark rewritten; "
            "CAP/PLAN = measured capacity / planned peak calls with growth: Not ready below the "
            "plan, At risk within 20 %% above it or not measured; links: intervals passed and "
            "mean jitter fwd/rev per link kind; Silent = no upload for longer than the site's "
            "silent_after)\n",
            (unsigned long long)(window_ns / 3600000000000ull));
}

static void write_csv(const struct sel *sel, size_t n, FILE *out)
{
    fputs("site,verdict,score_pct,intervals,passed,last_seen,marks_rewritten,worst_reason,"
          "planned_peak_calls,capacity_calls,capacity_status,links\r\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const struct vr_store_site_summary *s = sel[i].s;
        const struct vr_verdict *v = &s->verdict;
        char seen[40];
        seen_text(s->last_seen_wall_ns, seen, sizeof(seen));
        csv_field(out, s->site);
        fprintf(out, ",%s,%.2f,%.0f,%.0f,", vr_render_verdict_name(v), score_of(s),
                (double)v->intervals, (double)v->passed);
        csv_field(out, seen);
        fprintf(out, ",%s,", v->marks_rewritten ? "true" : "false");
        csv_field(out, v->n_reasons > 0 ? v->reasons[0] : "");
        fputc(',', out);
        if (s->capacity.planned)
            fprintf(out, "%lld", (long long)s->capacity.plan.planned_calls);
        fputc(',', out);
        if (s->capacity.measured)
            fprintf(out, "%lld", (long long)s->capacity.calls);
        char links[400];
        links_text(&sel[i], ";", false, links, sizeof(links));
        fprintf(out, ",%s,", vr_capacity_status_name(s->capacity.status));
        csv_field(out, links);
        fputs("\r\n", out);
    }
}

static int write_json(const struct sel *sel, size_t n, uint64_t now_wall_ns, uint64_t window_ns,
                      bool ready_all, FILE *out)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *o = vr_render_site_summary(sel[i].s), *links = json_array();
        for (size_t k = 0; links != NULL && k < sel[i].n_links; k++)
            json_array_append_new(links, vr_render_link_row(&sel[i].links[k]));
        if (o == NULL || links == NULL || json_object_set_new(o, "links", links) < 0 ||
            json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            return VR_ENOMEM;
        }
    }
    char ts[40];
    vr_format_rfc3339(now_wall_ns, ts, sizeof(ts));
    json_t *doc =
        json_pack("{s:s,s:I,s:o,s:b}", "generated", ts, "window_s",
                  (json_int_t)(window_ns / 1000000000ull), "sites", arr, "ready", ready_all);
    int err = doc == NULL || json_dumpf(doc, out, JSON_INDENT(2)) < 0 ? VR_ENOMEM : 0;
    if (err == 0)
        fputc('\n', out);
    json_decref(doc);
    return err;
}

static int link_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct vr_store_link_row *)elem)->site);
}

int vr_report_write(struct vr_store *store, const char *site, uint64_t now_wall_ns,
                    uint64_t window_ns, enum vr_report_format fmt, FILE *out, struct vr_errbuf *eb)
{
    struct vr_store_site_list *all = NULL;
    struct vr_store_link_row *links = NULL;
    size_t n_links = 0;
    struct sel *sel = NULL;
    int rc = vr_store_sites(store, now_wall_ns, window_ns, &all, eb);
    if (rc < 0)
        return rc;
    if ((rc = vr_store_site_links(store, now_wall_ns, window_ns, &links, &n_links, eb)) < 0)
        goto done;
    if (all->n > 0 && (sel = calloc(all->n, sizeof(*sel))) == NULL) {
        rc = vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < all->n; i++) {
        const struct vr_store_site_summary *s = &all->sites[i];
        if (site != NULL && strcmp(s->site, site) != 0)
            continue;
        struct sel *x = &sel[n++];
        x->s = s;
        /* links come by site name: the first row of this site, then its run */
        const struct vr_store_link_row *l =
            n_links > 0 ? bsearch(s->site, links, n_links, sizeof(*links), link_cmp) : NULL;
        if (l == NULL)
            continue;
        while (l > links && strcmp(l[-1].site, s->site) == 0)
            l--;
        x->links = l;
        while (l + x->n_links < links + n_links && strcmp(l[x->n_links].site, s->site) == 0)
            x->n_links++;
    }
    if (site != NULL && n == 0) {
        rc = vr_errbuf_set(eb, VR_ENOTFOUND,
                           "--site \"%s\": no such site in the database (run `report` without "
                           "--site to list them)",
                           site);
        goto done;
    }
    bool ready_all = n > 0;
    for (size_t i = 0; i < n; i++) {
        if (sel[i].s->verdict.intervals == 0 || sel[i].s->verdict.verdict != VR_VERDICT_READY)
            ready_all = false;
    }
    switch (fmt) {
    case VR_REPORT_TEXT:
        write_text(sel, n, window_ns, out);
        break;
    case VR_REPORT_JSON:
        if (write_json(sel, n, now_wall_ns, window_ns, ready_all, out) < 0) {
            rc = vr_errbuf_set(eb, VR_ENOMEM, "could not write the JSON report");
            goto done;
        }
        break;
    case VR_REPORT_CSV:
        write_csv(sel, n, out);
        break;
    }
    if (fflush(out) != 0)
        rc = vr_errbuf_set(eb, VR_EINVAL, "could not write the report");
    else
        rc = ready_all ? 0 : 1;
done:
    free(sel);
    vr_store_link_rows_free(links);
    vr_store_site_list_free(all);
    return rc;
}
