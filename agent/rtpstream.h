/* rtpstream: statistics of one received RTP stream (one SSRC on one 5-tuple), fed packet by
 * packet in arrival order from a capture: packets, expected and lost (RFC 3550 A.1 extended
 * sequence numbers with 16-bit wrap and re-sync after a restart), duplicates, RFC 4737 reorder,
 * RFC 3550 interarrival jitter in the payload type's clock (its maximum too), the largest gap
 * between arrivals, DSCP counts; then the judgement (MOS, pass/warn/fail) and the "capture"
 * record.
 *
 * Fixed size, no allocation: a capture engine keeps thousands of these in a bounded table. It
 * does not parse packets (rtpparse.h) nor find streams (the engine does). Not thread-safe; any
 * thread. */
#ifndef VR_RTPSTREAM_H
#define VR_RTPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "score.h"
#include "stats.h"

/* Default RTP clock of the dynamic payload types 96–127 (and unassigned static ones): Teams
 * audio codecs (SILK, Satin, Opus) are wideband and commonly signalled at 48 kHz, but nothing in
 * the packet says so; `capture --clock-rate PT=HZ` overrides it per payload type.
 * A stream of unknown clock (vr_rtpstream_init with clock_hz 0) also keeps its jitter in each of
 * the VR_RTP_CLOCK_CANDIDATES common clocks at once, and at the end takes the one its own
 * timestamps advance at against capture time (over at least VR_RTP_CLOCK_MIN_SPAN_NS, within
 * 10 %); when none fits, the default applies. */
#define VR_RTP_DYNAMIC_CLOCK_HZ    48000u
#define VR_RTP_CLOCK_CANDIDATES    6 /* 8, 16, 24, 32, 48, 90 kHz */
#define VR_RTP_CLOCK_MIN_SPAN_NS   500000000ull
#define VR_RTP_CLOCK_MAX_DEVIATION 0.10

/* Packets in a row, each 1..VR_RTPSTREAM_PROBE_GAP sequence numbers after the one before, that
 * make a UDP flow count as RTP (RFC 3550 A.1 uses 2; random UDP passes one test in 650). */
#define VR_RTPSTREAM_MIN_SEQUENTIAL 3
#define VR_RTPSTREAM_PROBE_GAP      100

/* Duplicates are recognised within this many sequence numbers below the highest seen. */
#define VR_RTPSTREAM_DUP_WINDOW 256

/* The static payload types' clock (RFC 3551 table 4 and 5: PCMU, GSM, G723, PCMA, G722 (whose
 * RTP clock is 8000 for historical reasons), G728, G729 at 8 kHz; video at 90 kHz); 0 for
 * unassigned and dynamic types. */
uint32_t vr_rtp_static_clock_hz(uint8_t pt);

/* Traffic class of a stream: by its DSCP (46 audio, 34 video, 18 sharing), else by the Teams
 * port ranges of either end (client 50000–19 audio, 50020–39 video, 50040–59 sharing; relay
 * 3479 audio, 3480 video, 3481 sharing), else "unknown". Static string. */
const char *vr_rtp_class(int dscp, uint16_t sport, uint16_t dport);

enum vr_rtpstream_seq {
    VR_RTPSTREAM_IN_ORDER = 0,  /* the next one, or after a gap */
    VR_RTPSTREAM_REORDERED = 1, /* below the highest so far, first copy */
    VR_RTPSTREAM_DUPLICATE = 2,
    VR_RTPSTREAM_BAD_SEQ = 3, /* a jump too large: not counted unless the next one confirms it */
};

enum vr_rtp_clock_source {
    VR_CLOCK_GIVEN = 0,    /* static payload type or --clock-rate */
    VR_CLOCK_INFERRED = 1, /* unknown clock, read from the timestamps' rate */
    VR_CLOCK_DEFAULT = 2,  /* unknown clock, could not be inferred: VR_RTP_DYNAMIC_CLOCK_HZ */
};

struct vr_rtpstream {
    uint32_t clock_hz;
    uint8_t pt;
    uint8_t infer;     /* clock unknown: keep the candidates' jitter too */
    uint8_t probation; /* consistent packets still needed before the stream is RTP */
    /* RFC 3550 A.1 sequence state */
    uint16_t max_seq;
    uint32_t cycles; /* count of wraps * 65536 */
    uint32_t base_ext;
    uint32_t bad_seq;        /* expected next after a big jump (65537 = none) */
    uint64_t expected_prior; /* expected over segments before a re-sync */
    uint64_t packets;        /* every packet of the stream, duplicates included (as tshark) */
    uint64_t duplicates;
    uint64_t reordered;
    uint64_t bad_seq_pkts; /* big jumps ignored */
    uint64_t dup_bits[VR_RTPSTREAM_DUP_WINDOW / 64];
    struct vr_reorder reorder;
    /* jitter in arrival order */
    struct vr_jitter jitter;
    double jitter_max_ns;
    struct vr_jitter cand[VR_RTP_CLOCK_CANDIDATES];
    double cand_max_ns[VR_RTP_CLOCK_CANDIDATES];
    int64_t ts_ext; /* unwrapped RTP timestamp relative to the first packet */
    uint32_t last_ts;
    /* arrivals */
    uint64_t first_ns, last_ns, max_delta_ns;
    uint32_t dscp[64];
};

/* clock_hz: the payload type's RTP clock, or 0 when unknown (then inferred, see above). */
void vr_rtpstream_init(struct vr_rtpstream *s, uint8_t pt, uint32_t clock_hz);

/* Feeds one packet: capture time (ns, Unix epoch for records, non-decreasing within a stream as
 * captures are), RTP sequence number and timestamp, DSCP. Returns how the sequence number fitted.
 */
enum vr_rtpstream_seq vr_rtpstream_add(struct vr_rtpstream *s, uint64_t arrival_ns, uint16_t seq,
                                       uint32_t ts, uint8_t dscp);

/* True once VR_RTPSTREAM_MIN_SEQUENTIAL consistent packets have been seen. */
static inline bool vr_rtpstream_confirmed(const struct vr_rtpstream *s)
{
    return s->probation == 0;
}

struct vr_rtpstream_result {
    uint64_t packets, expected, lost, duplicates;
    double loss_pct, reorder_pct;
    double jitter_ms, jitter_max_ms, max_delta_ms, duration_s;
    int dscp_top; /* most frequent DSCP, -1 when none */
    uint32_t clock_hz;
    enum vr_rtp_clock_source clock_source;
};

void vr_rtpstream_result(const struct vr_rtpstream *s, struct vr_rtpstream_result *out);

/* The passive judgement: MOS (E-model, mos.h) from loss and jitter with no network delay term
 * (a capture cannot see it; codec by payload type: 0/8 G.711, 18 G.729A, 4 G.723.1, others
 * G.711), and pass/warn/fail of loss and jitter against t (score.h, same warn band). Reasons go
 * into reasons[] (up to max, each VR_RECORD_REASON_LEN). Returns the level. */
enum vr_level vr_rtpstream_judge(const struct vr_rtpstream_result *r, uint8_t pt,
                                 const struct vr_thresholds *t, double *mos,
                                 char (*reasons)[VR_RECORD_REASON_LEN], size_t max,
                                 size_t *n_reasons);

#endif
