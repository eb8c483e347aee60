/* commands: the collector's sub-commands, one cmd_<name>.c each; main.c is their table
 * (cmdtab.h). Each parses its own options (getopt_long from argv[0] = the command name), prints
 * its own --help, and returns the exit status (0 success, 1 report with a site not Ready, 2
 * usage or runtime error); main.c exits with it. prog is the program name for messages. */
#ifndef VR_COLLECTOR_COMMANDS_H
#define VR_COLLECTOR_COMMANDS_H

int vr_cmd_serve(const char *prog, int argc, char **argv);
int vr_cmd_token(const char *prog, int argc, char **argv);
int vr_cmd_report(const char *prog, int argc, char **argv);
int vr_cmd_plan(const char *prog, int argc, char **argv);

#endif
