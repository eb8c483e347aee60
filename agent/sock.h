/* sock: thin UDP socket helpers for probes: name resolution, opening sockets that report the
 * received TOS/traffic class, TTL/hop limit and kernel receive timestamps, marking DSCP, and
 * reading those ancillary data. IPv4 and IPv6. Linux socket options live only here.
 * No policy, no event loop; any thread. Returned fds belong to the caller (close()). */
#ifndef VR_SOCK_H
#define VR_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

/* Ancillary data of one received datagram. */
struct vr_rxmeta {
    uint64_t rx_wall_ns; /* kernel receive time (SO_TIMESTAMPNS), CLOCK_REALTIME */
    bool has_ts;
    int tos; /* TOS / traffic class byte, -1 if absent */
    int ttl; /* TTL / hop limit, -1 if absent */
};

/* Room for the control data vr_sock_rxmeta reads (timestamp, TOS, TTL). */
#define VR_SOCK_RX_CMSG_LEN 256
/* Room for the control data vr_sock_put_tos writes. */
#define VR_SOCK_TX_CMSG_LEN 32

/* Resolves host/port (numeric or a name) into ss. passive: for bind (NULL host = any).
 * Returns 0 or VR_ENOTFOUND with eb naming the host. */
int vr_sock_resolve(const char *host, uint16_t port, bool passive, struct sockaddr_storage *ss,
                    socklen_t *len, struct vr_errbuf *eb);

/* A non-blocking, close-on-exec UDP socket of family (AF_INET/AF_INET6) with receive
 * timestamps, TOS/TCLASS and TTL/HOPLIMIT reporting on; IPv6 sockets are IPV6_V6ONLY so that
 * one listener per family owns its traffic. Returns the fd or -errno. */
int vr_sock_udp_open(int family);

/* Asks for receive and send buffers of bytes each: SO_*BUFFORCE when privileged (beyond
 * net.core.rmem_max), else SO_*BUF (capped by the sysctl). Returns the receive buffer the kernel
 * granted, or -errno. A busy reflector needs this: 50,000 probes/s overflow the default. */
int vr_sock_set_buffers(int fd, int bytes);

/* Marks everything the socket sends with dscp (ECN bits 0). Returns 0 or -errno. */
int vr_sock_set_dscp(int fd, int family, uint8_t dscp);

/* Reads vr_rxmeta from a received message's control data. */
void vr_sock_rxmeta(struct msghdr *msg, struct vr_rxmeta *m);

/* Writes a cmsg that sets the TOS / traffic class of one datagram into cbuf (at least
 * VR_SOCK_TX_CMSG_LEN bytes) and returns the msg_controllen to use. */
size_t vr_sock_put_tos(void *cbuf, int family, uint8_t tos);

/* "192.0.2.1:5004" or "[2001:db8::1]:5004". buf >= 64 bytes. */
void vr_sock_format_addr(const struct sockaddr *sa, char *buf, size_t len);

/* Names the local interface that a connected socket sends through (its SO_BINDTODEVICE device,
 * else the interface holding its source address) and its kind by vr_link_classify() ("wired",
 * "wifi", "other" for loopback, tunnels, virtual and unknown). Leaves "" / "other" when
 * unknown. */
void vr_sock_egress(int fd, char *ifname, size_t iflen, char *link, size_t linklen);

/* Binds fd to the wildcard address of family with a fixed source port (Teams client ports).
 * 0 or -errno. */
int vr_sock_bind_port(int fd, int family, uint16_t port);

/* Sends fd's traffic out of interface ifname whatever the routing table prefers (an agent
 * testing its wired port and its Wi-Fi separately): SO_BINDTODEVICE when allowed (CAP_NET_RAW),
 * else IP_UNICAST_IF / IPV6_UNICAST_IF, which need no privilege. 0, -ENODEV
 * when there is no such interface, or -errno. */
int vr_sock_bind_interface(int fd, int family, const char *ifname);

/* Raises RLIMIT_NOFILE's soft limit to at least want (bounded by the hard limit). Returns the
 * resulting soft limit. */
uint64_t vr_sock_raise_nofile(uint64_t want);

#endif
