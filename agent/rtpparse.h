/* rtpparse: one captured frame (link type + bytes) to the fields RTP stream analysis needs:
 * IP version, addresses, UDP ports, DSCP/ECN and the RTP fixed header, after unwrapping TURN
 * ChannelData (RFC 8656 §12) on the Teams relay ports 3478–3481.
 *
 * Pure and bounds-checked: every byte is read through a cursor (cursor.h), nothing is allocated,
 * the frame is borrowed only for the call. It does not decide whether a UDP flow *is* RTP over
 * time (that needs several packets; rtpstream.h and the capture engine do it): it only checks
 * that this one datagram could be RTP v2. Any thread. */
#ifndef VR_RTPPARSE_H
#define VR_RTPPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Link types (the DLT_ / LINKTYPE_ numbers of libpcap; both raw-IP numbers are accepted). */
#define VR_LINK_NULL      0   /* BSD loopback: 4-byte address family in host byte order */
#define VR_LINK_EN10MB    1   /* Ethernet, optionally with 802.1Q / 802.1ad (QinQ) tags */
#define VR_LINK_RAW       12  /* DLT_RAW on Linux: bare IPv4 or IPv6 */
#define VR_LINK_RAW_BSD   14  /* DLT_RAW on OpenBSD */
#define VR_LINK_RAW_FILE  101 /* LINKTYPE_RAW as written in files */
#define VR_LINK_LOOP      108 /* OpenBSD loopback: address family in network byte order */
#define VR_LINK_LINUX_SLL 113
#define VR_LINK_IPV4      228
#define VR_LINK_IPV6      229
#define VR_LINK_SLL2      276

/* What a frame turned out to be. 0 is an RTP candidate; the others say why it is not, so the
 * engine can count them. Truncation is VR_ETRUNC (err.h), returned instead of a status. */
enum vr_rtpparse_status {
    VR_RTPP_OK = 0,
    VR_RTPP_LINK = 1,     /* link type not supported */
    VR_RTPP_NOT_IP = 2,   /* ARP, LLC, other ethertypes */
    VR_RTPP_NOT_UDP = 3,  /* TCP, ICMP, ESP, ... */
    VR_RTPP_FRAGMENT = 4, /* an IPv4 or IPv6 fragment other than the first */
    VR_RTPP_STUN = 5,     /* a STUN message on a relay port (RFC 8489 §5), skipped */
    VR_RTPP_NOT_RTP = 6,  /* UDP whose payload is not RTP v2 (or is RTCP) */
    VR_RTPP_BAD_IP = 7,   /* malformed IP or UDP header (bad version, lengths that lie) */
};
#define VR_RTPP_STATUS_COUNT 8

struct vr_rtp_frame {
    uint8_t ip_version; /* 4 or 6 */
    uint8_t dscp;       /* 6 bits of the TOS / traffic class */
    uint8_t ecn;        /* 2 bits */
    uint8_t src[16];    /* IPv4: first 4 bytes, rest zero */
    uint8_t dst[16];
    uint16_t sport, dport;
    uint8_t channel_data; /* 1 when the RTP came inside a TURN ChannelData message */
    uint16_t channel;     /* its channel number (0x4000–0x7FFF) */
    /* RTP fixed header (RFC 3550 §5.1) */
    uint8_t pt;
    uint8_t marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t csrc_count;
    uint8_t snapped;    /* 1 when the capture cut the datagram short (snaplen) */
    size_t payload_len; /* RTP payload bytes (after CSRCs, extension, padding); 0 if snapped */
    size_t udp_len;     /* UDP payload length claimed by the headers */
};

/* Parses frame (len bytes as captured) of the given link type. Returns VR_RTPP_OK with *out
 * filled, another vr_rtpparse_status (>0) when the frame is not an RTP candidate (*out then
 * partly filled), or VR_ETRUNC when the headers up to the RTP fixed header were cut. */
int vr_rtpparse_frame(int linktype, const uint8_t *frame, size_t len, struct vr_rtp_frame *out);

/* A UDP payload on its own (no IP): ChannelData unwrap when a port is a relay port, STUN and
 * RTCP rejection, RTP header. Fills the RTP fields of out; ports must already be set. */
int vr_rtpparse_udp_payload(const uint8_t *p, size_t len, size_t claimed_len,
                            struct vr_rtp_frame *out);

/* Teams relay (TURN) ports 3478–3481. */
int vr_rtpparse_is_relay_port(uint16_t port);

/* Short name of a status for counters ("not_udp", ...). Static. */
const char *vr_rtpparse_status_name(int status);

#endif
