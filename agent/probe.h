/* probe: the voiceready probe wire format. Encode and decode only; no sockets, no clocks.
 *
 * A probe is a UDP payload that starts with a plain RTP v2 header (so RTP-aware classifiers
 * and tshark see media) followed by the voiceready measurement header and zero padding up to
 * the codec profile's size. The reflector fills in its fields in place and sends the same number
 * of bytes back (never more). All fields big endian.
 *
 *   0  RTP: V=2 P=0 X=0 CC=0 | M PT | seq16 | timestamp32 | SSRC32        (12 bytes, echoed)
 *  12  magic "VR" | version 1 | kind (1 probe, 2 reply, 3 count query, 4 count answer)
 *  16  flags | reply_dscp | rx_tos | rx_ttl
 *  20  sender_seq32 | epoch32
 *  28  t1_ns64 (sender transmit, Unix ns) | t2_ns64 (reflector receive) | t3_ns64 (reflector
 *      transmit)
 *  52  refl_seq32 (reflector's reply number for the stream; count query: total received)
 *  56  refl_epoch_rx32 (probes of `epoch` the reflector got so far)
 *  60  refl_prev_rx32 (probes of `epoch - 1` it got)
 *  64  refl_host64 (hash of the reflector's kernel boot id: equal ids share one clock)
 *  72  zero padding
 *
 * Counting per sender epoch (interval) lets the sender split loss into forward and reverse per
 * interval exactly: the reflector says how many probes of each interval reached it. */
#ifndef VR_PROBE_H
#define VR_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define VR_PROBE_HDR_LEN 72
#define VR_PROBE_MAX_LEN 1472 /* one IPv4 datagram on a 1500-byte MTU */
#define VR_PROBE_VERSION 1

enum vr_probe_kind {
    VR_PROBE_REQUEST = 1,
    VR_PROBE_REPLY = 2,
    VR_PROBE_COUNT_QUERY = 3,
    VR_PROBE_COUNT_ANSWER = 4,
};

#define VR_PROBE_F_SYNCED    0x01 /* reflector clock synchronised (adjtimex) */
#define VR_PROBE_F_TOS_VALID 0x02 /* rx_tos holds the TOS byte the reflector received */
#define VR_PROBE_F_TTL_VALID 0x04 /* rx_ttl holds the TTL / hop limit the reflector received */

struct vr_probe {
    /* RTP header fields */
    uint8_t rtp_pt;
    uint16_t rtp_seq;
    uint32_t rtp_ts;
    uint32_t ssrc;
    /* voiceready header */
    enum vr_probe_kind kind;
    uint8_t flags;
    uint8_t reply_dscp;
    uint8_t rx_tos;
    uint8_t rx_ttl;
    uint32_t sender_seq;
    uint32_t epoch;
    uint64_t t1_ns, t2_ns, t3_ns;
    uint32_t refl_seq;
    uint32_t refl_epoch_rx;
    uint32_t refl_prev_rx;
    uint64_t refl_host;
};

/* Writes p into buf as a packet of exactly len bytes (header + zero padding).
 * Returns len, or VR_ERANGE when len is below VR_PROBE_HDR_LEN or above VR_PROBE_MAX_LEN. */
int vr_probe_encode(const struct vr_probe *p, void *buf, size_t len);

/* Parses and validates a packet: RTP version 2 with no CSRC/extension, magic, version, a known
 * kind and reply_dscp < 64. Returns 0, VR_ETRUNC (too short), VR_EMAGIC (not ours), VR_EVERSION
 * or VR_EINVAL. Padding is not inspected. */
int vr_probe_decode(const void *buf, size_t len, struct vr_probe *p);

/* Rewrites, in place, the reflector fields of a packet that vr_probe_decode accepted: kind,
 * flags, rx_tos, rx_ttl, t2, t3, refl_*. Cheaper than a full encode on the reflector's hot path. */
void vr_probe_fill_reply(void *buf, const struct vr_probe *p);

/* Rewrites, in place, the per-packet sender fields of a packet made by vr_probe_encode: RTP
 * sequence and timestamp, sender_seq, epoch and T1. The sender's hot path. */
void vr_probe_set_send_fields(void *buf, uint16_t rtp_seq, uint32_t rtp_ts, uint32_t sender_seq,
                              uint32_t epoch, uint64_t t1_ns);

#endif
