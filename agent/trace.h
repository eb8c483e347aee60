/* trace: the engine of `voiceready-agent trace`. Sends probes of one class (its DSCP, packet
 * size and RTP payload type, exactly as `test` sends them) with TTL / hop limit 1, 2, 3 ... on
 * one UDP socket, so one flow 5-tuple is held constant for every TTL and ECMP keeps one path
 * (as Paris-traceroute does). It captures the ICMP/ICMPv6 errors addressed to this host with
 * libpcap and reads, from each router's quote, the DSCP as that router received it
 * (REFERENCE.md §6); the reflector reports the TOS it received in its reply. Then it names the
 * first segment where the mark changed.
 *
 * Replies are matched to probes by the quoted UDP ports and the quoted RTP sequence number (or,
 * from a router that quotes only 8 bytes, the quoted UDP checksum, which differs per probe).
 * Times: send time and receive time are both CLOCK_REALTIME kernel-side or just before send(),
 * the clock of pcap and SO_TIMESTAMPNS stamps.
 *
 * A short-lived, blocking poll() loop on the calling thread; no libuv. Needs CAP_NET_RAW for
 * the capture (vr_trace_run returns -EPERM and says how to grant it). */
#ifndef VR_TRACE_H
#define VR_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "profile.h"

#define VR_TRACE_MAX_HOPS   64
#define VR_TRACE_MAX_PROBES 10

struct vr_trace_config {
    struct sockaddr_storage dst; /* the reflector */
    socklen_t dst_len;
    enum vr_class cls;
    unsigned max_hops;    /* 1..VR_TRACE_MAX_HOPS */
    unsigned probes;      /* per hop, 1..VR_TRACE_MAX_PROBES */
    uint64_t timeout_ns;  /* how long to wait for an answer after the last probe */
    uint64_t interval_ns; /* gap between two probes (ICMP rate limits of routers) */
    const char *device;   /* capture device; NULL = "any" */
    bool teams_ports; /* send from the class's first Teams client port (as test --teams-ports) */
};

struct vr_trace_hop {
    unsigned hop;     /* TTL / hop limit of the probes */
    unsigned sent;    /* probes sent with this TTL */
    unsigned replies; /* answers received */
    char addr[48];    /* who answered ("" when silent) */
    bool other_addr;  /* a second address answered for this TTL too (path change) */
    bool target;      /* the destination answered (reflector reply or its ICMP) */
    bool reflector;   /* ... with a voiceready reply (else an ICMP error from the host) */
    bool unreachable; /* a destination-unreachable error ended the path here */
    uint8_t icmp_type, icmp_code;
    double rtt_ms;   /* median of the answers; < 0 when silent */
    int dscp;        /* DSCP as received at this hop (most frequent of the answers), -1 unknown */
    int tos;         /* the whole TOS / traffic class byte of that answer, -1 unknown */
    bool dscp_mixed; /* the answers disagree on the DSCP */
};

struct vr_trace_rewrite {
    bool found;
    unsigned from_hop; /* last hop seen with the sent mark (0: this host) */
    char from_addr[48];
    unsigned to_hop; /* first hop seen with another mark */
    char to_addr[48];
    int dscp_from, dscp_to;
};

struct vr_trace_result {
    int family; /* AF_INET or AF_INET6 */
    uint8_t dscp_sent;
    char local_addr[48];
    uint16_t local_port;
    char dst_addr[48];
    uint16_t dst_port;
    char device[32]; /* the capture device used */
    unsigned n_hops; /* hops[0..n_hops) are hop 1..n_hops, ending at the target if reached */
    struct vr_trace_hop hops[VR_TRACE_MAX_HOPS];
    bool reached;   /* the target answered */
    bool reflector; /* ... and it was the reflector */
    struct vr_trace_rewrite rewrite;
    uint64_t captured, unmatched; /* ICMP frames seen, and those that were not ours */
};

/* Runs one trace. Returns 0 with *res filled (a trace that did not reach the target is a
 * result too: res->reached false), or -errno / VR_E* with eb set: -EPERM when the capture
 * needs CAP_NET_RAW. Blocks for about probes * hops * interval + timeout. */
int vr_trace_run(const struct vr_trace_config *cfg, struct vr_trace_result *res,
                 struct vr_errbuf *eb);

/* Fills res->rewrite from res->hops and res->dscp_sent: the first hop whose DSCP differs from
 * the sent one, and the last hop before it that showed the sent mark (silent and unknown hops
 * skipped, so the segment may span several hops). Pure; vr_trace_run calls it. */
void vr_trace_find_rewrite(struct vr_trace_result *res);

#endif
