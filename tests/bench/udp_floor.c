/* udp_floor: the loopback round-trip floor of a plain C UDP echo, for tests/bench/streams.sh
 * (DESIGN.md §7: the agent's loopback round trip must stay within 2x of this floor).
 *
 * An echo thread and a client ping-pong COUNT probes of SIZE bytes over 127.0.0.1 (or ::1),
 * one probe every INTERVAL on an absolute grid (clock_nanosleep TIMER_ABSTIME), one probe in
 * flight at a time. Two round trips are computed per probe:
 *   raw      T4u - T1: user space before send() to user space after recv() returns; includes
 *            the echo thread's wake-up and both system calls of the echo.
 *   stamped  (T4k - T1) - (T3 - T2k): the agent's formula (DESIGN.md §3): T2k and T4k are kernel
 *            receive stamps (SO_TIMESTAMPNS), T3 is read just before the echo's sendto(), so the
 *            echo's own turnaround is excluded, as the agent's reflector time is.
 * Output: one line per kind, "floor KIND n=... min_us=... p50_us=... p99_us=... max_us=...",
 * plus a "floor lost=..." line. Exit status 0, or 2 on a setup error. Plain C11 + POSIX. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE  1472
#define MIN_SIZE  40
#define STOP_SIZE 1 /* a datagram of this length stops the echo thread */

struct echo {
    int fd;
    pthread_t thread;
};

static uint64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* recvmsg with the SO_TIMESTAMPNS kernel stamp (0 when absent). */
static ssize_t recv_stamped(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from,
                            uint64_t *kstamp_ns)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr msg = {.msg_name = from,
                         .msg_namelen = from != NULL ? sizeof(*from) : 0,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    ssize_t n = recvmsg(fd, &msg, 0);
    *kstamp_ns = 0;
    if (n < 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            *kstamp_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        }
    }
    return n;
}

/* The echo: receive, write T2k and T3 into bytes 16..31, send back. */
static void *echo_run(void *arg)
{
    struct echo *e = arg;
    uint8_t buf[MAX_SIZE];

    for (;;) {
        struct sockaddr_storage from;
        socklen_t flen;
        uint64_t t2k;
        ssize_t n = recv_stamped(e->fd, buf, sizeof(buf), &from, &t2k);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == STOP_SIZE)
            break;
        if (n < MIN_SIZE)
            continue;
        flen =
            from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        put_u64(buf + 16, t2k);
        put_u64(buf + 24, now_ns(CLOCK_REALTIME)); /* T3: just before the send */
        if (sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) < 0 && errno != EAGAIN)
            break;
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static int64_t pct(const int64_t *v, size_t n, double q)
{
    size_t k;
    if (n == 0)
        return 0;
    k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static void print_stats(const char *kind, int64_t *v, size_t n)
{
    qsort(v, n, sizeof(v[0]), cmp_i64);
    printf("floor %s n=%zu min_us=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f\n", kind, n,
           n ? (double)v[0] / 1e3 : 0.0, (double)pct(v, n, 0.50) / 1e3,
           (double)pct(v, n, 0.99) / 1e3, n ? (double)v[n - 1] / 1e3 : 0.0);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: udp_floor [-n COUNT] [-i INTERVAL_US] [-s SIZE] [-6]\n"
               "  -n COUNT        round trips (default 2000)\n"
               "  -i INTERVAL_US  spacing of the probes in microseconds (default 1000)\n"
               "  -s SIZE         UDP payload bytes, 40 to 1472 (default 172, g711)\n"
               "  -6              use ::1 instead of 127.0.0.1\n");
}

static int bind_loopback(int family, struct sockaddr_storage *ss, socklen_t *len)
{
    int one = 1;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(ss, 0, sizeof(*ss));
    if (fd < 0)
        return -1;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        *len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*a);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)ss, *len) != 0 ||
        getsockname(fd, (struct sockaddr *)ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    unsigned long count = 2000, interval_us = 1000, size = 172;
    int family = AF_INET, opt;
    struct sockaddr_storage srv, cli;
    socklen_t srv_len, cli_len;
    struct timeval rcvto = {.tv_sec = 1, .tv_usec = 0};
    struct echo e;
    uint8_t buf[MAX_SIZE], rbuf[MAX_SIZE];
    int64_t *raw, *stamped;
    size_t n_ok = 0;
    unsigned long lost = 0;
    uint64_t t0;
    int fd;

    while ((opt = getopt(argc, argv, "n:i:s:6h")) != -1) {
        switch (opt) {
        case 'n':
            count = strtoul(optarg, NULL, 10);
            break;
        case 'i':
            interval_us = strtoul(optarg, NULL, 10);
            break;
        case 's':
            size = strtoul(optarg, NULL, 10);
            break;
        case '6':
            family = AF_INET6;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (count < 1 || count > 10000000 || interval_us > 10000000 || size < MIN_SIZE ||
        size > MAX_SIZE || optind != argc) {
        usage(stderr);
        return 2;
    }
    prctl(PR_SET_TIMERSLACK, 1UL);

    e.fd = bind_loopback(family, &srv, &srv_len);
    fd = bind_loopback(family, &cli, &cli_len);
    if (e.fd < 0 || fd < 0 || connect(fd, (struct sockaddr *)&srv, srv_len) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcvto, sizeof(rcvto)) != 0) {
        perror("udp_floor: socket setup");
        return 2;
    }
    if (pthread_create(&e.thread, NULL, echo_run, &e) != 0) {
        fprintf(stderr, "udp_floor: cannot start the echo thread\n");
        return 2;
    }
    raw = calloc(count, sizeof(*raw));
    stamped = calloc(count, sizeof(*stamped));
    if (raw == NULL || stamped == NULL) {
        fprintf(stderr, "udp_floor: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131u + 7u);

    t0 = now_ns(CLOCK_MONOTONIC) + 10000000u; /* let the echo thread settle */
    for (unsigned long i = 0; i < count; i++) {
        uint64_t dl = t0 + (uint64_t)i * interval_us * 1000u;
        struct timespec ts = {.tv_sec = (time_t)(dl / 1000000000u),
                              .tv_nsec = (long)(dl % 1000000000u)};
        uint64_t t1, t4u, t4k, t2k, t3;
        ssize_t n;

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        put_u64(buf, (uint64_t)i);
        t1 = now_ns(CLOCK_REALTIME);
        if (send(fd, buf, size, 0) < 0) {
            lost++;
            continue;
        }
        for (;;) {
            n = recv_stamped(fd, rbuf, sizeof(rbuf), NULL, &t4k);
            t4u = now_ns(CLOCK_REALTIME);
            if (n < 0 || (n >= MIN_SIZE && get_u64(rbuf) == (uint64_t)i))
                break; /* error/timeout, or our reply (older ones that came late are skipped) */
        }
        if (n < 0) {
            lost++;
            continue;
        }
        t2k = get_u64(rbuf + 16);
        t3 = get_u64(rbuf + 24);
        raw[n_ok] = (int64_t)(t4u - t1);
        stamped[n_ok] = (t4k != 0 && t2k != 0) ? (int64_t)(t4k - t1) - (int64_t)(t3 - t2k)
                                               : (int64_t)(t4u - t1);
        n_ok++;
    }

    send(fd, buf, STOP_SIZE, 0);
    pthread_join(e.thread, NULL);
    printf("floor probes=%lu size=%lu interval_us=%lu family=%s lost=%lu\n", count, size,
           interval_us, family == AF_INET6 ? "ipv6" : "ipv4", lost);
    print_stats("raw", raw, n_ok);
    print_stats("stamped", stamped, n_ok);
    free(raw);
    free(stamped);
    close(fd);
    close(e.fd);
    return 0;
}
