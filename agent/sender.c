#include "sender.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "probe.h"

/* Sleep until this long before a deadline, then spin: 500 us survives this VM's wake-up
 * latency (p99 ~250 us) while costing ~2 % CPU at 20 ms pacing (REFERENCE.md §8). */
#define SPIN_MARGIN_NS 500000u
/* Spinning pays only while deadlines are far apart: at 1,000 streams they are 20 us apart and
 * spinning would burn the core that the receive path needs. Below this gap the thread sleeps
 * straight to each deadline (wake-up error ~0.1 ms, far under the 1 ms overrun mark). */
#define SPIN_MIN_GAP_NS 2000000u

struct vr_sender {
    pthread_t thread;
    struct vr_stream **streams;
    size_t n;
    struct vr_timeline t;
    atomic_bool stop;
    atomic_bool done;
    struct vr_sender_result res;
};

static void sleep_until(uint64_t deadline_mono_ns, bool spin)
{
    uint64_t now = vr_clock_mono_ns();
    uint64_t margin = spin ? SPIN_MARGIN_NS : 0;
    if (deadline_mono_ns > now + margin) {
        uint64_t wake = deadline_mono_ns - margin;
        struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000u),
                              .tv_nsec = (long)(wake % 1000000000u)};
        /* returns the error number; after EINTR restart with the same absolute request */
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
    }
    while (vr_clock_mono_ns() < deadline_mono_ns)
        ;
}

static void send_one(struct vr_sender *s, struct vr_stream *st, uint32_t seq, uint64_t deadline)
{
    const struct vr_timeline *t = &s->t;
    uint32_t epoch = vr_stream_epoch(st, t, seq);
    uint32_t ts_step = (uint32_t)((uint64_t)st->prof->rtp_clock_hz * t->period_ns / 1000000000u);
    uint64_t now = vr_clock_mono_ns();
    uint64_t late = now > deadline ? now - deadline : 0;

    vr_probe_set_send_fields(st->txbuf, (uint16_t)seq, seq * ts_step, seq, epoch,
                             vr_clock_wall_ns());
    /* publish before sending: on a fast path the reply can be read before send() returns */
    atomic_store_explicit(&st->sent, seq + 1, memory_order_release);
    if (send(st->fd, st->txbuf, st->prof->payload_len, MSG_DONTWAIT) < 0) {
        /* a full socket buffer or an ICMP error queued on the socket: the probe is lost on
         * our side, count it apart so it is never blamed on the network */
        atomic_fetch_add_explicit(&st->send_errors, 1, memory_order_relaxed);
        s->res.send_errors++;
    }
    vr_hist_add(&s->res.deadline_err, late);
    if (late > VR_SENDER_OVERRUN_NS) {
        atomic_fetch_add_explicit(&st->overruns[epoch % VR_EPOCH_RING], 1, memory_order_relaxed);
        s->res.overruns++;
    }
    s->res.sent++;
}

static void *run(void *arg)
{
    struct vr_sender *s = arg;
    const struct vr_timeline *t = &s->t;
    uint64_t end = t->t0_mono_ns + t->duration_ns;

    bool spin = s->n > 0 && t->period_ns / s->n >= SPIN_MIN_GAP_NS;

    prctl(PR_SET_TIMERSLACK, 1UL); /* default 50 us slack would show up as timer error */
    if (spin) {
        /* A spinning thread preempted by another task misses its deadline by a time slice.
         * Real-time priority 1 avoids that; it spins at most 500 us per deadline gap of >= 2 ms
         * (<= 25 % of a core), far under the kernel's 95 % RT throttle. Unprivileged: no-op. */
        struct sched_param sp = {.sched_priority = 1};
        s->res.realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    }
    /* Streams are ordered by offset inside one period, so walking them round-robin visits
     * deadlines in time order. */
    for (uint32_t seq = 0; !atomic_load(&s->stop); seq++) {
        bool any = false;
        for (size_t i = 0; i < s->n && !atomic_load(&s->stop); i++) {
            struct vr_stream *st = s->streams[i];
            uint64_t deadline = t->t0_mono_ns + st->offset_ns + (uint64_t)seq * t->period_ns;
            if (seq >= st->count || deadline >= end)
                continue;
            any = true;
            sleep_until(deadline, spin);
            send_one(s, st, seq, deadline);
        }
        if (!any)
            break;
    }
    atomic_store(&s->done, true);
    return NULL;
}

int vr_sender_start(struct vr_stream **streams, size_t n, const struct vr_timeline *t,
                    struct vr_sender **out)
{
    struct vr_sender *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL)
        return VR_ENOMEM;
    s->streams = streams;
    s->n = n;
    s->t = *t;
    atomic_init(&s->stop, false);
    atomic_init(&s->done, false);
    vr_hist_init(&s->res.deadline_err);
    rc = pthread_create(&s->thread, NULL, run, s);
    if (rc != 0) {
        free(s);
        return -rc;
    }
    *out = s;
    return 0;
}

void vr_sender_stop(struct vr_sender *s)
{
    atomic_store(&s->stop, true);
}

bool vr_sender_done(const struct vr_sender *s)
{
    return atomic_load(&((struct vr_sender *)s)->done);
}

void vr_sender_join(struct vr_sender *s, struct vr_sender_result *out)
{
    if (s == NULL)
        return;
    pthread_join(s->thread, NULL);
    if (out != NULL)
        *out = s->res;
    free(s);
}
