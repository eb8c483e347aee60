/* cmd_spool: `voiceready-agent spool list|retry|drop`: what the collector refused and the agent
 * keeps in its quarantine (quarantine.h), and what waits in the spool. `retry` gives records
 * back to the spool: straight in when no daemon holds it, else through requeue.jsonl, which the
 * running daemon takes at its next upload. Exit 0, 1 when an id named is not in the quarantine,
 * 2 for a usage or runtime error. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cliopt.h"
#include "commands.h"
#include "config.h"
#include "quarantine.h"
#include "spool.h"
#include "timefmt.h"

#define EXIT_USAGE VR_CMD_EXIT_USAGE

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s spool list [--json] (--config FILE | --spool-dir DIR)\n"
            "       %s spool retry ID... | --all (--config FILE | --spool-dir DIR)\n"
            "       %s spool drop ID... | --all (--config FILE | --spool-dir DIR)\n\n"
            "Records the collector refused are kept in a quarantine beside the spool, with the\n"
            "collector's reason, and never sent again on their own.\n"
            "  list    the quarantined records (id, type, when, field, reason) and the spool's\n"
            "          backlog; --json prints one JSON object\n"
            "  retry   puts them back in the spool: sent at the next upload (a running daemon\n"
            "          takes them then); still refused, they come back to the quarantine\n"
            "  drop    deletes them for good\n\n"
            "  --config FILE    the agent configuration: its [collector] spool_dir\n"
            "  --spool-dir DIR  the spool directory itself\n"
            "  --all            every quarantined record (retry, drop)\n"
            "  --json           machine-readable list\n",
            prog, prog, prog);
}

enum { OPT_CONFIG = VR_CLIOPT_LONG_ONLY, OPT_DIR, OPT_ALL, OPT_JSON };

/* long options only but --help: -c is --class in test and trace (cliopt.h) */
const struct option vr_cmd_spool_options[] = {{"config", required_argument, NULL, OPT_CONFIG},
                                              {"spool-dir", required_argument, NULL, OPT_DIR},
                                              {"all", no_argument, NULL, OPT_ALL},
                                              {"json", no_argument, NULL, OPT_JSON},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};

/* The spool's backlog when no daemon holds it; -1 when one does (its count is in its log). */
static long long backlog(const char *dir)
{
    struct vr_spool *s = NULL;
    if (vr_spool_open(dir, 0, &s) != 0)
        return -1;
    long long n = (long long)vr_spool_count(s);
    vr_spool_free(s);
    return n;
}

static int list(const char *dir, bool as_json)
{
    struct vr_quarantine_entry *e = NULL;
    size_t n = 0, skipped = 0;
    int rc = vr_quarantine_load(dir, &e, &n, &skipped);
    if (rc != 0) {
        fprintf(stderr, "spool list: cannot read the quarantine in %s: %s\n", dir, vr_strerror(rc));
        return EXIT_USAGE;
    }
    long long spooled = backlog(dir);
    if (as_json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < n; i++) {
            char ts[40];
            vr_format_rfc3339(e[i].time_ns, ts, sizeof(ts));
            json_t *rec = json_loads(e[i].record, 0, NULL);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:o?}", "id", e[i].id,
                                                 "type", e[i].type[0] ? e[i].type : NULL, "field",
                                                 e[i].field[0] ? e[i].field : NULL, "quarantined",
                                                 ts, "error", e[i].error, "record", rec));
        }
        json_t *j = json_pack("{s:s,s:o,s:I,s:o}", "spool_dir", dir, "spooled",
                              spooled >= 0 ? json_integer(spooled) : json_null(), "quarantined",
                              (json_int_t)n, "records", arr != NULL ? arr : json_array());
        char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        if (spooled >= 0)
            printf("spool %s: %lld records waiting to upload\n", dir, spooled);
        else
            printf("spool %s: held by a running daemon (its log says what waits)\n", dir);
        printf("quarantine: %zu records the collector refused%s\n", n,
               n > 0 ? " (retry: 'spool retry ID', drop: 'spool drop ID')" : "");
        for (size_t i = 0; i < n; i++) {
            char ts[40];
            vr_format_rfc3339(e[i].time_ns, ts, sizeof(ts));
            printf("  %s  %-8s  %s  %s%s%s\n", e[i].id, e[i].type[0] ? e[i].type : "?", ts,
                   e[i].field[0] ? e[i].field : "", e[i].field[0] ? ": " : "", e[i].error);
        }
    }
    if (skipped > 0)
        fprintf(stderr, "spool list: %zu unreadable lines in %s/quarantine.jsonl skipped\n",
                skipped, dir);
    vr_quarantine_entries_free(e, n);
    return 0;
}

/* Ids named that the quarantine does not hold: one line each; returns how many. */
static size_t unknown_ids(const char *dir, char **ids, size_t n_ids)
{
    struct vr_quarantine_entry *e = NULL;
    size_t n = 0, missing = 0;
    if (vr_quarantine_load(dir, &e, &n, NULL) != 0)
        return 0;
    for (size_t i = 0; i < n_ids; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = strcmp(e[k].id, ids[i]) == 0;
        if (!found) {
            fprintf(stderr, "spool: no record \"%s\" in the quarantine (see 'spool list')\n",
                    ids[i]);
            missing++;
        }
    }
    vr_quarantine_entries_free(e, n);
    return missing;
}

static int take(const char *prog, const char *dir, bool retry, char **ids, size_t n_ids, bool all)
{
    if (n_ids == 0 && !all) {
        fprintf(stderr, "%s: spool %s needs record ids or --all (see 'spool list')\n", prog,
                retry ? "retry" : "drop");
        return EXIT_USAGE;
    }
    size_t missing = all ? 0 : unknown_ids(dir, ids, n_ids);
    size_t taken = 0;
    int rc = vr_quarantine_take(dir, (const char *const *)ids, n_ids, all, retry, &taken);
    if (rc != 0) {
        fprintf(stderr, "%s: spool: cannot update the quarantine in %s: %s\n", prog, dir,
                vr_strerror(rc));
        return EXIT_USAGE;
    }
    if (!retry) {
        printf("dropped %zu records from the quarantine\n", taken);
        return missing > 0 ? 1 : 0;
    }
    struct vr_spool *s = NULL;
    rc = vr_spool_open(dir, 0, &s);
    if (rc == 0) {
        size_t moved = 0;
        rc = vr_requeue_take(dir, s, &moved);
        vr_spool_free(s);
        if (rc != 0) {
            fprintf(stderr,
                    "%s: spool: cannot put them back in the spool: %s (they wait in "
                    "%s/requeue.jsonl)\n",
                    prog, vr_strerror(rc), dir);
            return EXIT_USAGE;
        }
        printf("%zu records back in the spool: sent at the daemon's next upload\n", moved);
    } else if (rc == -EWOULDBLOCK) {
        printf("%zu records handed to the running daemon: sent at its next upload\n", taken);
    } else {
        fprintf(stderr,
                "%s: spool: cannot open the spool %s: %s (the records wait in "
                "%s/requeue.jsonl)\n",
                prog, dir, vr_strerror(rc), dir);
        return EXIT_USAGE;
    }
    return missing > 0 ? 1 : 0;
}

int vr_cmd_spool(const char *prog, int argc, char **argv)
{
    const char *config = NULL, *dir = NULL;
    bool all = false, as_json = false;
    char shortopts[8];
    int c;

    (void)vr_cliopt_shortopts(vr_cmd_spool_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_spool_options, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_DIR:
            dir = optarg;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_JSON:
            as_json = true;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            vr_cliopt_bad_option(prog, "spool", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr, prog);
        return EXIT_USAGE;
    }
    const char *sub = argv[optind++];
    struct vr_agent_config cfg;
    if (dir == NULL && config != NULL) {
        struct vr_errbuf eb = {{0}};
        if (vr_agent_config_load(config, &cfg, &eb) != 0) {
            fprintf(stderr, "%s: %s\n", prog, eb.msg);
            return EXIT_USAGE;
        }
        dir = cfg.spool_dir;
    }
    if (dir == NULL)
        return vr_cmd_fail(prog,
                           "spool needs --config FILE or --spool-dir DIR (see 'spool --help')");
    if (strcmp(sub, "list") == 0) {
        if (optind != argc || all)
            return vr_cmd_fail(prog, "spool list takes no ids nor --all (see 'spool --help')");
        return list(dir, as_json);
    }
    if (strcmp(sub, "retry") == 0 || strcmp(sub, "drop") == 0)
        return take(prog, dir, sub[0] == 'r', argv + optind, (size_t)(argc - optind), all);
    fprintf(stderr, "%s: spool: unknown action \"%s\": expected list, retry or drop\n", prog, sub);
    return EXIT_USAGE;
}
