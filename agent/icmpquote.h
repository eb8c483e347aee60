/* icmpquote: parses one captured frame that carries an ICMP or ICMPv6 error (time exceeded,
 * destination unreachable, packet too big, parameter problem) and extracts what `trace` needs:
 * the ICMP type and code, the replying router's address, and from the quoted packet the TOS /
 * traffic class and TTL / hop limit as that router received it, the quoted addresses, the
 * quoted UDP header and the first bytes of the quoted UDP payload.
 *
 * Link layers: Ethernet (with up to four 802.1Q / 802.1ad tags), Linux cooked capture v1 and v2
 * (the "any" device), and raw IP. Every read goes through a bounds-checked cursor (cursor.h);
 * the frame is never indexed directly. Pure: no I/O, no allocation, any thread. It does not
 * verify checksums (a capture sees what the kernel accepted) and does not decide whether the
 * quote belongs to one of our probes: the caller matches ports and payload. */
#ifndef VR_ICMPQUOTE_H
#define VR_ICMPQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, numerically equal to libpcap's DLT_* values on Linux (pcap/dlt.h), so that the
 * library needs no libpcap header. LINKTYPE_RAW (101) is what pcap files store for DLT_RAW. */
#define VR_ICMPQUOTE_DLT_EN10MB     1
#define VR_ICMPQUOTE_DLT_RAW        12
#define VR_ICMPQUOTE_DLT_RAW_FILE   101
#define VR_ICMPQUOTE_DLT_LINUX_SLL  113
#define VR_ICMPQUOTE_DLT_IPV4       228
#define VR_ICMPQUOTE_DLT_IPV6       229
#define VR_ICMPQUOTE_DLT_LINUX_SLL2 276

/* How many quoted UDP payload bytes are copied out (the RTP header and more). */
#define VR_ICMPQUOTE_PAYLOAD_MAX 32

struct vr_icmpquote {
    int family;        /* AF_INET or AF_INET6, the same for the outer and the quoted packet */
    uint8_t icmp_type; /* e.g. 11 time exceeded (v4), 3 time exceeded (v6) */
    uint8_t icmp_code;
    uint8_t from[16];  /* outer source: the replying router (IPv4 in the first 4 bytes) */
    uint8_t to[16];    /* outer destination: us */
    uint8_t outer_ttl; /* TTL / hop limit of the ICMP message as it reached us */
    /* the quoted packet, as the router received it (RFC 1812 4.3.2.3) */
    uint8_t q_tos;     /* TOS byte / traffic class: DSCP = q_tos >> 2, ECN = q_tos & 3 */
    uint8_t q_ttl;     /* TTL / hop limit in the quote */
    uint16_t q_ipid;   /* IPv4 identification (0 for IPv6) */
    uint32_t q_flow;   /* IPv6 flow label (0 for IPv4) */
    uint8_t q_src[16]; /* quoted source and destination (IPv4 in the first 4 bytes) */
    uint8_t q_dst[16];
    uint8_t q_proto; /* transport protocol after any extension headers */
    bool has_udp;    /* q_proto is UDP, first fragment, and its 8-byte header was quoted */
    uint16_t q_sport, q_dport, q_udp_len, q_udp_sum;
    size_t payload_len; /* quoted UDP payload bytes copied into payload (<= PAYLOAD_MAX) */
    uint8_t payload[VR_ICMPQUOTE_PAYLOAD_MAX];
};

/* True for the ICMP types whose body quotes the offending packet: IPv4 3 (unreachable),
 * 11 (time exceeded), 12 (parameter problem); IPv6 1 (unreachable), 2 (packet too big),
 * 3 (time exceeded), 4 (parameter problem). family is AF_INET or AF_INET6. */
bool vr_icmpquote_is_error(int family, uint8_t type);

/* True when the message says the probe's TTL / hop limit ran out on the way. */
bool vr_icmpquote_is_time_exceeded(const struct vr_icmpquote *q);

/* The UDP checksum (RFC 768; IPv6 pseudo-header RFC 8200 8.1) of a datagram from src:sport to
 * dst:dport (4 or 16 address bytes by family) carrying payload[0..len), as transmitted (0
 * becomes 0xffff). A router that quotes only the 8-byte UDP header still quotes this, and it
 * differs between probes whose payloads differ: it identifies the probe. */
uint16_t vr_icmpquote_udp_checksum(int family, const uint8_t *src, const uint8_t *dst,
                                   uint16_t sport, uint16_t dport, const void *payload, size_t len);

/* Parses the captured bytes frame[0..caplen) of a frame of link type linktype. Returns 0 with
 * *out filled; VR_ETRUNC when the frame ends before the quoted IP header is complete;
 * VR_EINVAL when it is not an IPv4/IPv6 ICMP error quoting a packet of the same family (other
 * link types, other protocols, ICMP echo, non-first fragments, malformed headers). A quote cut
 * inside the UDP header still parses (has_udp false): the TOS is in the IP header. */
int vr_icmpquote_parse(int linktype, const void *frame, size_t caplen, struct vr_icmpquote *out);

#endif
