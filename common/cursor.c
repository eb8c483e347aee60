#include "cursor.h"

#include <string.h>

#include "err.h"

int vr_rd_u8(struct vr_rd *c, uint8_t *v)
{
    if (c->left < 1)
        return VR_ETRUNC;
    *v = c->p[0];
    c->p += 1;
    c->left -= 1;
    return 0;
}

int vr_rd_u16be(struct vr_rd *c, uint16_t *v)
{
    if (c->left < 2)
        return VR_ETRUNC;
    *v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return 0;
}

int vr_rd_u32be(struct vr_rd *c, uint32_t *v)
{
    if (c->left < 4)
        return VR_ETRUNC;
    *v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    c->left -= 4;
    return 0;
}

int vr_rd_u64be(struct vr_rd *c, uint64_t *v)
{
    uint32_t hi, lo;
    if (c->left < 8)
        return VR_ETRUNC;
    vr_rd_u32be(c, &hi);
    vr_rd_u32be(c, &lo);
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

int vr_rd_skip(struct vr_rd *c, size_t n)
{
    if (c->left < n)
        return VR_ETRUNC;
    c->p += n;
    c->left -= n;
    return 0;
}

int vr_rd_bytes(struct vr_rd *c, void *out, size_t n)
{
    if (c->left < n)
        return VR_ETRUNC;
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return 0;
}

int vr_wr_u8(struct vr_wr *c, uint8_t v)
{
    if (c->left < 1)
        return VR_ETRUNC;
    c->p[0] = v;
    c->p += 1;
    c->left -= 1;
    return 0;
}

int vr_wr_u16be(struct vr_wr *c, uint16_t v)
{
    if (c->left < 2)
        return VR_ETRUNC;
    c->p[0] = (uint8_t)(v >> 8);
    c->p[1] = (uint8_t)v;
    c->p += 2;
    c->left -= 2;
    return 0;
}

int vr_wr_u32be(struct vr_wr *c, uint32_t v)
{
    if (c->left < 4)
        return VR_ETRUNC;
    c->p[0] = (uint8_t)(v >> 24);
    c->p[1] = (uint8_t)(v >> 16);
    c->p[2] = (uint8_t)(v >> 8);
    c->p[3] = (uint8_t)v;
    c->p += 4;
    c->left -= 4;
    return 0;
}

int vr_wr_u64be(struct vr_wr *c, uint64_t v)
{
    if (c->left < 8)
        return VR_ETRUNC;
    vr_wr_u32be(c, (uint32_t)(v >> 32));
    vr_wr_u32be(c, (uint32_t)v);
    return 0;
}

int vr_wr_zero(struct vr_wr *c, size_t n)
{
    if (c->left < n)
        return VR_ETRUNC;
    memset(c->p, 0, n);
    c->p += n;
    c->left -= n;
    return 0;
}
