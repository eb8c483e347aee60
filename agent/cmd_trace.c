/* cmd_trace: placeholder until the command lands. */
#include <stdio.h>

#include "commands.h"

int vr_cmd_trace(const char *prog, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "%s: 'trace' is not in this version yet\n", prog);
    return 2;
}
