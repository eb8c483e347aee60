/* cmdtab: the command table of a program with sub-commands (voiceready-agent COMMAND ...,
 * voiceready-collector COMMAND ...) and the dispatch both main()s share: the usage with one line
 * per command, --help / -h / help, --version, and the message for an unknown command.
 * Commands parse their own options (getopt_long from argv[0] = the command name; opterr is 0,
 * so they print their own one-line messages) and return the exit status. Prints to stdout and
 * stderr only; the tables are static, read-only data; no other state. */
#ifndef VR_CMDTAB_H
#define VR_CMDTAB_H

#include <stddef.h>
#include <stdio.h>

#define VR_CMD_EXIT_USAGE 2 /* usage or runtime error, in both programs */

struct vr_cmd {
    /* argv[1] that selects the command; NULL for a further usage line of the command above */
    const char *name;
    int (*run)(const char *prog, int argc, char **argv);
    const char *synopsis; /* "test HOST": the left column of the usage */
    const char *help;     /* one line */
};

struct vr_cmd_program {
    const char *name;    /* "voiceready-agent": prog of every message */
    const char *version; /* the --version line, or NULL when the program has none */
    const char *about;   /* the paragraph under the usage line, each line ending in '\n' */
    int synopsis_width;  /* the left column's width in the usage */
    const struct vr_cmd *cmds;
    size_t n_cmds;
    /* the one line (after "PROG: ") for an unknown command; returns the exit status */
    int (*unknown)(const struct vr_cmd_program *p, const char *cmd);
};

/* "usage: PROG COMMAND [OPTIONS]", the about text, the commands, and the pointer to
 * 'PROG COMMAND --help'. */
void vr_cmd_usage(const struct vr_cmd_program *p, FILE *f);

/* "PROG: MSG" on stderr; returns VR_CMD_EXIT_USAGE. */
int vr_cmd_fail(const char *prog, const char *msg);

/* main() of p: dispatches argv[1] to its command with argv + 1 (argv[0] the command name).
 * No command: the usage on stderr and VR_CMD_EXIT_USAGE; --help, -h, help: the usage on stdout
 * and 0; --version (when p has one): that line and 0. */
int vr_cmd_main(const struct vr_cmd_program *p, int argc, char **argv);

#endif
