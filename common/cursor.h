/* cursor: bounds-checked big-endian readers and writers over a byte buffer.
 *
 * Every read or write checks what is left and returns VR_ETRUNC instead of running past the end,
 * so parsers of network input never index a buffer directly. The cursor borrows the buffer. */
#ifndef VR_CURSOR_H
#define VR_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct vr_rd {
    const uint8_t *p;
    size_t left;
};

struct vr_wr {
    uint8_t *p;
    size_t left;
};

static inline void vr_rd_init(struct vr_rd *c, const void *buf, size_t len)
{
    c->p = buf;
    c->left = len;
}

static inline void vr_wr_init(struct vr_wr *c, void *buf, size_t len)
{
    c->p = buf;
    c->left = len;
}

int vr_rd_u8(struct vr_rd *c, uint8_t *v);
int vr_rd_u16be(struct vr_rd *c, uint16_t *v);
int vr_rd_u32be(struct vr_rd *c, uint32_t *v);
int vr_rd_u64be(struct vr_rd *c, uint64_t *v);
int vr_rd_skip(struct vr_rd *c, size_t n);
int vr_rd_bytes(struct vr_rd *c, void *out, size_t n);

int vr_wr_u8(struct vr_wr *c, uint8_t v);
int vr_wr_u16be(struct vr_wr *c, uint16_t v);
int vr_wr_u32be(struct vr_wr *c, uint32_t v);
int vr_wr_u64be(struct vr_wr *c, uint64_t v);
int vr_wr_zero(struct vr_wr *c, size_t n);

#endif
