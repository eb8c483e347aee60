#include "cliopt.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int vr_cliopt_shortopts(const struct option *opts, const char *prefix, char *buf, size_t cap)
{
    size_t n = strlen(prefix);

    if (n >= cap)
        goto full;
    memcpy(buf, prefix, n);
    for (const struct option *o = opts; o->name != NULL; o++) {
        if (o->val <= 0 || o->val >= VR_CLIOPT_LONG_ONLY)
            continue;
        if (memchr(buf, o->val, n) != NULL) /* an alias of an earlier option */
            continue;
        if (n + 3 > cap)
            goto full;
        buf[n++] = (char)o->val;
        if (o->has_arg == required_argument)
            buf[n++] = ':';
    }
    buf[n] = '\0';
    return 0;
full:
    if (cap > 0)
        buf[0] = '\0';
    return VR_EFULL;
}

void vr_cliopt_print_short(FILE *f, const struct option *opts)
{
    const char *lead = "\nShort options:";
    size_t col = strlen(lead) - 1, n = 0;

    fputs(lead, f);
    for (const struct option *o = opts; o->name != NULL; o++) {
        bool alias = false;
        if (o->val <= 0 || o->val >= VR_CLIOPT_LONG_ONLY)
            continue;
        for (const struct option *p = opts; p != o; p++)
            alias |= p->val == o->val;
        if (alias)
            continue;
        size_t w = 7 + strlen(o->name); /* " -d --duration" and its comma */
        if (col + w > 80) {
            fputs(n > 0 ? ",\n " : "\n ", f);
            col = 1;
        } else if (n > 0) {
            fputc(',', f);
        }
        fprintf(f, " -%c --%s", o->val, o->name);
        col += w;
        n++;
    }
    fputc('\n', f);
}

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

int vr_cliopt_bad_option(const char *prog, const char *cmd, const char *arg)
{
    fprintf(stderr, "%s: %s: unknown option or missing value \"%s\"; see '%s %s --help'\n", prog,
            cmd, arg, prog, cmd);
    return -1;
}

int vr_cliopt_one_target(const char *prog, const char *cmd, int argc, int first)
{
    if (first == argc - 1)
        return 0;
    fprintf(stderr, "%s: %s needs exactly one HOST[:PORT], e.g. %s %s 192.0.2.10:5004\n", prog, cmd,
            prog, cmd);
    return -1;
}
