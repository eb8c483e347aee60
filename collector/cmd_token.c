/* cmd_token: `voiceready-collector token add|list|revoke`: agent tokens in the store (only
 * their SHA-256 is kept; `add` prints the token once). Exit status 0, or 2 for a usage or
 * runtime error. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmdtab.h"
#include "cmdutil.h"
#include "commands.h"
#include "config.h"
#include "parse.h"
#include "record.h"
#include "store.h"
#include "tokens.h"

#define EXIT_USAGE VR_CMD_EXIT_USAGE

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s token add --site SITE [--config FILE] [--db FILE]\n"
            "       %s token list [--config FILE] [--db FILE]\n"
            "       %s token revoke ID [--config FILE] [--db FILE]\n\n"
            "`add` prints the new token once on stdout: give it to the site's agents\n"
            "(token = ... in agent.conf). Only its SHA-256 is stored.\n"
            "The database is the config's `db =` (--config), or --db FILE (wins when both\n"
            "are given). It must exist: `serve` creates it.\n",
            prog, prog, prog);
}

static bool valid_site(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static void print_token(void *arg, const struct vr_token *t)
{
    char ts[40];
    vr_format_rfc3339(t->created_wall_ns, ts, sizeof(ts));
    fprintf(arg, "%-6lld %-24s %-26s %s\n", (long long)t->id, t->site, ts,
            t->revoked ? "revoked" : "active");
}

int vr_cmd_token(const char *prog, int argc, char **argv)
{
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *db = NULL, *config = NULL;
    struct vr_errbuf eb = {{0}};
    int c;
    while ((c = getopt_long(argc, argv, ":s:d:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            site = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            return vr__cmd_bad_option(prog, argv, c);
        }
    }
    if (optind >= argc)
        return vr_cmd_fail(prog, "token: expected add, list or revoke (see token --help)");
    const char *sub = argv[optind++];
    /* Only the db path is taken from the config; loaded whole so a bad file is reported. */
    struct vr_config cfg;
    if (vr__cmd_load_config(prog, config, &cfg) != 0)
        return EXIT_USAGE;
    /* only a --db named on purpose may be created by token add (scripts that add the first
     * token before serve); the default path and a config's db must exist: serve creates them */
    bool explicit_db = db != NULL;
    char dbbuf[4096];
    snprintf(dbbuf, sizeof(dbbuf), "%s",
             db != NULL ? db : (config != NULL ? cfg.db : VR_CONFIG_DEFAULT_DB));
    vr_config_free(&cfg);
    db = dbbuf;
    struct vr_store *store = NULL;
    int ret = EXIT_USAGE;
    if (strcmp(sub, "add") == 0) {
        if (site == NULL)
            return vr_cmd_fail(
                prog, "token add: --site SITE is required, e.g. token add --config FILE --site hq");
        if (!valid_site(site))
            return vr_cmd_fail(prog, "--site: expected 1..63 letters, digits, '-', '_' or '.'");
        if (optind < argc)
            return vr_cmd_fail(prog, "token add takes no arguments besides options (see --help)");
        if ((explicit_db ? vr__cmd_create_store(prog, db, &store)
                         : vr__cmd_open_store(prog, db, NULL, false, &store)) != 0)
            return EXIT_USAGE;
        char text[VR_TOKEN_TEXT_LEN];
        uint8_t hash[32];
        int64_t id = 0;
        int rc = vr_token_generate(text, sizeof(text), hash);
        if (rc < 0) {
            vr_cmd_fail(prog, "could not generate a random token (getrandom failed)");
        } else if (vr_store_token_add(store, site, hash, &id, &eb) < 0) {
            vr_cmd_fail(prog, eb.msg);
        } else {
            fprintf(stderr, "%s: token %lld for site \"%s\" (shown once; only its hash is kept)\n",
                    prog, (long long)id, site);
            printf("%s\n", text);
            ret = fflush(stdout) == 0 ? 0 : EXIT_USAGE;
        }
    } else if (strcmp(sub, "list") == 0) {
        if (optind < argc)
            return vr_cmd_fail(prog, "token list takes no arguments besides options (see --help)");
        if (vr__cmd_open_store(prog, db, NULL, false, &store) != 0)
            return EXIT_USAGE;
        printf("%-6s %-24s %-26s %s\n", "ID", "SITE", "CREATED", "STATE");
        if (vr_store_token_list(store, print_token, stdout, &eb) < 0)
            vr_cmd_fail(prog, eb.msg);
        else
            ret = 0;
    } else if (strcmp(sub, "revoke") == 0) {
        uint64_t id = 0;
        if (optind + 1 != argc)
            return vr_cmd_fail(prog, "token revoke: expected one token ID (see token list)");
        if (vr_parse_u64(argv[optind], "token ID", 1, INT64_MAX, &id, &eb) < 0)
            return vr_cmd_fail(prog, eb.msg);
        if (vr__cmd_open_store(prog, db, NULL, false, &store) != 0)
            return EXIT_USAGE;
        int rc = vr_store_token_revoke(store, (int64_t)id, &eb);
        if (rc == VR_ENOTFOUND) {
            char msg[128];
            snprintf(msg, sizeof(msg), "token revoke: no token %llu (see token list)",
                     (unsigned long long)id);
            vr_cmd_fail(prog, msg);
        } else if (rc < 0) {
            vr_cmd_fail(prog, eb.msg);
        } else {
            fprintf(stderr, "%s: token %llu revoked\n", prog, (unsigned long long)id);
            ret = 0;
        }
    } else {
        char msg[128];
        snprintf(msg, sizeof(msg), "token %.40s: expected add, list or revoke", sub);
        return vr_cmd_fail(prog, msg);
    }
    vr_store_close(store);
    return ret;
}
