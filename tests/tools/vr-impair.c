/*
 * vr-impair: a UDP impairment relay for the network-namespace lab (tests/lab/).
 *
 * The kernel here has no netem, so delay and delay variation are injected in user space: clients
 * send to --listen; for each distinct client address:port the relay opens its own socket connected
 * to --upstream, so that replies map back to the client that caused them. Every packet is held for
 * base + variation (a seeded PRNG, deterministic per --seed and per direction) and then released,
 * keeping the TOS byte it arrived with. One CSV line per packet goes to --log; the lab compares
 * what the agent reports with this log (the truth).
 *
 * What it does not do: no loss (nftables does that in the lab), no rate limit (HTB does), no
 * rewriting of payloads. It is a test tool: one process, one thread, no library beyond libc.
 *
 * Variation, drawn per packet and per direction from its own xorshift64* stream (seeded by
 * splitmix64 from --seed, so the forward holds do not depend on reply timing):
 *   uniform:S      hold = base + U(-S, +S), clamped at 0 (netem's "delay BASE S"); holds that
 *                  differ by more than the packet spacing reorder packets, as netem does
 *   burst:P,D[,N]  a packet outside a burst starts one with probability P; that packet and the
 *                  next N-1 of the same direction (N = 5 by default, 100 ms of a 50 pps stream)
 *                  are held base + D; one draw is made per packet, in or out of a burst
 * Release: a min-heap on (release time, arrival order); the loop sleeps in epoll on a timerfd
 * armed at the heap top's absolute CLOCK_MONOTONIC time (timer slack 1 ns), so sockets and the
 * deadline share one wait. The hold counts from the kernel receive stamp (SO_TIMESTAMPNS).
 *
 * Log format, one line per packet (header line first):
 *   dir,ssrc,rtp_seq,rx_wall_ns,delay_ns,tx_wall_ns,tos
 *   dir         fwd (client -> upstream) or rev (upstream -> client)
 *   ssrc        RTP SSRC (bytes 8..11) if the packet starts with an RTP v2 header, else -1
 *   rtp_seq     RTP sequence number (bytes 2..3), else -1
 *   rx_wall_ns  kernel receive time (SO_TIMESTAMPNS), CLOCK_REALTIME ns
 *   delay_ns    the hold drawn for this packet: base + variation
 *   tx_wall_ns  CLOCK_REALTIME read just before sendmsg(); -1 if the packet was not sent
 *               (queue full, client table full, send error, or still held at exit)
 *   tos         the TOS / traffic class byte received and sent on (decimal), -1 if unknown
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define IMP_MAX_DGRAM       65536
#define IMP_DEFAULT_CLIENTS 4096
#define IMP_DEFAULT_QUEUE   65536
#define IMP_CLIENT_IDLE_NS  (30ull * 1000000000ull)
#define IMP_BURST_LEN       5
#define IMP_DRAIN_BUDGET    256
#define IMP_EV_LISTEN       UINT64_MAX
#define IMP_EV_TIMER        (UINT64_MAX - 1)
#define IMP_NO_TOS          (-1)
#define IMP_EXIT_USAGE      2
#define IMP_EXIT_RUNTIME    1
#define IMP_NS_PER_MS       1000000ull
#define IMP_NS_PER_S        1000000000ull

enum imp_dir { IMP_FWD = 0, IMP_REV = 1 };

enum imp_var_kind { IMP_VAR_NONE, IMP_VAR_UNIFORM, IMP_VAR_BURST };

/* Delay variation of one direction. */
struct imp_var {
    enum imp_var_kind kind;
    uint64_t spread_ns;  /* uniform: hold is base +- spread_ns */
    double burst_p;      /* burst: probability that a packet starts a burst */
    uint64_t burst_ns;   /* burst: extra hold of each packet in a burst */
    unsigned burst_len;  /* burst: packets per burst, the starting one included */
    unsigned burst_left; /* packets of the current burst still to come */
};

struct imp_direction {
    const char *name;
    uint64_t base_ns;
    struct imp_var var;
    uint64_t rng; /* xorshift64* state, seeded by splitmix64 from --seed */
    uint64_t received;
    uint64_t sent;
    uint64_t dropped; /* queue full, client table full, stale client */
    uint64_t send_errors;
};

/* One held packet; data follows the header in the same allocation. */
struct imp_pkt {
    uint64_t release_mono_ns;
    uint64_t order; /* arrival counter: equal release times leave in arrival order */
    uint64_t rx_wall_ns;
    uint64_t delay_ns;
    uint32_t client;
    uint32_t client_gen;
    enum imp_dir dir;
    int tos;
    size_t len;
    unsigned char data[];
};

struct imp_client {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int fd; /* connected to the upstream; -1 when the slot is free */
    uint32_t gen;
    uint32_t next; /* hash chain */
    uint64_t last_mono_ns;
};

struct imp_relay {
    int listen_fd;
    int timer_fd;
    int ep_fd;
    const char *listen_arg; /* as given, for messages */
    struct sockaddr_storage listen_addr;
    socklen_t listen_len;
    struct sockaddr_storage up_addr;
    socklen_t up_len;
    struct imp_client *clients;
    uint32_t max_clients;
    uint32_t n_clients;
    uint32_t *buckets;
    uint32_t n_buckets;
    struct imp_pkt **heap;
    size_t heap_len;
    size_t max_queue;
    uint64_t order;
    uint64_t armed_ns;
    struct imp_direction dir[2];
    FILE *log;
    unsigned char buf[IMP_MAX_DGRAM];
};

#define IMP_NIL UINT32_MAX

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vr-impair --listen ADDR:PORT --upstream ADDR:PORT --log FILE [options]\n"
        "\n"
        "UDP relay that delays each packet by base + variation, per direction, keeping its\n"
        "TOS byte, and logs one CSV line per packet. Addresses: 10.77.1.1:6004, [fd77:1::1]:6004.\n"
        "\n"
        "  --listen ADDR:PORT    where clients send (forward direction starts here)\n"
        "  --upstream ADDR:PORT  where packets are relayed to; replies come back as 'rev'\n"
        "  --fwd-delay D         base hold client->upstream (default 0), e.g. 40ms, 500us\n"
        "  --fwd-var V           variation client->upstream (default none):\n"
        "                          none\n"
        "                          uniform:S   hold uniformly in [base-S, base+S] (>= 0)\n"
        "                          burst:P,D[,N] each packet outside a burst starts one with\n"
        "                                      probability P (0..1, or 0..100%%); it and the\n"
        "                                      next N-1 packets of that direction (N default\n"
        "                                      %d) are held D longer (later packets may\n"
        "                                      overtake them)\n"
        "  --rev-delay D         base hold upstream->client (default 0)\n"
        "  --rev-var V           variation upstream->client (default none)\n"
        "  --seed N              PRNG seed (default 1); same seed, same packet order, same "
        "holds\n"
        "  --queue N             max packets held at once, both directions (default %d)\n"
        "  --max-clients N       max distinct clients (default %d); idle ones (30 s) are reused\n"
        "  --log FILE            CSV log: dir,ssrc,rtp_seq,rx_wall_ns,delay_ns,tx_wall_ns,tos\n"
        "  --help                this text\n"
        "\n"
        "Holds over half the packet spacing reorder packets (as netem does). Packets that are\n"
        "not sent are logged with tx_wall_ns -1. SIGINT/SIGTERM flush the log and exit 0.\n",
        IMP_BURST_LEN, IMP_DEFAULT_QUEUE, IMP_DEFAULT_CLIENTS);
}

static void die_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "vr-impair: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see vr-impair --help)\n");
    exit(IMP_EXIT_USAGE);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * IMP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* splitmix64 turns any seed (even 0) into a well-mixed xorshift state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* xorshift64*: fast, and good enough to draw test delays. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Uniform in [0, 1) with 53 bits. */
static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Parses "40ms", "500us", "1.5s", "20000ns", "0"; returns -1 on error. */
static int parse_duration(const char *s, uint64_t *out_ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !(v >= 0.0) || v > 3600.0 * 1e9)
        return -1;
    double mult;
    if (strcmp(end, "ns") == 0)
        mult = 1.0;
    else if (strcmp(end, "us") == 0)
        mult = 1e3;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "s") == 0)
        mult = 1e9;
    else if (*end == '\0' && v == 0.0)
        mult = 0.0;
    else
        return -1;
    double ns = v * mult;
    if (ns > 3600.0 * 1e9)
        return -1;
    *out_ns = (uint64_t)llround(ns);
    return 0;
}

static uint64_t parse_duration_opt(const char *opt, const char *s)
{
    uint64_t ns;
    if (parse_duration(s, &ns) != 0) {
        fprintf(stderr,
                "vr-impair: %s \"%s\": expected a duration with ns, us, ms or s, e.g. 40ms "
                "(see vr-impair --help)\n",
                opt, s);
        exit(IMP_EXIT_USAGE);
    }
    return ns;
}

static unsigned long parse_count(const char *opt, const char *s, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v == 0 || v > max || s[0] == '-') {
        fprintf(stderr, "vr-impair: %s \"%s\": expected a whole number from 1 to %lu\n", opt, s,
                max);
        exit(IMP_EXIT_USAGE);
    }
    return v;
}

static void parse_var(const char *opt, const char *s, struct imp_var *v)
{
    memset(v, 0, sizeof(*v));
    if (strcmp(s, "none") == 0) {
        v->kind = IMP_VAR_NONE;
        return;
    }
    if (strncmp(s, "uniform:", 8) == 0) {
        v->kind = IMP_VAR_UNIFORM;
        if (parse_duration(s + 8, &v->spread_ns) == 0)
            return;
    } else if (strncmp(s, "burst:", 6) == 0) {
        char tmp[128];
        if (strlen(s + 6) < sizeof(tmp)) {
            strcpy(tmp, s + 6);
            char *p = tmp;
            char *d = strchr(p, ',');
            char *n = d ? strchr(d + 1, ',') : NULL;
            if (d)
                *d++ = '\0';
            if (n)
                *n++ = '\0';
            char *end;
            errno = 0;
            double prob = strtod(p, &end);
            bool pct = *end == '%';
            if (pct) {
                prob /= 100.0;
                end++;
            }
            bool ok = d && end != p && *end == '\0' && errno == 0 && prob >= 0.0 && prob <= 1.0 &&
                      parse_duration(d, &v->burst_ns) == 0;
            unsigned long len = IMP_BURST_LEN;
            if (ok && n) {
                errno = 0;
                len = strtoul(n, &end, 10);
                ok = end != n && *end == '\0' && errno == 0 && len >= 1 && len <= 100000 &&
                     n[0] != '-';
            }
            if (ok) {
                v->kind = IMP_VAR_BURST;
                v->burst_p = prob;
                v->burst_len = (unsigned)len;
                return;
            }
        }
    }
    fprintf(stderr,
            "vr-impair: %s \"%s\": expected none, uniform:SPREAD (e.g. uniform:3ms) or "
            "burst:P,EXTRA[,N] (e.g. burst:0.01,80ms)\n",
            opt, s);
    exit(IMP_EXIT_USAGE);
}

/* "1.2.3.4:5" or "[v6]:5" into a sockaddr; returns -1 on error. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port;
    memset(ss, 0, sizeof(*ss));
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
            return -1;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof(host))
            return -1;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (end == port || *end != '\0' || errno != 0 || p == 0 || p > 65535)
        return -1;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)p);
        *len = sizeof(*in4);
        return 0;
    }
    if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)p);
        *len = sizeof(*in6);
        return 0;
    }
    return -1;
}

static void parse_addr_opt(const char *opt, const char *s, struct sockaddr_storage *ss,
                           socklen_t *len)
{
    if (parse_addr(s, ss, len) != 0) {
        fprintf(stderr,
                "vr-impair: %s \"%s\": expected IPV4:PORT or [IPV6]:PORT, e.g. 10.77.1.1:6004 "
                "or [fd77:1::1]:6004\n",
                opt, s);
        exit(IMP_EXIT_USAGE);
    }
}

/* Draws the hold of the next packet of a direction. */
static uint64_t draw_delay(struct imp_direction *d)
{
    struct imp_var *v = &d->var;
    uint64_t ns = d->base_ns;
    switch (v->kind) {
    case IMP_VAR_NONE:
        break;
    case IMP_VAR_UNIFORM: {
        double off = (2.0 * rng_unit(&d->rng) - 1.0) * (double)v->spread_ns;
        double hold = (double)d->base_ns + off;
        ns = hold <= 0.0 ? 0 : (uint64_t)llround(hold);
        break;
    }
    case IMP_VAR_BURST:
        /* Draw for every packet, so the sequence of draws depends only on the packet count. */
        if (rng_unit(&d->rng) < v->burst_p && v->burst_left == 0)
            v->burst_left = v->burst_len;
        if (v->burst_left > 0) {
            v->burst_left--;
            ns += v->burst_ns;
        }
        break;
    }
    return ns;
}

/* Min-heap on (release time, arrival order). */
static bool pkt_before(const struct imp_pkt *a, const struct imp_pkt *b)
{
    if (a->release_mono_ns != b->release_mono_ns)
        return a->release_mono_ns < b->release_mono_ns;
    return a->order < b->order;
}

static void heap_push(struct imp_relay *r, struct imp_pkt *p)
{
    size_t i = r->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pkt_before(p, r->heap[parent]))
            break;
        r->heap[i] = r->heap[parent];
        i = parent;
    }
    r->heap[i] = p;
}

static struct imp_pkt *heap_pop(struct imp_relay *r)
{
    struct imp_pkt *top = r->heap[0];
    struct imp_pkt *last = r->heap[--r->heap_len];
    size_t i = 0;
    size_t n = r->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pkt_before(r->heap[c + 1], r->heap[c]))
            c++;
        if (!pkt_before(r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0)
        r->heap[i] = last;
    return top;
}

/* Bounds-checked RTP v2 header read (RFC 3550 §5.1): seq at 2..3, SSRC at 8..11. */
static void rtp_ids(const unsigned char *b, size_t len, int64_t *ssrc, int64_t *seq)
{
    *ssrc = -1;
    *seq = -1;
    if (len < 12 || (b[0] >> 6) != 2)
        return;
    *seq = (int64_t)(((uint32_t)b[2] << 8) | b[3]);
    *ssrc =
        (int64_t)(((uint32_t)b[8] << 24) | ((uint32_t)b[9] << 16) | ((uint32_t)b[10] << 8) | b[11]);
}

static void log_pkt(struct imp_relay *r, enum imp_dir dir, const unsigned char *data, size_t len,
                    uint64_t rx_wall_ns, uint64_t delay_ns, int64_t tx_wall_ns, int tos)
{
    int64_t ssrc, seq;
    rtp_ids(data, len, &ssrc, &seq);
    fprintf(r->log, "%s,%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%d\n",
            r->dir[dir].name, ssrc, seq, rx_wall_ns, delay_ns, tx_wall_ns, tos);
}

static uint32_t addr_hash(const struct sockaddr_storage *ss, uint32_t n_buckets)
{
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p;
    size_t len;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        h = (h ^ a->sin_port) * 1099511628211ull;
        p = (const unsigned char *)&a->sin_addr;
        len = sizeof(a->sin_addr);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        h = (h ^ a->sin6_port) * 1099511628211ull;
        p = (const unsigned char *)&a->sin6_addr;
        len = sizeof(a->sin6_addr);
    }
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (uint32_t)(h % n_buckets);
}

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static int set_int_opt(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Receive options shared by the listening and the upstream sockets. */
static int set_rx_opts(int fd, int family)
{
    if (set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) != 0)
        return -1;
    /* Room for bursts while the loop sends; failure only means the default size. */
    (void)set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
    if (family == AF_INET6 && set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) != 0)
        return -1;
    /* Also on IPv6: IPv4 on a dual-stack socket reports its TOS as IP_TOS (REFERENCE §8). */
    return set_int_opt(fd, IPPROTO_IP, IP_RECVTOS, 1);
}

static void client_unlink(struct imp_relay *r, uint32_t idx)
{
    uint32_t b = addr_hash(&r->clients[idx].addr, r->n_buckets);
    uint32_t *link = &r->buckets[b];
    while (*link != IMP_NIL) {
        if (*link == idx) {
            *link = r->clients[idx].next;
            return;
        }
        link = &r->clients[*link].next;
    }
}

static void client_close(struct imp_relay *r, uint32_t idx)
{
    struct imp_client *c = &r->clients[idx];
    client_unlink(r, idx);
    epoll_ctl(r->ep_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->gen++; /* held packets of the old client are dropped at release */
    r->n_clients--;
}

/* Finds or creates the client entry; returns IMP_NIL when the table is full of active clients. */
static uint32_t client_get(struct imp_relay *r, const struct sockaddr_storage *addr,
                           socklen_t addr_len, uint64_t now_mono_ns)
{
    uint32_t b = addr_hash(addr, r->n_buckets);
    for (uint32_t i = r->buckets[b]; i != IMP_NIL; i = r->clients[i].next) {
        if (addr_equal(&r->clients[i].addr, addr))
            return i;
    }
    uint32_t slot = IMP_NIL;
    if (r->n_clients == r->max_clients) {
        uint32_t oldest = IMP_NIL;
        for (uint32_t i = 0; i < r->max_clients; i++) {
            if (oldest == IMP_NIL || r->clients[i].last_mono_ns < r->clients[oldest].last_mono_ns)
                oldest = i;
        }
        if (now_mono_ns - r->clients[oldest].last_mono_ns < IMP_CLIENT_IDLE_NS)
            return IMP_NIL;
        client_close(r, oldest);
        slot = oldest;
    } else {
        for (uint32_t i = 0; i < r->max_clients; i++) {
            if (r->clients[i].fd < 0) {
                slot = i;
                break;
            }
        }
    }
    int fd = socket(r->up_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "vr-impair: socket for a new client: %s\n", strerror(errno));
        return IMP_NIL;
    }
    if (set_rx_opts(fd, r->up_addr.ss_family) != 0 ||
        connect(fd, (const struct sockaddr *)&r->up_addr, r->up_len) != 0) {
        fprintf(stderr, "vr-impair: upstream socket for a new client: %s\n", strerror(errno));
        close(fd);
        return IMP_NIL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = slot};
    if (epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        fprintf(stderr, "vr-impair: epoll_ctl: %s\n", strerror(errno));
        close(fd);
        return IMP_NIL;
    }
    struct imp_client *c = &r->clients[slot];
    memcpy(&c->addr, addr, sizeof(*addr));
    c->addr_len = addr_len;
    c->fd = fd;
    c->last_mono_ns = now_mono_ns;
    c->next = r->buckets[b];
    r->buckets[b] = slot;
    r->n_clients++;
    return slot;
}

static void queue_packet(struct imp_relay *r, enum imp_dir dir, uint32_t client, size_t len,
                         uint64_t rx_wall_ns, int tos)
{
    struct imp_direction *d = &r->dir[dir];
    uint64_t now_wall = clock_ns(CLOCK_REALTIME);
    uint64_t now_mono = clock_ns(CLOCK_MONOTONIC);
    /* The hold counts from the kernel receive time, not from our wake-up. */
    uint64_t age = now_wall > rx_wall_ns ? now_wall - rx_wall_ns : 0;
    uint64_t rx_mono = now_mono > age ? now_mono - age : now_mono;
    uint64_t delay = draw_delay(d);
    struct imp_pkt *p = NULL;
    if (client != IMP_NIL && r->heap_len < r->max_queue)
        p = malloc(sizeof(*p) + len);
    if (!p) {
        d->dropped++;
        log_pkt(r, dir, r->buf, len, rx_wall_ns, delay, -1, tos);
        return;
    }
    p->release_mono_ns = rx_mono + delay;
    p->order = r->order++;
    p->rx_wall_ns = rx_wall_ns;
    p->delay_ns = delay;
    p->client = client;
    p->client_gen = r->clients[client].gen;
    p->dir = dir;
    p->tos = tos;
    p->len = len;
    memcpy(p->data, r->buf, len);
    heap_push(r, p);
}

/* Sends one released packet with its TOS byte as a per-packet cmsg. */
static void release_packet(struct imp_relay *r, struct imp_pkt *p)
{
    struct imp_direction *d = &r->dir[p->dir];
    struct imp_client *c = &r->clients[p->client];
    if (c->fd < 0 || c->gen != p->client_gen) {
        d->dropped++;
        log_pkt(r, p->dir, p->data, p->len, p->rx_wall_ns, p->delay_ns, -1, p->tos);
        return;
    }
    int fd = p->dir == IMP_FWD ? c->fd : r->listen_fd;
    const struct sockaddr_storage *dst = p->dir == IMP_FWD ? &r->up_addr : &c->addr;
    struct iovec iov = {.iov_base = p->data, .iov_len = p->len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (p->dir == IMP_REV) {
        msg.msg_name = &c->addr;
        msg.msg_namelen = c->addr_len;
    }
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    if (p->tos != IMP_NO_TOS) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        bool v4 = dst->ss_family == AF_INET ||
                  IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)dst)->sin6_addr);
        /* v4-mapped peers leave through the IPv4 path, which reads SOL_IP cmsgs only. */
        cm->cmsg_level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
        cm->cmsg_type = v4 ? IP_TOS : IPV6_TCLASS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &p->tos, sizeof(int));
    }
    int64_t tx_wall = (int64_t)clock_ns(CLOCK_REALTIME);
    if (sendmsg(fd, &msg, 0) < 0) {
        d->send_errors++;
        tx_wall = -1;
    } else {
        d->sent++;
    }
    log_pkt(r, p->dir, p->data, p->len, p->rx_wall_ns, p->delay_ns, tx_wall, p->tos);
}

static void release_due(struct imp_relay *r)
{
    while (r->heap_len > 0) {
        if (r->heap[0]->release_mono_ns > clock_ns(CLOCK_MONOTONIC))
            break;
        struct imp_pkt *p = heap_pop(r);
        release_packet(r, p);
        free(p);
    }
}

/* Arms the timer on the absolute CLOCK_MONOTONIC release time of the heap's top. */
static int arm_timer(struct imp_relay *r)
{
    uint64_t at = r->heap_len > 0 ? r->heap[0]->release_mono_ns : 0;
    if (at == r->armed_ns)
        return 0;
    struct itimerspec its = {0};
    if (at > 0) {
        its.it_value.tv_sec = (time_t)(at / IMP_NS_PER_S);
        its.it_value.tv_nsec = (long)(at % IMP_NS_PER_S);
    }
    if (timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return -1;
    r->armed_ns = at;
    return 0;
}

/* Reads TOS and the kernel receive time from the cmsgs of one datagram. */
static void read_cmsgs(struct msghdr *msg, int *tos, uint64_t *rx_wall_ns)
{
    *tos = IMP_NO_TOS;
    *rx_wall_ns = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
            *rx_wall_ns = (uint64_t)ts.tv_sec * IMP_NS_PER_S + (uint64_t)ts.tv_nsec;
        } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS &&
                   cm->cmsg_len >= CMSG_LEN(1)) {
            unsigned char b;
            memcpy(&b, CMSG_DATA(cm), 1);
            *tos = b;
        } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(cm), sizeof(v));
            *tos = v & 0xff;
        }
    }
    if (*rx_wall_ns == 0) /* no kernel stamp: the best we have */
        *rx_wall_ns = clock_ns(CLOCK_REALTIME);
}

/* Drains one socket: the listening one (client == IMP_NIL) or a client's upstream socket. */
static void drain(struct imp_relay *r, uint32_t client)
{
    int fd = client == IMP_NIL ? r->listen_fd : r->clients[client].fd;
    for (int n = 0; n < IMP_DRAIN_BUDGET; n++) {
        struct sockaddr_storage from;
        struct iovec iov = {.iov_base = r->buf, .iov_len = sizeof(r->buf)};
        union {
            char buf[CMSG_SPACE(sizeof(struct timespec)) + 2 * CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct msghdr msg = {.msg_name = &from,
                             .msg_namelen = sizeof(from),
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf)};
        ssize_t got = recvmsg(fd, &msg, 0);
        if (got < 0) {
            /* ECONNREFUSED and the like: an ICMP error for an earlier packet; carry on. */
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
                continue;
            fprintf(stderr, "vr-impair: recvmsg: %s\n", strerror(errno));
            return;
        }
        int tos;
        uint64_t rx_wall;
        read_cmsgs(&msg, &tos, &rx_wall);
        uint64_t now_mono = clock_ns(CLOCK_MONOTONIC);
        enum imp_dir dir = client == IMP_NIL ? IMP_FWD : IMP_REV;
        r->dir[dir].received++;
        uint32_t idx = client;
        if (dir == IMP_FWD)
            idx = client_get(r, &from, msg.msg_namelen, now_mono);
        if (idx != IMP_NIL)
            r->clients[idx].last_mono_ns = now_mono;
        queue_packet(r, dir, idx, (size_t)got, rx_wall, tos);
    }
}

static int relay_open(struct imp_relay *r)
{
    r->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    r->listen_fd = socket(r->listen_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->ep_fd < 0 || r->timer_fd < 0 || r->listen_fd < 0) {
        fprintf(stderr, "vr-impair: cannot create sockets: %s\n", strerror(errno));
        return -1;
    }
    if (set_rx_opts(r->listen_fd, r->listen_addr.ss_family) != 0) {
        fprintf(stderr, "vr-impair: socket options: %s\n", strerror(errno));
        return -1;
    }
    if (bind(r->listen_fd, (const struct sockaddr *)&r->listen_addr, r->listen_len) != 0) {
        fprintf(stderr, "vr-impair: --listen %s: cannot bind: %s%s\n", r->listen_arg,
                strerror(errno),
                errno == EADDRINUSE      ? " (another relay or program holds the port)"
                : errno == EADDRNOTAVAIL ? " (no interface here has that address)"
                                         : "");
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = IMP_EV_LISTEN};
    struct epoll_event tev = {.events = EPOLLIN, .data.u64 = IMP_EV_TIMER};
    if (epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, r->listen_fd, &ev) != 0 ||
        epoll_ctl(r->ep_fd, EPOLL_CTL_ADD, r->timer_fd, &tev) != 0) {
        fprintf(stderr, "vr-impair: epoll_ctl: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static int relay_run(struct imp_relay *r, const sigset_t *wait_mask)
{
    struct epoll_event evs[64];
    while (!stop_signal) {
        release_due(r);
        if (arm_timer(r) != 0) {
            fprintf(stderr, "vr-impair: timerfd_settime: %s\n", strerror(errno));
            return -1;
        }
        /* Signals are blocked except while waiting here, so none is lost between checks. */
        int n = epoll_pwait(r->ep_fd, evs, 64, -1, wait_mask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "vr-impair: epoll_pwait: %s\n", strerror(errno));
            return -1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == IMP_EV_TIMER) {
                uint64_t ticks;
                if (read(r->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                    fprintf(stderr, "vr-impair: timerfd read: %s\n", strerror(errno));
                r->armed_ns = 0;
            } else if (tag == IMP_EV_LISTEN) {
                drain(r, IMP_NIL);
            } else if (r->clients[tag].fd >= 0) {
                drain(r, (uint32_t)tag);
            }
            release_due(r);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct imp_relay relay;
    struct imp_relay *r = &relay;
    const char *log_path = NULL;
    bool have_listen = false, have_up = false;
    uint64_t seed = 1;
    unsigned long max_clients = IMP_DEFAULT_CLIENTS;
    unsigned long max_queue = IMP_DEFAULT_QUEUE;
    r->dir[IMP_FWD].name = "fwd";
    r->dir[IMP_REV].name = "rev";

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(opt, "--", 2) != 0)
            die_usage("unexpected argument \"%s\"", opt);
        if (i + 1 >= argc)
            die_usage("%s needs a value", opt);
        const char *val = argv[++i];
        if (strcmp(opt, "--listen") == 0) {
            parse_addr_opt(opt, val, &r->listen_addr, &r->listen_len);
            r->listen_arg = val;
            have_listen = true;
        } else if (strcmp(opt, "--upstream") == 0) {
            parse_addr_opt(opt, val, &r->up_addr, &r->up_len);
            have_up = true;
        } else if (strcmp(opt, "--fwd-delay") == 0) {
            r->dir[IMP_FWD].base_ns = parse_duration_opt(opt, val);
        } else if (strcmp(opt, "--rev-delay") == 0) {
            r->dir[IMP_REV].base_ns = parse_duration_opt(opt, val);
        } else if (strcmp(opt, "--fwd-var") == 0) {
            parse_var(opt, val, &r->dir[IMP_FWD].var);
        } else if (strcmp(opt, "--rev-var") == 0) {
            parse_var(opt, val, &r->dir[IMP_REV].var);
        } else if (strcmp(opt, "--seed") == 0) {
            char *end;
            errno = 0;
            seed = strtoull(val, &end, 0);
            if (end == val || *end != '\0' || errno != 0 || val[0] == '-')
                die_usage("--seed \"%s\": expected a whole number, e.g. 42", val);
        } else if (strcmp(opt, "--queue") == 0) {
            max_queue = parse_count(opt, val, 1ul << 24);
        } else if (strcmp(opt, "--max-clients") == 0) {
            max_clients = parse_count(opt, val, 1ul << 20);
        } else if (strcmp(opt, "--log") == 0) {
            log_path = val;
        } else {
            die_usage("unknown option \"%s\"", opt);
        }
    }
    if (!have_listen)
        die_usage("%s", "--listen ADDR:PORT is required");
    if (!have_up)
        die_usage("%s", "--upstream ADDR:PORT is required");
    if (!log_path)
        die_usage("%s", "--log FILE is required");

    /* Independent streams per direction: the forward holds do not depend on reply timing. */
    uint64_t sm = seed;
    r->dir[IMP_FWD].rng = splitmix64(&sm) | 1;
    r->dir[IMP_REV].rng = splitmix64(&sm) | 1;

    r->max_clients = (uint32_t)max_clients;
    r->n_buckets = r->max_clients * 2 + 1;
    r->max_queue = max_queue;
    r->clients = calloc(r->max_clients, sizeof(*r->clients));
    r->buckets = malloc(r->n_buckets * sizeof(*r->buckets));
    r->heap = malloc(r->max_queue * sizeof(*r->heap));
    if (!r->clients || !r->buckets || !r->heap) {
        fprintf(stderr, "vr-impair: out of memory for %lu clients and %lu packets\n", max_clients,
                max_queue);
        return IMP_EXIT_RUNTIME;
    }
    for (uint32_t i = 0; i < r->max_clients; i++)
        r->clients[i].fd = -1;
    for (uint32_t i = 0; i < r->n_buckets; i++)
        r->buckets[i] = IMP_NIL;

    /* Default slack (50 us) would be added to every release (REFERENCE §8). */
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
        fprintf(stderr, "vr-impair: PR_SET_TIMERSLACK: %s (continuing)\n", strerror(errno));

    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);

    if (relay_open(r) != 0)
        return IMP_EXIT_RUNTIME;
    r->log = fopen(log_path, "w");
    if (!r->log) {
        fprintf(stderr, "vr-impair: --log %s: %s\n", log_path, strerror(errno));
        return IMP_EXIT_RUNTIME;
    }
    static char log_buf[1 << 20];
    setvbuf(r->log, log_buf, _IOFBF, sizeof(log_buf));
    /* The header appears at once: scripts wait for it to know the relay is bound. */
    fprintf(r->log, "dir,ssrc,rtp_seq,rx_wall_ns,delay_ns,tx_wall_ns,tos\n");
    fflush(r->log);

    int rc = relay_run(r, &wait_mask) == 0 ? 0 : IMP_EXIT_RUNTIME;

    /* Packets still held were never sent: log them so that the log accounts for every packet. */
    uint64_t held = r->heap_len;
    while (r->heap_len > 0) {
        struct imp_pkt *p = heap_pop(r);
        log_pkt(r, p->dir, p->data, p->len, p->rx_wall_ns, p->delay_ns, -1, p->tos);
        free(p);
    }
    if (fclose(r->log) != 0) {
        fprintf(stderr, "vr-impair: --log %s: %s\n", log_path, strerror(errno));
        rc = IMP_EXIT_RUNTIME;
    }
    for (int d = 0; d < 2; d++) {
        struct imp_direction *x = &r->dir[d];
        fprintf(stderr,
                "vr-impair: %s received %" PRIu64 " sent %" PRIu64 " dropped %" PRIu64
                " send_errors %" PRIu64 "\n",
                x->name, x->received, x->sent, x->dropped, x->send_errors);
    }
    fprintf(stderr, "vr-impair: %" PRIu64 " packets still held at exit, %" PRIu32 " clients\n",
            held, r->n_clients);
    for (uint32_t i = 0; i < r->max_clients; i++) {
        if (r->clients[i].fd >= 0)
            close(r->clients[i].fd);
    }
    close(r->listen_fd);
    close(r->timer_fd);
    close(r->ep_fd);
    free(r->heap);
    free(r->buckets);
    free(r->clients);
    return rc;
}
