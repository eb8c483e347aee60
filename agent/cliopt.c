#include "cliopt.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

int vr_cliopt_interface(const char *arg, char *dst, size_t cap, struct vr_errbuf *eb)
{
    size_t n = strlen(arg);
    if (n == 0 || n >= cap || n >= IFNAMSIZ || strchr(arg, '/') != NULL || if_nametoindex(arg) == 0)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--interface \"%s\": no such network interface here; list them "
                             "with 'ip link'",
                             arg);
    snprintf(dst, cap, "%s", arg);
    return 0;
}

int vr_cliopt_name(const char *opt, const char *arg, char *dst, size_t cap, struct vr_errbuf *eb)
{
    size_t n = strlen(arg);
    if (n == 0 || n >= cap)
        return vr_errbuf_set(eb, VR_EINVAL, "--%s: 1 to %zu characters", opt, cap - 1);
    snprintf(dst, cap, "%s", arg);
    return 0;
}
