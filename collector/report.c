#include "report.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

static const char *str_or(json_t *o, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : def;
}

static double num_or(json_t *o, const char *key, double def)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

static const char *label_of(const char *verdict)
{
    if (strcmp(verdict, "ready") == 0)
        return "Ready";
    if (strcmp(verdict, "at_risk") == 0)
        return "At risk";
    if (strcmp(verdict, "not_ready") == 0)
        return "Not ready";
    return "No data";
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

/* "18/42": measured capacity / planned peak with growth; "-/42" not measured; "-" no plan. */
static void capacity_text(json_t *s, char *buf, size_t len)
{
    json_t *cap = json_object_get(s, "capacity_calls");
    json_t *plan = json_object_get(s, "planned_peak_calls");
    char c[16] = "-", p[16] = "-";
    if (json_is_integer(cap))
        snprintf(c, sizeof(c), "%lld", (long long)json_integer_value(cap));
    if (json_is_integer(plan))
        snprintf(p, sizeof(p), "%lld", (long long)json_integer_value(plan));
    snprintf(buf, len, "%s/%s", c, p);
}

/* "wired 100.0% wifi 92.3%": share of intervals passed per link kind. sep between entries. */
static void links_text(json_t *s, const char *sep, bool with_jitter, char *buf, size_t len)
{
    size_t i, o = 0;
    json_t *l;
    buf[0] = '\0';
    json_array_foreach(json_object_get(s, "links"), i, l)
    {
        int k = with_jitter
                    ? snprintf(buf + o, len - o, "%s%s %.1f%% jitter %.1f/%.1f ms",
                               o > 0 ? sep : "", str_or(l, "link", "?"), num_or(l, "pass_pct", 0),
                               num_or(l, "jitter_fwd_ms", 0), num_or(l, "jitter_rev_ms", 0))
                    : snprintf(buf + o, len - o, "%s%s:%.1f", o > 0 ? sep : "",
                               str_or(l, "link", "?"), num_or(l, "pass_pct", 0));
        if (k < 0 || (size_t)k >= len - o)
            break;
        o += (size_t)k;
    }
    if (o == 0 && with_jitter)
        snprintf(buf, len, "-");
}

static void write_text(json_t *sites, uint64_t window_ns, FILE *out)
{
    size_t i;
    json_t *s;
    fprintf(out, "%-24s %-10s %8s %10s %-9s %-13s %-24s %s\n", "SITE", "VERDICT", "SCORE",
            "INTERVALS", "CAP/PLAN", "CAPACITY", "LAST SEEN", "WORST REASON");
    json_array_foreach(sites, i, s)
    {
        char cap[40], links[400];
        capacity_text(s, cap, sizeof(cap));
        links_text(s, "; ", true, links, sizeof(links));
        const char *st = str_or(s, "capacity_status", "no_plan");
        fprintf(out, "%-24s %-10s %7.1f%% %10.0f %-9s %-13s %-24s %s\n", str_or(s, "site", "?"),
                label_of(str_or(s, "verdict", "")), num_or(s, "score_pct", 0),
                num_or(s, "intervals", 0), cap, st, str_or(s, "last_seen", "-"),
                str_or(s, "worst_reason", "-"));
        fprintf(out, "%-24s   links: %s\n", "", links);
    }
    fprintf(out,
            "(window %llu h; Ready >= 99 %% of intervals pass and no DSCP mark rewritten; "
            "CAP/PLAN = measured capacity / planned peak calls with growth: Not ready below the "
            "plan, At risk within 20 %% above it or not measured; links: intervals passed and "
            "mean jitter fwd/rev per link kind)\n",
            (unsigned long long)(window_ns / 3600000000000ull));
}

static void write_csv(json_t *sites, FILE *out)
{
    size_t i;
    json_t *s;
    fputs("site,verdict,score_pct,intervals,passed,last_seen,marks_rewritten,worst_reason,"
          "planned_peak_calls,capacity_calls,capacity_status,links\r\n",
          out);
    json_array_foreach(sites, i, s)
    {
        csv_field(out, str_or(s, "site", ""));
        fprintf(out, ",%s,%.2f,%.0f,%.0f,", str_or(s, "verdict", ""), num_or(s, "score_pct", 0),
                num_or(s, "intervals", 0), num_or(s, "passed", 0));
        csv_field(out, str_or(s, "last_seen", ""));
        fprintf(out, ",%s,",
                json_is_true(json_object_get(s, "marks_rewritten")) ? "true" : "false");
        csv_field(out, str_or(s, "worst_reason", ""));
        json_t *plan = json_object_get(s, "planned_peak_calls");
        json_t *cap = json_object_get(s, "capacity_calls");
        fputc(',', out);
        if (json_is_integer(plan))
            fprintf(out, "%lld", (long long)json_integer_value(plan));
        fputc(',', out);
        if (json_is_integer(cap))
            fprintf(out, "%lld", (long long)json_integer_value(cap));
        char links[400];
        links_text(s, ";", false, links, sizeof(links));
        fprintf(out, ",%s,", str_or(s, "capacity_status", ""));
        csv_field(out, links);
        fputs("\r\n", out);
    }
}

int vr_report_write(struct vr_store *store, const char *site, uint64_t now_wall_ns,
                    uint64_t window_ns, enum vr_report_format fmt, FILE *out, struct vr_errbuf *eb)
{
    json_t *all = NULL;
    int rc = vr_store_sites(store, now_wall_ns, window_ns, &all, eb);
    if (rc < 0)
        return rc;
    json_t *list = json_object_get(all, "sites");
    json_t *sel = json_array();
    if (sel == NULL || !json_is_array(list)) {
        json_decref(sel);
        json_decref(all);
        return vr_errbuf_set(eb, VR_ENOMEM, "the store returned no site list");
    }
    json_t *links = NULL;
    rc = vr_store_site_links(store, now_wall_ns, window_ns, &links, eb);
    if (rc < 0) {
        json_decref(sel);
        json_decref(all);
        return rc;
    }
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        if (site == NULL || strcmp(str_or(s, "site", ""), site) == 0) {
            json_t *l = json_object_get(links, str_or(s, "site", ""));
            json_object_set_new(s, "links", l != NULL ? json_incref(l) : json_array());
            json_array_append(sel, s);
        }
    }
    json_decref(links);
    if (site != NULL && json_array_size(sel) == 0) {
        json_decref(sel);
        json_decref(all);
        return vr_errbuf_set(eb, VR_ENOTFOUND,
                             "--site \"%s\": no such site in the database (run `report` without "
                             "--site to list them)",
                             site);
    }
    int ready_all = json_array_size(sel) > 0;
    json_array_foreach(sel, i, s)
    {
        if (strcmp(str_or(s, "verdict", ""), "ready") != 0)
            ready_all = 0;
    }
    switch (fmt) {
    case VR_REPORT_TEXT:
        write_text(sel, window_ns, out);
        break;
    case VR_REPORT_JSON: {
        char ts[40];
        vr_format_rfc3339(now_wall_ns, ts, sizeof(ts));
        json_t *doc =
            json_pack("{s:s,s:I,s:O,s:b}", "generated", ts, "window_s",
                      (json_int_t)(window_ns / 1000000000ull), "sites", sel, "ready", ready_all);
        if (doc == NULL || json_dumpf(doc, out, JSON_INDENT(2)) < 0) {
            json_decref(doc);
            json_decref(sel);
            json_decref(all);
            return vr_errbuf_set(eb, VR_ENOMEM, "could not write the JSON report");
        }
        fputc('\n', out);
        json_decref(doc);
        break;
    }
    case VR_REPORT_CSV:
        write_csv(sel, out);
        break;
    }
    json_decref(sel);
    json_decref(all);
    if (fflush(out) != 0)
        return vr_errbuf_set(eb, VR_EINVAL, "could not write the report");
    return ready_all ? 0 : 1;
}
