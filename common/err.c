#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vr_strerror(int err)
{
    if (err > -1000)
        return strerror(-err);
    switch ((enum vr_err)err) {
    case VR_EINVAL:
        return "invalid input";
    case VR_ETRUNC:
        return "truncated input";
    case VR_EMAGIC:
        return "not a voiceready packet";
    case VR_EVERSION:
        return "unsupported voiceready protocol version";
    case VR_ERANGE:
        return "value out of range";
    case VR_ENOMEM:
        return "out of memory";
    case VR_ETIMEDOUT:
        return "timed out";
    case VR_ENOTFOUND:
        return "not found";
    case VR_EFULL:
        return "table or buffer full";
    case VR_EAUTH:
        return "authentication failed";
    }
    return "unknown error";
}

int vr_errbuf_set(struct vr_errbuf *eb, int err, const char *fmt, ...)
{
    if (eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
        va_end(ap);
    }
    return err;
}
