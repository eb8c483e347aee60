#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int vr_parse_duration_ns(const char *s, const char *what, uint64_t *out, struct vr_errbuf *eb)
{
    char *end;
    double v, mult;

    /* digits first: strtod would also take blanks, signs, hex and "inf" */
    if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
        goto bad;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0 || strchr(s, 'x') || strchr(s, 'X'))
        goto bad;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1e9;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60e9;
    else if (strcmp(end, "h") == 0)
        mult = 3600e9;
    else
        goto bad;
    if (v * mult > 1e18)
        goto bad;
    *out = (uint64_t)llround(v * mult);
    return 0;
bad:
    return vr_errbuf_set(eb, VR_EINVAL,
                         "%s \"%s\": expected a duration with ms, s, m or h, e.g. 60s", what, s);
}

int vr_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 struct vr_errbuf *eb)
{
    char *end;
    unsigned long long v;

    /* strtoull skips blanks and accepts signs ("-1" wraps to 2^64 - 1): digits only */
    errno = 0;
    v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
        return vr_errbuf_set(eb, VR_EINVAL, "%s \"%s\": expected a whole number from %llu to %llu",
                             what, s, (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

static int parse_port(const char *s, const char *full, uint16_t *port, struct vr_errbuf *eb)
{
    uint64_t v;
    if (vr_parse_u64(s, "port", 1, 65535, &v, NULL) != 0)
        return vr_errbuf_set(eb, VR_EINVAL, "\"%s\": port \"%s\" is not a number from 1 to 65535",
                             full, s);
    *port = (uint16_t)v;
    return 0;
}

int vr_parse_hostport(const char *s, uint16_t default_port, char *host, size_t hostlen,
                      uint16_t *port, struct vr_errbuf *eb)
{
    const char *colon = strrchr(s, ':');
    const char *hs = s, *portstr = NULL;
    size_t hl;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "\"%s\": expected [IPv6]:PORT, e.g. [2001:db8::1]:5004", s);
        hs = s + 1;
        hl = (size_t)(close - hs);
        if (close[1] == ':')
            portstr = close + 2;
    } else if (colon != NULL && strchr(s, ':') == colon) {
        hl = (size_t)(colon - s);
        portstr = colon + 1;
    } else {
        hl = strlen(s); /* no colon, or a bare IPv6 address */
    }
    if (hl == 0 || hl >= hostlen)
        return vr_errbuf_set(eb, VR_EINVAL, "\"%s\": expected HOST[:PORT], e.g. 192.0.2.10:5004",
                             s);
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = default_port;
    if (portstr != NULL)
        return parse_port(portstr, s, port, eb);
    return 0;
}

int vr_parse_classes(const char *s, unsigned *mask, struct vr_errbuf *eb)
{
    char buf[128];
    char *save = NULL;

    if (strlen(s) >= sizeof(buf))
        return vr_errbuf_set(eb, VR_EINVAL, "--class \"%.40s...\": value too long", s);
    strcpy(buf, s);
    *mask = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        enum vr_class c;
        if (strcmp(tok, "all") == 0) {
            *mask |= (1u << VR_CLASS_COUNT) - 1;
            continue;
        }
        if (vr_class_by_name(tok, &c) != 0)
            return vr_errbuf_set(
                eb, VR_EINVAL,
                "--class \"%s\": expected audio, video, sharing, besteffort or all "
                "(comma-separated)",
                tok);
        *mask |= 1u << c;
    }
    if (*mask == 0)
        return vr_errbuf_set(eb, VR_EINVAL,
                             "--class \"%s\": no class given; expected audio, video, sharing, "
                             "besteffort or all",
                             s);
    return 0;
}

void vr_ini_strip_comment(char *line)
{
    for (char *p = line; *p != '\0' && *p != '\n'; p++) {
        if ((*p == '#' || *p == ';') && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
            bool nl = strchr(p, '\n') != NULL;
            p[0] = nl ? '\n' : '\0';
            if (nl)
                p[1] = '\0';
            return;
        }
    }
}
