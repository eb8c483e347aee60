#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

const char *vr_report_ms(double ms, int width, char *buf, size_t len)
{
    /* irtt (and Go's time.Duration) style: the unit that keeps 1 to 3 digits before the
     * point, so 0.0873 ms reads "87.3µs", not "0.0 ms" */
    static const struct {
        double per_ms;
        const char *unit;
    } units[] = {{1e6, "ns"}, {1e3, "µs"}, {1, "ms"}, {1e-3, "s"}};
    const size_t n_units = sizeof(units) / sizeof(units[0]);
    char text[24];
    size_t cols, pad;

    if (isnan(ms) || ms < 0) {
        snprintf(text, sizeof(text), "-");
    } else if (ms == 0) {
        snprintf(text, sizeof(text), "0s");
    } else {
        for (size_t u = 0; u < n_units; u++) {
            double v = ms * units[u].per_ms;
            int decimals = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
            /* 999.96µs rounds to "1000µs": that is "1.00ms" */
            if (v >= 999.5 && u + 1 < n_units)
                continue;
            snprintf(text, sizeof(text), "%.*f%s", decimals, v, units[u].unit);
            break;
        }
    }
    cols = 0;
    for (const char *c = text; *c != '\0'; c++)
        cols += ((unsigned char)*c & 0xC0) != 0x80; /* count UTF-8 lead bytes only */
    pad = (size_t)abs(width) > cols ? (size_t)abs(width) - cols : 0;
    if (width > 0)
        snprintf(buf, len, "%*s%s", (int)pad, "", text);
    else
        snprintf(buf, len, "%s%*s", text, (int)pad, "");
    return buf;
}

void vr_report_progress(FILE *f, const struct vr_session_progress *p)
{
    char line[256], rtt[VR_REPORT_MS_LEN];
    /* after the test time the session still waits for late replies and the reflector's
     * counts: show the end, not 23/20 s */
    bool over = p->elapsed_s >= p->total_s;
    int n = snprintf(line, sizeof(line), "  %3.0f/%.0f s%s", over ? p->total_s : p->elapsed_s,
                     p->total_s, over ? ", finishing" : "");
    for (int c = 0; c < VR_CLASS_COUNT && n > 0 && (size_t)n < sizeof(line); c++) {
        if (!((p->class_mask >> c) & 1u))
            continue;
        double loss = 0;
        /* replies of the last ~RTT are still in flight: only show loss once it is material */
        if (p->sent[c] > 0 && p->received[c] < p->sent[c])
            loss = 100.0 * (double)(p->sent[c] - p->received[c]) / (double)p->sent[c];
        n += snprintf(line + n, sizeof(line) - (size_t)n, " | %s %llu sent", vr_class_get(c)->name,
                      (unsigned long long)p->sent[c]);
        if (n > 0 && (size_t)n < sizeof(line) && p->last_rtt_ms[c] >= 0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, ", rtt %s",
                          vr_report_ms(p->last_rtt_ms[c], 0, rtt, sizeof(rtt)));
        if (n > 0 && (size_t)n < sizeof(line) && loss >= 1.0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f%% unanswered", loss);
    }
    fprintf(f, "\r\033[K%s", line);
    fflush(f);
}

void vr_report_progress_clear(FILE *f)
{
    fprintf(f, "\r\033[K");
    fflush(f);
}

static void dscp_cell(char *buf, size_t len, int sent, const uint64_t counts[64])
{
    const char *sn = vr_dscp_name((unsigned)sent);
    int other = vr_record_dscp_top_other(counts, sent);
    double kept = vr_record_dscp_preserved_pct(counts, sent);
    char seen[16];

    if (kept < 0) {
        snprintf(buf, len, "%-5s -> (nothing)", sn ? sn : "?");
        return;
    }
    if (other < 0 || kept >= 50.0) {
        snprintf(buf, len, "%-5s -> %-5s %5.1f %%", sn ? sn : "?", sn ? sn : "?", kept);
        return;
    }
    const char *on = vr_dscp_name((unsigned)other);
    if (on != NULL)
        snprintf(seen, sizeof(seen), "%s", on);
    else
        snprintf(seen, sizeof(seen), "%d", other);
    snprintf(buf, len, "%-5s -> %-5s %5.1f %%", sn ? sn : "?", seen, kept);
}

static void owd_cell(char *buf, size_t len, const struct vr_record *r, const struct vr_quantiles *q)
{
    vr_report_ms(r->has_owd ? q->p50 : NAN, 10, buf, len);
}

/* The longest time any class measured: the test's length, or less when it was interrupted
 * (summaries say what they cover). */
static double measured_s(const struct vr_session_result *res)
{
    double s = 0;
    for (size_t i = 0; i < res->n_summaries; i++)
        if (res->summaries[i].duration_s > s)
            s = res->summaries[i].duration_s;
    return s;
}

static void print_verdict(FILE *f, const struct vr_session_config *cfg,
                          const struct vr_session_result *res)
{
    const struct vr_verdict *v = &res->verdict;
    const char *label = vr_site_verdict_label(v->verdict);
    unsigned long long n = (unsigned long long)v->intervals, pass = (unsigned long long)v->passed;

    if (res->interrupted)
        fprintf(f,
                "\nVerdict: Interrupted after %.0f of %.0f s (partial: %s on %llu interval%s, "
                "score %.1f %%, %llu of %llu pass)\n",
                measured_s(res), (double)cfg->duration_ns / 1e9, label, n, n == 1 ? "" : "s",
                v->score_pct, pass, n);
    else
        fprintf(f, "\nVerdict: %s (score %.1f %%, %llu of %llu intervals pass)\n", label,
                v->score_pct, pass, n);
    for (size_t i = 0; i < v->n_reasons; i++)
        fprintf(f, "  - %s\n", v->reasons[i]);
}

void vr_report_table(FILE *f, const struct vr_session_config *cfg,
                     const struct vr_session_result *res)
{
    char dscp[48], owd[VR_REPORT_MS_LEN], jit[VR_REPORT_MS_LEN];
    char mean[VR_REPORT_MS_LEN], p95[VR_REPORT_MS_LEN], p99[VR_REPORT_MS_LEN];
    char max[VR_REPORT_MS_LEN];
    bool any_unsynced = false;

    fprintf(f, "\nvoiceready test to %s: %.0f s, %u call%s per class, thresholds %s%s\n\n",
            cfg->target, (double)cfg->duration_ns / 1e9, cfg->calls, cfg->calls == 1 ? "" : "s",
            cfg->thr.name, res->interrupted ? " (interrupted)" : "");
    fprintf(f, "%-18s %-5s %8s %9s %10s  %s\n", "class", "dir", "loss %", "jitter", "one-way",
            "DSCP sent -> seen, kept");
    for (size_t i = 0; i < res->n_summaries; i++) {
        const struct vr_record *r = &res->summaries[i];
        char name[32];
        const char *dn = vr_dscp_name((unsigned)r->dscp);
        snprintf(name, sizeof(name), "%s (%s)", r->cls, dn ? dn : "?");
        any_unsynced |= !r->has_owd;
        dscp_cell(dscp, sizeof(dscp), r->dscp, r->dscp_fwd);
        owd_cell(owd, sizeof(owd), r, &r->owd_fwd_ms);
        fprintf(f, "%-18s %-5s %8.2f %s %s  %s\n", name, "fwd", r->loss_fwd_pct,
                vr_report_ms(r->jitter_fwd_ms, 9, jit, sizeof(jit)), owd, dscp);
        dscp_cell(dscp, sizeof(dscp), r->dscp, r->dscp_rev);
        owd_cell(owd, sizeof(owd), r, &r->owd_rev_ms);
        fprintf(f, "%-18s %-5s %8.2f %s %s  %s\n", "", "rev", r->loss_rev_pct,
                vr_report_ms(r->jitter_rev_ms, 9, jit, sizeof(jit)), owd, dscp);
        fprintf(f, "%-18s %-5s RTT mean %s, p95 %s, p99 %s, max %s; MOS %.2f; %s\n", "", "round",
                vr_report_ms(r->rtt_ms.mean, 0, mean, sizeof(mean)),
                vr_report_ms(r->rtt_ms.p95, 0, p95, sizeof(p95)),
                vr_report_ms(r->rtt_ms.p99, 0, p99, sizeof(p99)),
                vr_report_ms(r->rtt_ms.max, 0, max, sizeof(max)), r->mos,
                vr_level_name(r->verdict));
        if (r->duplicates || r->late || r->send_overruns || r->reorder_pct > 0)
            fprintf(f,
                    "%-18s %-5s %llu duplicate, %llu late, %.3f %% reordered, %llu send "
                    "overruns\n",
                    "", "", (unsigned long long)r->duplicates, (unsigned long long)r->late,
                    r->reorder_pct, (unsigned long long)r->send_overruns);
    }
    if (any_unsynced)
        fprintf(f, "\none-way delay: '-' = the two clocks are not known to be synchronised (run "
                   "NTP/PTP on both ends); RTT and jitter do not need it.\n");
    if (res->interrupted)
        fprintf(f, "\nInterrupted: the verdict covers only what was measured, and an unfinished "
                   "test\nproves nothing: exit status 130 (128 + SIGINT; 143 for SIGTERM).\n");
    print_verdict(f, cfg, res);
    fflush(f);
}

void vr_report_jsonl(FILE *f, const json_t *j)
{
    char *s = j != NULL
                  ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
                  : NULL;
    if (s != NULL) {
        fputs(s, f);
        fputc('\n', f);
        free(s);
    }
    fflush(f);
}
