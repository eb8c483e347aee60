#include "report.h"

#include <string.h>

#include "profile.h"

void vr_report_progress(FILE *f, const struct vr_session_progress *p)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "  %3.0f/%.0f s", p->elapsed_s, p->total_s);
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
            n += snprintf(line + n, sizeof(line) - (size_t)n, ", rtt %.1f ms", p->last_rtt_ms[c]);
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
    if (r->has_owd)
        snprintf(buf, len, "%8.2f", q->p50);
    else
        snprintf(buf, len, "%8s", "-");
}

void vr_report_table(FILE *f, const struct vr_session_config *cfg,
                     const struct vr_session_result *res)
{
    char dscp[48], owd[16];
    bool any_unsynced = false;

    fprintf(f, "\nvoiceready test to %s: %.0f s, %u call%s per class, thresholds %s%s\n\n",
            cfg->target, (double)cfg->duration_ns / 1e9, cfg->calls, cfg->calls == 1 ? "" : "s",
            cfg->thr.name, res->interrupted ? " (interrupted)" : "");
    fprintf(f, "%-18s %-5s %8s %9s %10s  %s\n", "class", "dir", "loss %", "jitter ms", "one-way ms",
            "DSCP sent -> seen, kept");
    for (size_t i = 0; i < res->n_summaries; i++) {
        const struct vr_record *r = &res->summaries[i];
        char name[32];
        const char *dn = vr_dscp_name((unsigned)r->dscp);
        snprintf(name, sizeof(name), "%s (%s)", r->cls, dn ? dn : "?");
        any_unsynced |= !r->has_owd;
        dscp_cell(dscp, sizeof(dscp), r->dscp, r->dscp_fwd);
        owd_cell(owd, sizeof(owd), r, &r->owd_fwd_ms);
        fprintf(f, "%-18s %-5s %8.2f %9.2f %10s  %s\n", name, "fwd", r->loss_fwd_pct,
                r->jitter_fwd_ms, owd, dscp);
        dscp_cell(dscp, sizeof(dscp), r->dscp, r->dscp_rev);
        owd_cell(owd, sizeof(owd), r, &r->owd_rev_ms);
        fprintf(f, "%-18s %-5s %8.2f %9.2f %10s  %s\n", "", "rev", r->loss_rev_pct,
                r->jitter_rev_ms, owd, dscp);
        fprintf(f, "%-18s %-5s RTT mean %.2f ms, p95 %.2f, p99 %.2f, max %.2f; MOS %.2f; %s\n", "",
                "round", r->rtt_ms.mean, r->rtt_ms.p95, r->rtt_ms.p99, r->rtt_ms.max, r->mos,
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
        fprintf(f, "\nInterrupted: the verdict covers only what was measured; exit status 1, since "
                   "an unfinished test proves nothing.\n");
    fprintf(f, "\nVerdict: %s (score %.1f %%, %llu of %llu intervals pass)\n",
            vr_site_verdict_label(res->verdict.verdict), res->verdict.score_pct,
            (unsigned long long)res->verdict.passed, (unsigned long long)res->verdict.intervals);
    for (size_t i = 0; i < res->verdict.n_reasons; i++)
        fprintf(f, "  - %s\n", res->verdict.reasons[i]);
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
