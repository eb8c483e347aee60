/* clock: monotonic and wall-clock time in nanoseconds, clock synchronisation state, and the
 * identity of this host's clock. Thin wrappers over clock_gettime/adjtimex; any thread. */
#ifndef VR_CLOCK_H
#define VR_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* CLOCK_MONOTONIC: for deadlines and durations. */
uint64_t vr_clock_mono_ns(void);
/* CLOCK_REALTIME, Unix ns: for timestamps on the wire (kernel RX stamps use this clock). */
uint64_t vr_clock_wall_ns(void);

/* True when the kernel says the wall clock is synchronised (adjtimex: no STA_UNSYNC, not
 * TIME_ERROR), i.e. an NTP/PTP daemon disciplines it. One-way delays between two hosts mean
 * something only when both are. */
bool vr_clock_synced(void);

/* A 64-bit hash of the kernel's boot id (/proc/sys/kernel/random/boot_id). Two processes with
 * the same id read one kernel clock (e.g. network namespaces of one machine), so their one-way
 * delays are exact whatever NTP says. 0 when unknown. */
uint64_t vr_clock_host_id(void);

#endif
