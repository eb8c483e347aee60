/* cmdtab: command tables and their dispatch; see cmdtab.h. */
#include "cmdtab.h"

#include <getopt.h>
#include <string.h>

void vr_cmd_usage(const struct vr_cmd_program *p, FILE *f)
{
    fprintf(f, "usage: %s COMMAND [OPTIONS]\n\n%s\ncommands:\n", p->name, p->about);
    for (size_t i = 0; i < p->n_cmds; i++)
        fprintf(f, "  %-*s %s\n", p->synopsis_width, p->cmds[i].synopsis, p->cmds[i].help);
    fprintf(f, "\nRun '%s COMMAND --help' for the options of a command.\n", p->name);
}

int vr_cmd_fail(const char *prog, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return VR_CMD_EXIT_USAGE;
}

int vr_cmd_main(const struct vr_cmd_program *p, int argc, char **argv)
{
    const char *cmd;

    opterr = 0; /* the commands' own one-line messages name the program and the fix */
    if (argc < 2) {
        vr_cmd_usage(p, stderr);
        return VR_CMD_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        vr_cmd_usage(p, stdout);
        return 0;
    }
    if (p->version != NULL && strcmp(cmd, "--version") == 0) {
        printf("%s\n", p->version);
        return 0;
    }
    for (size_t i = 0; i < p->n_cmds; i++) {
        if (p->cmds[i].name != NULL && strcmp(cmd, p->cmds[i].name) == 0)
            return p->cmds[i].run(p->name, argc - 1, argv + 1);
    }
    return p->unknown(p, cmd);
}
