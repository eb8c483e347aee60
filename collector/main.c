/* voiceready-collector: command-line entry point: the command table. Each command lives in its
 * own cmd_<name>.c (commands.h) and parses its own options; exit status 0 success (report:
 * every selected site Ready), 1 report with a site not Ready, 2 usage or runtime error. The only
 * file that calls exit() or owns process-wide state (jansson's allocator, and through
 * cmd_serve.c the signal mask). */
#include <stdio.h>

#include "cmdtab.h"
#include "commands.h"
#include "jarena.h"

static const struct vr_cmd commands[] = {
    {"serve", vr_cmd_serve, "serve",
     "run the HTTP server (default 127.0.0.1:8080, ./voiceready.db)"},
    {"token", vr_cmd_token, "token add --config F --site S",
     "create an agent token for site S (printed once)"},
    {NULL, NULL, "token list", "list tokens"},
    {NULL, NULL, "token revoke ID", "revoke a token"},
    {"report", vr_cmd_report, "report", "site verdicts as text, json or csv"},
    {"plan", vr_cmd_plan, "plan", "planned peak calls and bandwidth of a site (no database)"},
};

static int unknown_command(const struct vr_cmd_program *p, const char *cmd)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (commands: serve, token, report, plan)",
             cmd);
    return vr_cmd_fail(p->name, msg);
}

static const struct vr_cmd_program program = {
    .name = "voiceready-collector",
    .version = "voiceready-collector " VR_VERSION,
    .about = "Collects voiceready agents' results, scores every site for Teams voice and serves\n"
             "the dashboard, the JSON API and Prometheus metrics.\n",
    .synopsis_width = 21,
    .cmds = commands,
    .n_cmds = sizeof(commands) / sizeof(commands[0]),
    .unknown = unknown_command,
};

int main(int argc, char **argv)
{
    vr_jarena_install(); /* before any thread: jansson's allocator hooks are process-wide */
    return vr_cmd_main(&program, argc, argv);
}
