#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "icmpquote.h"
#include "probe.h"
#include "sock.h"

_Static_assert(VR_ICMPQUOTE_DLT_EN10MB == DLT_EN10MB, "DLT_EN10MB");
_Static_assert(VR_ICMPQUOTE_DLT_RAW == DLT_RAW, "DLT_RAW");
_Static_assert(VR_ICMPQUOTE_DLT_LINUX_SLL == DLT_LINUX_SLL, "DLT_LINUX_SLL");

#define CAP_SNAPLEN 2048 /* ICMPv6 quotes up to 1280 bytes; headers and tags on top */
#define MAX_TOTAL   (VR_TRACE_MAX_HOPS * VR_TRACE_MAX_PROBES)

struct probe_slot {
    unsigned ttl;
    bool sent, answered;
    uint64_t t_send_wall_ns;
    uint16_t udp_sum; /* what a router quoting only 8 bytes shows of this probe */
    double rtt_ms;
    int tos;
};

struct tracer {
    const struct vr_trace_config *cfg;
    struct vr_trace_result *res;
    const struct vr_profile *prof;
    int fd;
    pcap_t *pc;
    int linktype;
    unsigned ts_scale; /* pcap's tv_usec holds ns (1) or us (1000) */
    struct sockaddr_storage local;
    uint8_t local_ip[16], dst_ip[16];
    size_t ip_len; /* 4 or 16 */
    uint16_t seq_base;
    uint32_t ssrc;
    uint8_t *txbuf;
    unsigned total;       /* probes planned: max_hops * probes */
    unsigned limit_ttl;   /* no probe beyond this TTL: the target answered there */
    unsigned outstanding; /* sent with ttl <= limit_ttl and not answered */
    struct probe_slot slots[MAX_TOTAL];
};

static void format_ip(int family, const uint8_t *ip, char *buf, size_t len)
{
    if (inet_ntop(family, ip, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
}

static void sockaddr_ip(const struct sockaddr_storage *ss, uint8_t *ip, uint16_t *port)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;
        memcpy(ip, &s6->sin6_addr, 16);
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
        memcpy(ip, &s4->sin_addr, 4);
        *port = ntohs(s4->sin_port);
    }
}

static int set_ttl(struct tracer *t, unsigned ttl)
{
    int v = (int)ttl;
    int rc = t->res->family == AF_INET6
                 ? setsockopt(t->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v))
                 : setsockopt(t->fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
    return rc == 0 ? 0 : -errno;
}

static int send_probe(struct tracer *t, unsigned idx)
{
    struct probe_slot *s = &t->slots[idx];
    size_t len = t->prof->payload_len;
    uint16_t seq = (uint16_t)(t->seq_base + idx);
    uint64_t now;
    int rc = set_ttl(t, s->ttl);

    if (rc != 0)
        return rc;
    now = vr_clock_wall_ns();
    /* epoch carries the TTL, so a capture of the probes reads as a trace too */
    vr_probe_set_send_fields(t->txbuf, seq, seq * 320u, idx, s->ttl, now);
    s->udp_sum = vr_icmpquote_udp_checksum(t->res->family, t->local_ip, t->dst_ip,
                                           t->res->local_port, t->res->dst_port, t->txbuf, len);
    s->t_send_wall_ns = now;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (send(t->fd, t->txbuf, len, 0) >= 0) {
            s->sent = true;
            t->res->hops[s->ttl - 1].sent++;
            t->outstanding++;
            return 0;
        }
        /* a port unreachable from an earlier probe is reported on the next send of a
         * connected socket (ECONNREFUSED): it is consumed, so send once more */
        if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH)
            return -errno;
    }
    return 0; /* counted as silent */
}

/* Records one answer to probe idx. */
static void record(struct tracer *t, unsigned idx, const char *addr, uint64_t rx_wall_ns,
                   uint64_t hold_ns, int tos, bool target, bool reflector, bool unreachable)
{
    struct probe_slot *s = &t->slots[idx];
    struct vr_trace_hop *h = &t->res->hops[s->ttl - 1];
    uint64_t rtt_ns;

    if (!s->sent || s->answered)
        return;
    s->answered = true;
    if (s->ttl <= t->limit_ttl && t->outstanding > 0)
        t->outstanding--;
    rtt_ns = rx_wall_ns > s->t_send_wall_ns ? rx_wall_ns - s->t_send_wall_ns : 0;
    rtt_ns = rtt_ns > hold_ns ? rtt_ns - hold_ns : rtt_ns;
    s->rtt_ms = (double)rtt_ns / 1e6;
    s->tos = tos;
    h->replies++;
    if (h->addr[0] == '\0')
        snprintf(h->addr, sizeof(h->addr), "%s", addr);
    else if (strcmp(h->addr, addr) != 0)
        h->other_addr = true;
    h->target |= target;
    h->reflector |= reflector;
    h->unreachable |= unreachable;
    if ((target || unreachable) && s->ttl < t->limit_ttl) {
        /* probes beyond the target are noise: stop sending them, stop waiting for them */
        for (unsigned i = 0; i < t->total; i++) {
            struct probe_slot *o = &t->slots[i];
            if (o->ttl > s->ttl && o->ttl <= t->limit_ttl && o->sent && !o->answered &&
                t->outstanding > 0)
                t->outstanding--;
        }
        t->limit_ttl = s->ttl;
    }
}

/* Which probe a quote belongs to: the RTP sequence number in the quoted payload, or the UDP
 * checksum when the router quoted only the UDP header. -1 when none. */
static int match_quote(const struct tracer *t, const struct vr_icmpquote *q)
{
    if (!q->has_udp || q->q_sport != t->res->local_port || q->q_dport != t->res->dst_port ||
        memcmp(q->q_dst, t->dst_ip, t->ip_len) != 0)
        return -1;
    if (q->payload_len >= 4 && (q->payload[0] & 0xc0) == 0x80) {
        uint16_t seq = (uint16_t)(q->payload[2] << 8 | q->payload[3]);
        unsigned idx = (uint16_t)(seq - t->seq_base);
        if (q->payload_len >= 12) {
            uint32_t ssrc = (uint32_t)q->payload[8] << 24 | (uint32_t)q->payload[9] << 16 |
                            (uint32_t)q->payload[10] << 8 | q->payload[11];
            if (ssrc != t->ssrc)
                return -1;
        }
        return idx < t->total && t->slots[idx].sent ? (int)idx : -1;
    }
    for (unsigned i = 0; i < t->total; i++) {
        if (t->slots[i].sent && t->slots[i].udp_sum == q->q_udp_sum)
            return (int)i;
    }
    return -1;
}

static void on_frame(u_char *arg, const struct pcap_pkthdr *ph, const u_char *bytes)
{
    struct tracer *t = (struct tracer *)(void *)arg;
    struct vr_icmpquote q;
    char addr[48];
    int idx;
    bool from_target, unreach;
    uint64_t rx = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec * t->ts_scale;

    t->res->captured++;
    if (vr_icmpquote_parse(t->linktype, bytes, ph->caplen, &q) != 0 || q.family != t->res->family ||
        (idx = match_quote(t, &q)) < 0) {
        t->res->unmatched++;
        return;
    }
    format_ip(q.family, q.from, addr, sizeof(addr));
    from_target = memcmp(q.from, t->dst_ip, t->ip_len) == 0;
    unreach = !vr_icmpquote_is_time_exceeded(&q);
    t->res->hops[t->slots[idx].ttl - 1].icmp_type = q.icmp_type;
    t->res->hops[t->slots[idx].ttl - 1].icmp_code = q.icmp_code;
    record(t, (unsigned)idx, addr, rx, 0, q.q_tos, from_target, false, unreach && !from_target);
}

static void read_replies(struct tracer *t)
{
    for (;;) {
        uint8_t buf[VR_PROBE_MAX_LEN + 1];
        uint8_t cbuf[VR_SOCK_RX_CMSG_LEN];
        struct sockaddr_storage from;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr msg = {.msg_name = &from,
                             .msg_namelen = sizeof(from),
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf)};
        struct vr_rxmeta m;
        struct vr_probe p;
        ssize_t n = recvmsg(t->fd, &msg, MSG_DONTWAIT);
        uint64_t hold;

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue; /* ECONNREFUSED and friends: the capture sees the ICMP itself */
        }
        vr_sock_rxmeta(&msg, &m);
        if (vr_probe_decode(buf, (size_t)n, &p) != 0 || p.kind != VR_PROBE_REPLY ||
            p.ssrc != t->ssrc || p.sender_seq >= t->total || !t->slots[p.sender_seq].sent)
            continue;
        hold = p.t3_ns >= p.t2_ns ? p.t3_ns - p.t2_ns : 0;
        record(t, p.sender_seq, t->res->dst_addr, m.has_ts ? m.rx_wall_ns : vr_clock_wall_ns(),
               hold, (p.flags & VR_PROBE_F_TOS_VALID) ? p.rx_tos : -1, true, true, false);
    }
}

static int open_capture(struct tracer *t, struct vr_errbuf *eb)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    char filter[160];
    struct bpf_program prog;
    const char *dev = t->cfg->device != NULL ? t->cfg->device : "any";
    int rc;

    snprintf(t->res->device, sizeof(t->res->device), "%s", dev);
    t->pc = pcap_create(dev, errbuf);
    if (t->pc == NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "cannot capture on %s: %s", dev, errbuf);
    pcap_set_snaplen(t->pc, CAP_SNAPLEN);
    pcap_set_promisc(t->pc, 0);
    pcap_set_immediate_mode(t->pc, 1);
    pcap_set_buffer_size(t->pc, 1 << 20);
    pcap_set_tstamp_precision(t->pc, PCAP_TSTAMP_PRECISION_NANO);
    rc = pcap_activate(t->pc);
    if (rc == PCAP_ERROR_PERM_DENIED ||
        (rc == PCAP_ERROR && strstr(pcap_geterr(t->pc), "not permitted") != NULL))
        return vr_errbuf_set(eb, -EPERM,
                             "trace needs CAP_NET_RAW to capture ICMP: run as root or `sudo "
                             "setcap cap_net_raw,cap_net_admin+ep $(command -v "
                             "voiceready-agent)`");
    if (rc < 0)
        return vr_errbuf_set(eb, VR_EINVAL, "cannot capture on %s: %s", dev, pcap_geterr(t->pc));
    t->linktype = pcap_datalink(t->pc);
    t->ts_scale = pcap_get_tstamp_precision(t->pc) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    /* only ICMP addressed to the address the probes leave from: the kernel drops the rest */
    snprintf(filter, sizeof(filter), "%s and dst host %s",
             t->res->family == AF_INET6 ? "icmp6" : "icmp", t->res->local_addr);
    if (pcap_compile(t->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return vr_errbuf_set(eb, VR_EINVAL, "capture filter \"%s\": %s", filter,
                             pcap_geterr(t->pc));
    rc = pcap_setfilter(t->pc, &prog);
    pcap_freecode(&prog);
    if (rc != 0 || pcap_setnonblock(t->pc, 1, errbuf) != 0)
        return vr_errbuf_set(eb, VR_EINVAL, "cannot set the capture filter on %s: %s", dev,
                             pcap_geterr(t->pc));
    return 0;
}

/* Port-based QoS policies classify Teams media by its client source ports: probe from them. */
static int bind_teams_port(struct tracer *t, uint16_t port, struct vr_errbuf *eb)
{
    int err = vr_sock_bind_port(t->fd, t->cfg->dst.ss_family, port);
    if (err != 0)
        return vr_errbuf_set(eb, err,
                             "--teams-ports: cannot bind source port %u: %s (is a Teams client or "
                             "a test running here?)",
                             (unsigned)port, vr_strerror(err));
    return 0;
}

static int open_socket(struct tracer *t, struct vr_errbuf *eb)
{
    const struct vr_class_info *ci = vr_class_get(t->cfg->cls);
    struct vr_probe p = {0};
    socklen_t len = sizeof(t->local);
    char dst[80];
    int rc;

    vr_sock_format_addr((const struct sockaddr *)&t->cfg->dst, dst, sizeof(dst));
    t->fd = vr_sock_udp_open(t->cfg->dst.ss_family);
    if (t->fd < 0)
        return vr_errbuf_set(eb, t->fd, "cannot open a UDP socket: %s", vr_strerror(t->fd));
    rc = vr_sock_set_dscp(t->fd, t->cfg->dst.ss_family, ci->dscp);
    if (rc != 0)
        return vr_errbuf_set(eb, rc, "cannot mark DSCP %u: %s", ci->dscp, vr_strerror(rc));
    if (t->cfg->teams_ports && ci->teams_port_lo != 0) {
        rc = bind_teams_port(t, ci->teams_port_lo, eb);
        if (rc != 0)
            return rc;
    }
    if (connect(t->fd, (const struct sockaddr *)&t->cfg->dst, t->cfg->dst_len) != 0 ||
        getsockname(t->fd, (struct sockaddr *)&t->local, &len) != 0) {
        rc = -errno;
        return vr_errbuf_set(eb, rc, "cannot reach %s: %s (is there a route to it?)", dst,
                             vr_strerror(rc));
    }
    sockaddr_ip(&t->local, t->local_ip, &t->res->local_port);
    sockaddr_ip(&t->cfg->dst, t->dst_ip, &t->res->dst_port);
    format_ip(t->res->family, t->local_ip, t->res->local_addr, sizeof(t->res->local_addr));
    format_ip(t->res->family, t->dst_ip, t->res->dst_addr, sizeof(t->res->dst_addr));

    t->txbuf = calloc(1, t->prof->payload_len);
    if (t->txbuf == NULL)
        return VR_ENOMEM;
    if (getrandom(&t->ssrc, sizeof(t->ssrc), 0) != sizeof(t->ssrc))
        t->ssrc = (uint32_t)vr_clock_wall_ns();
    t->seq_base = (uint16_t)(t->ssrc >> 7);
    p.rtp_pt = t->prof->rtp_pt;
    p.ssrc = t->ssrc;
    p.kind = VR_PROBE_REQUEST;
    p.reply_dscp = ci->dscp;
    rc = vr_probe_encode(&p, t->txbuf, t->prof->payload_len);
    return rc < 0 ? vr_errbuf_set(eb, rc, "profile %s: bad packet size", t->prof->name) : 0;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per hop: median RTT, most frequent DSCP; trims the hops past the target. */
static void summarise(struct tracer *t)
{
    struct vr_trace_result *res = t->res;
    unsigned last = 0;

    for (unsigned ttl = 1; ttl <= t->cfg->max_hops && ttl <= t->limit_ttl; ttl++) {
        struct vr_trace_hop *h = &res->hops[ttl - 1];
        double rtts[VR_TRACE_MAX_PROBES];
        unsigned count[64] = {0};
        unsigned n = 0, best = 0;
        int first_tos[64];

        if (h->sent > 0)
            last = ttl;
        for (unsigned k = 0; k < t->cfg->probes; k++) {
            const struct probe_slot *s = &t->slots[(ttl - 1) * t->cfg->probes + k];
            if (!s->answered)
                continue;
            rtts[n++] = s->rtt_ms;
            if (s->tos >= 0) {
                unsigned d = (unsigned)s->tos >> 2;
                if (count[d]++ == 0)
                    first_tos[d] = s->tos;
            }
        }
        h->rtt_ms = -1;
        h->dscp = -1;
        h->tos = -1;
        if (n > 0) {
            qsort(rtts, n, sizeof(rtts[0]), compare_double);
            h->rtt_ms = n % 2 ? rtts[n / 2] : (rtts[n / 2 - 1] + rtts[n / 2]) / 2;
        }
        for (unsigned d = 0; d < 64; d++) {
            if (count[d] == 0)
                continue;
            if (h->dscp >= 0)
                h->dscp_mixed = true;
            if (count[d] > best) {
                best = count[d];
                h->dscp = (int)d;
                h->tos = first_tos[d];
            }
        }
        if (h->target) {
            res->reached = true;
            res->reflector = h->reflector;
        }
    }
    res->n_hops = last;
    vr_trace_find_rewrite(res);
}

void vr_trace_find_rewrite(struct vr_trace_result *res)
{
    struct vr_trace_rewrite *rw = &res->rewrite;
    unsigned prev = 0;
    const char *prev_addr = res->local_addr;

    memset(rw, 0, sizeof(*rw));
    for (unsigned i = 0; i < res->n_hops && i < VR_TRACE_MAX_HOPS; i++) {
        const struct vr_trace_hop *h = &res->hops[i];
        if (h->dscp < 0)
            continue;
        if ((unsigned)h->dscp != res->dscp_sent) {
            rw->found = true;
            rw->from_hop = prev;
            snprintf(rw->from_addr, sizeof(rw->from_addr), "%s", prev_addr);
            rw->to_hop = i + 1;
            snprintf(rw->to_addr, sizeof(rw->to_addr), "%s", h->addr);
            rw->dscp_from = res->dscp_sent;
            rw->dscp_to = h->dscp;
            return;
        }
        prev = i + 1;
        prev_addr = h->addr;
    }
}

static int loop(struct tracer *t, struct vr_errbuf *eb)
{
    const struct vr_trace_config *cfg = t->cfg;
    uint64_t next_send = vr_clock_mono_ns(), last_send = 0;
    unsigned next = 0;
    struct pollfd pfd[2] = {{.fd = t->fd, .events = POLLIN},
                            {.fd = pcap_get_selectable_fd(t->pc), .events = POLLIN}};

    if (pfd[1].fd < 0)
        return vr_errbuf_set(eb, VR_EINVAL, "capture device %s cannot be polled", t->res->device);
    for (;;) {
        uint64_t now = vr_clock_mono_ns(), wake;
        bool sending = next < t->total && t->slots[next].ttl <= t->limit_ttl;
        int ms, rc;

        if (sending && now >= next_send) {
            rc = send_probe(t, next);
            if (rc != 0) {
                char dst[80];
                vr_sock_format_addr((const struct sockaddr *)&cfg->dst, dst, sizeof(dst));
                return vr_errbuf_set(eb, rc, "cannot send a probe to %s: %s", dst, vr_strerror(rc));
            }
            next++;
            last_send = now;
            next_send += cfg->interval_ns;
            if (next_send < now)
                next_send = now; /* a stall is not made up for with a burst */
            continue;
        }
        if (!sending && (t->outstanding == 0 || now >= last_send + cfg->timeout_ns))
            return 0;
        wake = sending ? next_send : last_send + cfg->timeout_ns;
        ms = wake > now ? (int)((wake - now + 999999u) / 1000000u) : 0;
        rc = poll(pfd, 2, ms);
        if (rc < 0 && errno != EINTR)
            return vr_errbuf_set(eb, -errno, "poll: %s", vr_strerror(-errno));
        if (rc <= 0)
            continue;
        if (pfd[1].revents) {
            if (pcap_dispatch(t->pc, -1, on_frame, (u_char *)(void *)t) < 0)
                return vr_errbuf_set(eb, VR_EINVAL, "capture on %s failed: %s", t->res->device,
                                     pcap_geterr(t->pc));
        }
        if (pfd[0].revents)
            read_replies(t);
    }
}

int vr_trace_run(const struct vr_trace_config *cfg, struct vr_trace_result *res,
                 struct vr_errbuf *eb)
{
    struct tracer *t;
    int rc;

    memset(res, 0, sizeof(*res));
    if (cfg->max_hops < 1 || cfg->max_hops > VR_TRACE_MAX_HOPS || cfg->probes < 1 ||
        cfg->probes > VR_TRACE_MAX_PROBES)
        return vr_errbuf_set(eb, VR_ERANGE, "hops 1-%d and probes 1-%d", VR_TRACE_MAX_HOPS,
                             VR_TRACE_MAX_PROBES);
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    t->cfg = cfg;
    t->res = res;
    t->fd = -1;
    t->prof = vr_profile_find(vr_class_get(cfg->cls)->profile);
    t->total = cfg->max_hops * cfg->probes;
    t->limit_ttl = cfg->max_hops;
    res->family = cfg->dst.ss_family;
    res->dscp_sent = vr_class_get(cfg->cls)->dscp;
    t->ip_len = res->family == AF_INET6 ? 16 : 4;
    for (unsigned i = 0; i < t->total; i++)
        t->slots[i].ttl = i / cfg->probes + 1;
    for (unsigned i = 0; i < cfg->max_hops; i++)
        res->hops[i].hop = i + 1;

    rc = open_socket(t, eb);
    if (rc == 0)
        rc = open_capture(t, eb);
    if (rc == 0)
        rc = loop(t, eb);
    if (rc == 0)
        summarise(t);
    if (t->pc != NULL)
        pcap_close(t->pc);
    if (t->fd >= 0)
        close(t->fd);
    free(t->txbuf);
    free(t);
    return rc;
}
