#include "reflect.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hash.h"
#include "probe.h"
#include "sock.h"

#define MAX_LISTENERS 8
#define BATCH         32
#define PROBE_WINDOW  32                           /* linear-probing distance in the tables */
#define IDLE_NS       (120 * UINT64_C(1000000000)) /* a stream idle this long may be reused */

struct stream_key {
    uint8_t addr[16];
    uint16_t port;
    uint8_t family;
    uint32_t ssrc;
};

/* One sender stream: its receive counts per sender epoch (interval). */
struct stream_slot {
    struct stream_key key;
    bool used;
    uint32_t epoch;   /* newest epoch seen */
    uint32_t rx_cur;  /* probes of `epoch` received */
    uint32_t rx_prev; /* probes of `epoch - 1` received */
    uint32_t total;   /* probes received: the reply number */
    uint64_t last_mono_ns;
};

struct source_slot {
    uint8_t addr[16];
    uint8_t family;
    bool used;
    double tokens;
    uint64_t last_mono_ns;
};

struct listener {
    uv_poll_t poll;
    int fd;
    int family;
    struct vr_reflector *owner;
};

struct vr_reflector {
    uv_loop_t *loop;
    struct vr_reflect_config cfg;
    struct listener listeners[MAX_LISTENERS];
    size_t n_listeners;
    size_t closing;
    vr_reflector_close_cb close_cb;
    void *close_arg;
    struct stream_slot *streams; /* cfg.max_streams entries */
    struct source_slot *sources; /* cfg.max_streams entries */
    uint64_t host_id;
    bool synced; /* cached: adjtimex per packet would be a syscall per packet */
    uint64_t synced_checked_ns;
    struct vr_reflect_stats stats;
    /* batch buffers */
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage peers[BATCH];
    uint8_t bufs[BATCH][VR_PROBE_MAX_LEN + 1];
    uint8_t rx_cmsg[BATCH][VR_SOCK_RX_CMSG_LEN];
    struct mmsghdr out[BATCH];
    struct iovec out_iov[BATCH];
    uint8_t tx_cmsg[BATCH][VR_SOCK_TX_CMSG_LEN];
};

static void key_from_addr(const struct sockaddr_storage *ss, struct stream_key *k)
{
    memset(k, 0, sizeof(*k));
    k->family = (uint8_t)ss->ss_family;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(k->addr, &s6->sin6_addr, 16);
        k->port = s6->sin6_port;
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        memcpy(k->addr, &s4->sin_addr, 4);
        k->port = s4->sin_port;
    }
}

/* Finds the stream's slot, or takes an empty, idle or (table full) the oldest slot of its
 * probing window for it. Never fails: under a flood of new streams the oldest are forgotten,
 * which costs those senders their forward/reverse split, not the reflector its memory. */
static struct stream_slot *stream_lookup(struct vr_reflector *r, const struct stream_key *k,
                                         uint64_t now)
{
    uint32_t mask = r->cfg.max_streams - 1;
    uint64_t h = vr_hash_fnv1a64(k->addr, 16);
    h = vr_hash_fnv1a64_add(h, &k->port, 2);
    h = vr_hash_fnv1a64_add(h, &k->ssrc, 4);
    struct stream_slot *victim = NULL;

    for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
        struct stream_slot *s = &r->streams[(h + i) & mask];
        if (!s->used) {
            if (victim == NULL)
                victim = s;
            break;
        }
        if (s->key.ssrc == k->ssrc && s->key.port == k->port && s->key.family == k->family &&
            memcmp(s->key.addr, k->addr, 16) == 0)
            return s;
        if (victim == NULL || (victim->used && s->last_mono_ns < victim->last_mono_ns))
            victim = s;
    }
    if (victim->used && now - victim->last_mono_ns < IDLE_NS)
        r->stats.streams_evicted++;
    memset(victim, 0, sizeof(*victim));
    victim->key = *k;
    victim->used = true;
    return victim;
}

/* Token bucket per source address: rate_pps with a burst of 100 ms worth. */
static bool source_allow(struct vr_reflector *r, const struct stream_key *k, uint64_t now)
{
    uint32_t mask = r->cfg.max_streams - 1;
    uint64_t h = vr_hash_fnv1a64(k->addr, 16);
    double burst = r->cfg.rate_pps / 10.0 + 1.0;
    struct source_slot *victim = NULL, *s = NULL;

    for (uint32_t i = 0; i < PROBE_WINDOW; i++) {
        struct source_slot *c = &r->sources[(h + i) & mask];
        if (c->used && c->family == k->family && memcmp(c->addr, k->addr, 16) == 0) {
            s = c;
            break;
        }
        if (!c->used) {
            victim = c;
            break;
        }
        if (victim == NULL || c->last_mono_ns < victim->last_mono_ns)
            victim = c;
    }
    if (s == NULL) {
        s = victim;
        memset(s, 0, sizeof(*s));
        memcpy(s->addr, k->addr, 16);
        s->family = k->family;
        s->used = true;
        s->tokens = burst;
        s->last_mono_ns = now;
    }
    s->tokens += (double)(now - s->last_mono_ns) * r->cfg.rate_pps / 1e9;
    if (s->tokens > burst)
        s->tokens = burst;
    s->last_mono_ns = now;
    if (s->tokens < 1.0)
        return false;
    s->tokens -= 1.0;
    return true;
}

/* Receive counts of epoch e and e - 1 as this stream's slot knows them. */
static void epoch_counts(const struct stream_slot *s, uint32_t e, uint32_t *ce, uint32_t *cprev)
{
    *ce = 0;
    *cprev = 0;
    if (e == s->epoch) {
        *ce = s->rx_cur;
        *cprev = s->rx_prev;
    } else if (e == s->epoch - 1) {
        *ce = s->rx_prev;
    } else if (e == s->epoch + 1) {
        *cprev = s->rx_cur;
    }
}

static void count_probe(struct stream_slot *s, uint32_t e)
{
    if (s->total == 0 || (int32_t)(e - s->epoch) > 0) {
        s->rx_prev = (s->total != 0 && e == s->epoch + 1) ? s->rx_cur : 0;
        s->rx_cur = 0;
        s->epoch = e;
    }
    if (e == s->epoch)
        s->rx_cur++;
    else if (e == s->epoch - 1)
        s->rx_prev++;
    s->total++;
}

/* Handles one datagram; returns true when buf now holds a reply to send back. */
static bool handle(struct vr_reflector *r, uint8_t *buf, size_t len,
                   const struct sockaddr_storage *peer, const struct vr_rxmeta *m, uint64_t now,
                   uint8_t *reply_tos)
{
    struct vr_probe p;
    struct stream_key k;
    struct stream_slot *s;

    if (vr_probe_decode(buf, len, &p) != 0 ||
        (p.kind != VR_PROBE_REQUEST && p.kind != VR_PROBE_COUNT_QUERY)) {
        r->stats.malformed++;
        return false;
    }
    key_from_addr(peer, &k);
    if (!source_allow(r, &k, now)) {
        r->stats.rate_limited++;
        return false;
    }
    k.ssrc = p.ssrc;
    s = stream_lookup(r, &k, now);
    s->last_mono_ns = now;
    if (p.kind == VR_PROBE_REQUEST) {
        p.refl_seq = s->total;
        count_probe(s, p.epoch);
        p.kind = VR_PROBE_REPLY;
    } else {
        p.refl_seq = s->total;
        p.kind = VR_PROBE_COUNT_ANSWER;
    }
    epoch_counts(s, p.epoch, &p.refl_epoch_rx, &p.refl_prev_rx);
    p.flags = 0;
    if (now - r->synced_checked_ns > 1000000000u) {
        r->synced = vr_clock_synced();
        r->synced_checked_ns = now;
    }
    if (r->synced)
        p.flags |= VR_PROBE_F_SYNCED;
    if (m->tos >= 0) {
        p.flags |= VR_PROBE_F_TOS_VALID;
        p.rx_tos = (uint8_t)m->tos;
    }
    if (m->ttl >= 0) {
        p.flags |= VR_PROBE_F_TTL_VALID;
        p.rx_ttl = (uint8_t)m->ttl;
    }
    p.t2_ns = m->has_ts ? m->rx_wall_ns : vr_clock_wall_ns();
    p.t3_ns = 0; /* set just before sending */
    p.refl_host = r->host_id;
    vr_probe_fill_reply(buf, &p);
    *reply_tos = (uint8_t)(p.reply_dscp << 2);
    return true;
}

static void stamp_t3(uint8_t *buf, uint64_t t3)
{
    for (int i = 0; i < 8; i++)
        buf[44 + i] = (uint8_t)(t3 >> (56 - 8 * i)); /* T3 field, see probe.h */
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    struct listener *l = h->data;
    struct vr_reflector *r = l->owner;
    (void)events;

    if (status < 0)
        return;
    for (int round = 0; round < 16; round++) { /* bounded: let other listeners run */
        for (int i = 0; i < BATCH; i++) {
            r->iov[i].iov_base = r->bufs[i];
            r->iov[i].iov_len = sizeof(r->bufs[i]);
            memset(&r->msgs[i].msg_hdr, 0, sizeof(r->msgs[i].msg_hdr));
            r->msgs[i].msg_hdr.msg_name = &r->peers[i];
            r->msgs[i].msg_hdr.msg_namelen = sizeof(r->peers[i]);
            r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
            r->msgs[i].msg_hdr.msg_iovlen = 1;
            r->msgs[i].msg_hdr.msg_control = r->rx_cmsg[i];
            r->msgs[i].msg_hdr.msg_controllen = sizeof(r->rx_cmsg[i]);
        }
        int n = recvmmsg(l->fd, r->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        uint64_t now = vr_clock_mono_ns();
        unsigned nout = 0;
        for (int i = 0; i < n; i++) {
            struct vr_rxmeta m;
            uint8_t tos;
            size_t len = r->msgs[i].msg_len;
            r->stats.received++;
            if (len > VR_PROBE_MAX_LEN || (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                r->stats.malformed++;
                continue;
            }
            vr_sock_rxmeta(&r->msgs[i].msg_hdr, &m);
            if (!handle(r, r->bufs[i], len, &r->peers[i], &m, now, &tos))
                continue;
            r->out_iov[nout].iov_base = r->bufs[i];
            r->out_iov[nout].iov_len = len; /* never more than we received */
            memset(&r->out[nout].msg_hdr, 0, sizeof(r->out[nout].msg_hdr));
            r->out[nout].msg_hdr.msg_name = &r->peers[i];
            r->out[nout].msg_hdr.msg_namelen = r->msgs[i].msg_hdr.msg_namelen;
            r->out[nout].msg_hdr.msg_iov = &r->out_iov[nout];
            r->out[nout].msg_hdr.msg_iovlen = 1;
            r->out[nout].msg_hdr.msg_control = r->tx_cmsg[nout];
            r->out[nout].msg_hdr.msg_controllen = vr_sock_put_tos(r->tx_cmsg[nout], l->family, tos);
            nout++;
        }
        uint64_t t3 = vr_clock_wall_ns();
        for (unsigned i = 0; i < nout; i++)
            stamp_t3(r->out_iov[i].iov_base, t3);
        unsigned done = 0;
        while (done < nout) {
            /* sendmmsg may send fewer than asked: retry the rest, drop on a real error */
            int s = sendmmsg(l->fd, r->out + done, nout - done, MSG_DONTWAIT);
            if (s <= 0) {
                r->stats.send_errors += nout - done;
                break;
            }
            done += (unsigned)s;
        }
        r->stats.answered += done;
        if (n < BATCH)
            return;
    }
}

int vr_reflector_init(uv_loop_t *loop, const struct vr_reflect_config *cfg,
                      struct vr_reflector **out)
{
    struct vr_reflector *r = calloc(1, sizeof(*r));
    uint32_t size = 64;

    if (r == NULL)
        return VR_ENOMEM;
    while (size < cfg->max_streams && size < (1u << 24))
        size <<= 1;
    r->loop = loop;
    r->cfg = *cfg;
    r->cfg.max_streams = size;
    if (r->cfg.rate_pps == 0)
        r->cfg.rate_pps = 100000;
    r->streams = calloc(size, sizeof(*r->streams));
    r->sources = calloc(size, sizeof(*r->sources));
    if (r->streams == NULL || r->sources == NULL) {
        free(r->streams);
        free(r->sources);
        free(r);
        return VR_ENOMEM;
    }
    r->host_id = vr_clock_host_id();
    *out = r;
    return 0;
}

int vr_reflector_listen(struct vr_reflector *r, const struct sockaddr *addr, socklen_t len,
                        struct vr_errbuf *eb)
{
    char name[80];
    struct listener *l;
    int fd, rc;

    vr_sock_format_addr(addr, name, sizeof(name));
    if (r->n_listeners == MAX_LISTENERS)
        return vr_errbuf_set(eb, VR_EFULL, "too many --listen addresses (at most %d)",
                             MAX_LISTENERS);
    fd = vr_sock_udp_open(addr->sa_family);
    if (fd < 0)
        return vr_errbuf_set(eb, fd, "cannot open a UDP socket for %s: %s", name, vr_strerror(fd));
    /* 16 MB: room for ~100 ms of a 1,000-stream test with video-sized probes */
    (void)vr_sock_set_buffers(fd, 16 << 20);
    if (bind(fd, addr, len) != 0) {
        rc = -errno;
        close(fd);
        if (rc == -EADDRINUSE)
            return vr_errbuf_set(eb, rc,
                                 "cannot listen on %s: the port is in use (another reflector?); "
                                 "stop it or pick another with --listen ADDR:PORT",
                                 name);
        return vr_errbuf_set(eb, rc, "cannot listen on %s: %s", name, vr_strerror(rc));
    }
    l = &r->listeners[r->n_listeners];
    l->fd = fd;
    l->family = addr->sa_family;
    l->owner = r;
    rc = uv_poll_init(r->loop, &l->poll, fd);
    if (rc != 0) {
        close(fd);
        return vr_errbuf_set(eb, VR_EINVAL, "cannot watch %s: %s", name, uv_strerror(rc));
    }
    l->poll.data = l;
    r->n_listeners++;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
    return 0;
}

size_t vr_reflector_addr(const struct vr_reflector *r, size_t i, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    if (i >= r->n_listeners)
        return r->n_listeners;
    if (getsockname(r->listeners[i].fd, (struct sockaddr *)&ss, &sl) == 0)
        vr_sock_format_addr((struct sockaddr *)&ss, buf, len);
    else
        snprintf(buf, len, "?");
    return r->n_listeners;
}

void vr_reflector_stats(const struct vr_reflector *r, struct vr_reflect_stats *out)
{
    *out = r->stats;
}

static void free_reflector(struct vr_reflector *r)
{
    vr_reflector_close_cb cb = r->close_cb;
    void *arg = r->close_arg;
    free(r->streams);
    free(r->sources);
    free(r);
    if (cb != NULL)
        cb(arg);
}

static void on_closed(uv_handle_t *h)
{
    struct listener *l = h->data;
    struct vr_reflector *r = l->owner;
    close(l->fd);
    if (--r->closing == 0)
        free_reflector(r);
}

void vr_reflector_close(struct vr_reflector *r, vr_reflector_close_cb cb, void *arg)
{
    r->close_cb = cb;
    r->close_arg = arg;
    r->closing = r->n_listeners;
    if (r->n_listeners == 0) {
        free_reflector(r);
        return;
    }
    for (size_t i = 0; i < r->n_listeners; i++)
        uv_close((uv_handle_t *)&r->listeners[i].poll, on_closed);
}
