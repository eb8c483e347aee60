/* voiceready-agent: command-line entry point: the command table. Each command lives in its own
 * cmd_<name>.c (commands.h) and parses its own options; exit status 0 ready / pass, 1 at risk /
 * not ready / fail, 2 usage or runtime error. The only file that calls exit(). */
#include <stdio.h>

#include "cmdtab.h"
#include "commands.h"

static const struct vr_cmd commands[] = {
    {"reflect", vr_cmd_reflect, "reflect",
     "answer probes (run this at the far end: HQ, data centre, cloud edge)"},
    {"test", vr_cmd_test, "test HOST", "measure the path to a reflector and give a verdict"},
    {"run", vr_cmd_run, "run", "the unattended daemon: scheduled tests, uploads to the collector"},
    {"capacity", vr_cmd_capacity, "capacity HOST",
     "find how many concurrent calls the path carries within thresholds"},
    {"trace", vr_cmd_trace, "trace HOST",
     "find the hop where a DSCP mark is rewritten (needs CAP_NET_RAW)"},
    {"capture", vr_cmd_capture, "capture",
     "judge real RTP/Teams calls from an interface or a pcap file"},
    {"spool", vr_cmd_spool, "spool list|retry|drop",
     "records the collector refused (the quarantine) and the upload backlog"},
};

static int unknown_command(const struct vr_cmd_program *p, const char *cmd)
{
    fprintf(stderr, "%s: unknown command \"%s\"; see '%s --help'\n", p->name, cmd, p->name);
    return VR_CMD_EXIT_USAGE;
}

static const struct vr_cmd_program program = {
    .name = "voiceready-agent",
    .version = "voiceready-agent " VR_VERSION,
    .about = "Proves that a network path carries Teams voice and video: latency, jitter, loss,\n"
             "reordering and DSCP marks, per direction, at the load of N concurrent calls.\n",
    .synopsis_width = 14,
    .cmds = commands,
    .n_cmds = sizeof(commands) / sizeof(commands[0]),
    .unknown = unknown_command,
};

int main(int argc, char **argv)
{
    return vr_cmd_main(&program, argc, argv);
}
