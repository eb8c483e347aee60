/* commands: the agent's sub-commands, one cmd_<name>.c each; main.c is their table (cmdtab.h).
 * Each parses its own options (getopt_long from argv[0] = the command name), prints its own
 * --help, and returns the exit status (0 ready / pass, 1 at risk / not ready / fail, 2 usage or
 * runtime error); main.c exits with it. prog is the program name for messages. */
#ifndef VR_AGENT_COMMANDS_H
#define VR_AGENT_COMMANDS_H

#include "cmdtab.h"

int vr_cmd_reflect(const char *prog, int argc, char **argv);
int vr_cmd_test(const char *prog, int argc, char **argv);
int vr_cmd_run(const char *prog, int argc, char **argv);
int vr_cmd_trace(const char *prog, int argc, char **argv);
int vr_cmd_capture(const char *prog, int argc, char **argv);
int vr_cmd_capacity(const char *prog, int argc, char **argv);
int vr_cmd_spool(const char *prog, int argc, char **argv);

#endif
