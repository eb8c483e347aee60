/* cmd_capacity: placeholder until the command lands. */
#include <stdio.h>

#include "commands.h"

int vr_cmd_capacity(const char *prog, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "%s: 'capacity' is not in this version yet\n", prog);
    return 2;
}
