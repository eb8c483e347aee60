#include "clock.h"

#include "hash.h"

#include <stdio.h>
#include <sys/timex.h>
#include <time.h>

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t vr_clock_mono_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

uint64_t vr_clock_wall_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

bool vr_clock_synced(void)
{
    struct timex tx = {0};
    int state = adjtimex(&tx);
    return state >= 0 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

uint64_t vr_clock_host_id(void)
{
    char buf[64];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n == 0)
        return 0;
    /* FNV-1a from a basis a digit short of FNV's (1469598103934665603): kept, since the id
     * goes on the wire (probe.h refl_host64) and agents of older versions compare it. */
    return vr_hash_fnv1a64_add(UINT64_C(1469598103934665603), buf, n);
}
