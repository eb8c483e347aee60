/* cliopt: what the agent's commands share on their command line: one meaning per short option
 * letter across every command (the tables below), and the option values several commands take
 * (test, capacity), checked once with one wording. Pure string checks plus an interface
 * lookup; no mutable state; any thread. */
#ifndef VR_AGENT_CLIOPT_H
#define VR_AGENT_CLIOPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Each command's getopt_long table (cmd_<name>.c), terminated by a NULL name. val is the short
 * letter when the option has one, else VR_CLIOPT_LONG_ONLY or above. A letter means one thing
 * in every command: -d duration, -i interval, -I interface, -c class, -T thresholds, ...; a long
 * alias (trace's --device for --interface) shares its option's val and comes after it.
 * tests/agent/test_cliopt.c fails on a letter with two meanings. */
#define VR_CLIOPT_LONG_ONLY 256
extern const struct option vr_cmd_test_options[];
extern const struct option vr_cmd_trace_options[];
extern const struct option vr_cmd_capture_options[];
extern const struct option vr_cmd_capacity_options[];
extern const struct option vr_cmd_reflect_options[];
extern const struct option vr_cmd_run_options[];
extern const struct option vr_cmd_spool_options[];

/* getopt_long's short-option string for opts: prefix (e.g. "+", or ""), then each letter with
 * ':' when it takes an argument, in table order, aliases once. Returns 0, or VR_EFULL when cap
 * is too small (buf then holds "" so that no letter is accepted by mistake). */
int vr_cliopt_shortopts(const struct option *opts, const char *prefix, char *buf, size_t cap);

/* For --help: "Short options: -d --duration, -i --interval, ..." from opts (aliases once),
 * wrapped within 80 columns, so that the help always says what getopt accepts. */
void vr_cliopt_print_short(FILE *f, const struct option *opts);

/* --interface IF: copies arg into dst (cap bytes) when such an interface exists here; else
 * VR_EINVAL with eb saying how to list them. */
int vr_cliopt_interface(const char *arg, char *dst, size_t cap, struct vr_errbuf *eb);

/* --agent NAME / --site NAME (opt without dashes): 1 to cap-1 characters. */
int vr_cliopt_name(const char *opt, const char *arg, char *dst, size_t cap, struct vr_errbuf *eb);

/* getopt_long refused argument arg of command cmd: one line naming it and --help; returns -1. */
int vr_cliopt_bad_option(const char *prog, const char *cmd, const char *arg);

/* Exactly one HOST[:PORT] operand left after the options (argv[optind]): 0, else one line
 * with an example and -1. */
int vr_cliopt_one_target(const char *prog, const char *cmd, int argc, int first);

#endif
