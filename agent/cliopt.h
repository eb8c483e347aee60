/* cliopt: option values that several agent commands take (test, capacity), checked once with
 * one wording. Pure string checks plus an interface lookup; no state; any thread. */
#ifndef VR_AGENT_CLIOPT_H
#define VR_AGENT_CLIOPT_H

#include <stddef.h>

#include "err.h"

/* --interface IF: copies arg into dst (cap bytes) when such an interface exists here; else
 * VR_EINVAL with eb saying how to list them. */
int vr_cliopt_interface(const char *arg, char *dst, size_t cap, struct vr_errbuf *eb);

/* --agent NAME / --site NAME (opt without dashes): 1 to cap-1 characters. */
int vr_cliopt_name(const char *opt, const char *arg, char *dst, size_t cap, struct vr_errbuf *eb);

/* getopt_long refused argument arg of command cmd: one line naming it and --help; returns -1. */
int vr_cliopt_bad_option(const char *prog, const char *cmd, const char *arg);

/* Exactly one HOST[:PORT] operand left after the options (argv[optind]): 0, else one line
 * with an example and -1. */
int vr_cliopt_one_target(const char *prog, const char *cmd, int argc, int optind);

#endif
