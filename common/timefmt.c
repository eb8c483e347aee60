/* timefmt: RFC 3339 UTC timestamps, the one time format of records, reasons and reports
 * ("2026-11-27T14:05:00.000Z"). Pure; any thread. */
#include "timefmt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

void vr_format_rfc3339(uint64_t wall_ns, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return;
    time_t secs = (time_t)(wall_ns / NS_PER_S);
    unsigned ms = (unsigned)((wall_ns % NS_PER_S) / NS_PER_MS);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "days_from_civil"). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n decimal digits at *p. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

int vr_parse_rfc3339(const char *s, uint64_t *wall_ns)
{
    int y, mo, d, h, mi, sec;
    const char *p = s;
    if (s == NULL)
        return VR_EINVAL;
    if (!read_digits(&p, 4, &y) || !expect_char(&p, '-') || !read_digits(&p, 2, &mo) ||
        !expect_char(&p, '-') || !read_digits(&p, 2, &d) || !expect_char(&p, 'T') ||
        !read_digits(&p, 2, &h) || !expect_char(&p, ':') || !read_digits(&p, 2, &mi) ||
        !expect_char(&p, ':') || !read_digits(&p, 2, &sec))
        return VR_EINVAL;
    uint64_t frac_ns = 0;
    if (*p == '.') {
        p++;
        int ndigits = 0;
        uint64_t scale = NS_PER_S / 10;
        while (*p >= '0' && *p <= '9') {
            /* digits past the nanosecond are valid RFC 3339 but below our resolution */
            frac_ns += (uint64_t)(*p - '0') * scale;
            scale /= 10;
            ndigits++;
            p++;
        }
        if (ndigits == 0)
            return VR_EINVAL;
    }
    if (!expect_char(&p, 'Z') || *p != '\0')
        return VR_EINVAL;
    /* Unix time has no leap second (:60); wall_ns is unsigned, so nothing before 1970 */
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return VR_EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    if ((uint64_t)secs > (UINT64_MAX - frac_ns) / NS_PER_S)
        return VR_EINVAL; /* past 2554-07-21, the end of uint64 nanoseconds */
    *wall_ns = (uint64_t)secs * NS_PER_S + frac_ns;
    return 0;
}
