#include "probe.h"

#include "cursor.h"
#include "err.h"

#define VR_PROBE_MAGIC0 'V'
#define VR_PROBE_MAGIC1 'R'

static int write_reflector_part(struct vr_wr *w, const struct vr_probe *p)
{
    int rc = 0;
    rc |= vr_wr_u64be(w, p->t2_ns);
    rc |= vr_wr_u64be(w, p->t3_ns);
    rc |= vr_wr_u32be(w, p->refl_seq);
    rc |= vr_wr_u32be(w, p->refl_epoch_rx);
    rc |= vr_wr_u32be(w, p->refl_prev_rx);
    rc |= vr_wr_u64be(w, p->refl_host);
    return rc;
}

int vr_probe_encode(const struct vr_probe *p, void *buf, size_t len)
{
    struct vr_wr w;
    int rc = 0;

    if (len < VR_PROBE_HDR_LEN || len > VR_PROBE_MAX_LEN)
        return VR_ERANGE;
    vr_wr_init(&w, buf, len);
    rc |= vr_wr_u8(&w, 0x80); /* V=2, no padding, extension or CSRC */
    rc |= vr_wr_u8(&w, (uint8_t)(p->rtp_pt & 0x7f));
    rc |= vr_wr_u16be(&w, p->rtp_seq);
    rc |= vr_wr_u32be(&w, p->rtp_ts);
    rc |= vr_wr_u32be(&w, p->ssrc);
    rc |= vr_wr_u8(&w, VR_PROBE_MAGIC0);
    rc |= vr_wr_u8(&w, VR_PROBE_MAGIC1);
    rc |= vr_wr_u8(&w, VR_PROBE_VERSION);
    rc |= vr_wr_u8(&w, (uint8_t)p->kind);
    rc |= vr_wr_u8(&w, p->flags);
    rc |= vr_wr_u8(&w, p->reply_dscp);
    rc |= vr_wr_u8(&w, p->rx_tos);
    rc |= vr_wr_u8(&w, p->rx_ttl);
    rc |= vr_wr_u32be(&w, p->sender_seq);
    rc |= vr_wr_u32be(&w, p->epoch);
    rc |= vr_wr_u64be(&w, p->t1_ns);
    rc |= write_reflector_part(&w, p);
    rc |= vr_wr_zero(&w, w.left);
    return rc != 0 ? VR_ETRUNC : (int)len;
}

int vr_probe_decode(const void *buf, size_t len, struct vr_probe *p)
{
    struct vr_rd r;
    uint8_t b0, b1, m0, m1, ver, kind;

    vr_rd_init(&r, buf, len);
    if (len < VR_PROBE_HDR_LEN)
        return len >= 16 && ((const uint8_t *)buf)[12] != VR_PROBE_MAGIC0 ? VR_EMAGIC : VR_ETRUNC;
    vr_rd_u8(&r, &b0);
    vr_rd_u8(&r, &b1);
    vr_rd_u16be(&r, &p->rtp_seq);
    vr_rd_u32be(&r, &p->rtp_ts);
    vr_rd_u32be(&r, &p->ssrc);
    vr_rd_u8(&r, &m0);
    vr_rd_u8(&r, &m1);
    vr_rd_u8(&r, &ver);
    vr_rd_u8(&r, &kind);
    if ((b0 & 0xc0) != 0x80 || m0 != VR_PROBE_MAGIC0 || m1 != VR_PROBE_MAGIC1)
        return VR_EMAGIC;
    if (b0 != 0x80) /* CSRC count, extension or padding set: not something we sent */
        return VR_EINVAL;
    if (ver != VR_PROBE_VERSION)
        return VR_EVERSION;
    if (kind < VR_PROBE_REQUEST || kind > VR_PROBE_COUNT_ANSWER)
        return VR_EINVAL;
    p->rtp_pt = b1 & 0x7f;
    p->kind = (enum vr_probe_kind)kind;
    vr_rd_u8(&r, &p->flags);
    vr_rd_u8(&r, &p->reply_dscp);
    vr_rd_u8(&r, &p->rx_tos);
    vr_rd_u8(&r, &p->rx_ttl);
    if (p->reply_dscp > 63)
        return VR_EINVAL;
    vr_rd_u32be(&r, &p->sender_seq);
    vr_rd_u32be(&r, &p->epoch);
    vr_rd_u64be(&r, &p->t1_ns);
    vr_rd_u64be(&r, &p->t2_ns);
    vr_rd_u64be(&r, &p->t3_ns);
    vr_rd_u32be(&r, &p->refl_seq);
    vr_rd_u32be(&r, &p->refl_epoch_rx);
    vr_rd_u32be(&r, &p->refl_prev_rx);
    vr_rd_u64be(&r, &p->refl_host);
    return 0;
}

void vr_probe_fill_reply(void *buf, const struct vr_probe *p)
{
    struct vr_wr w;
    uint8_t *b = buf;

    b[15] = (uint8_t)p->kind;
    b[16] = p->flags;
    b[18] = p->rx_tos;
    b[19] = p->rx_ttl;
    vr_wr_init(&w, b + 36, VR_PROBE_HDR_LEN - 36);
    (void)write_reflector_part(&w, p); /* fits: the caller's packet passed decode */
}

void vr_probe_set_send_fields(void *buf, uint16_t rtp_seq, uint32_t rtp_ts, uint32_t sender_seq,
                              uint32_t epoch, uint64_t t1_ns)
{
    struct vr_wr w;
    uint8_t *b = buf;

    /* the buffer came from vr_probe_encode, so it holds at least VR_PROBE_HDR_LEN bytes */
    vr_wr_init(&w, b + 2, 6);
    (void)vr_wr_u16be(&w, rtp_seq);
    (void)vr_wr_u32be(&w, rtp_ts);
    vr_wr_init(&w, b + 20, 16);
    (void)vr_wr_u32be(&w, sender_seq);
    (void)vr_wr_u32be(&w, epoch);
    (void)vr_wr_u64be(&w, t1_ns);
}
