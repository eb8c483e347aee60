/* fuzz_icmpquote: libFuzzer harness for vr_icmpquote_parse(), which `trace` runs on every ICMP
 * frame it captures.
 *
 * The first input byte picks the link type (Ethernet, Linux cooked v1 and v2, raw IP, the
 * DLT_IPV4/IPV6 types and one unknown type), the rest is the frame. For every input the parser
 * must return 0, VR_ETRUNC or VR_EINVAL without reading past the end (ASan: the replay and
 * fuzz builds pass exact-size buffers), and an accepted frame must give a consistent result:
 * an address family, an ICMP error type of that family, a payload only after a UDP header,
 * at most VR_ICMPQUOTE_PAYLOAD_MAX payload bytes, the same result when parsed twice, and the
 * same result when bytes are appended past the frame's stated IP length (e.g. Ethernet padding)
 * for raw IP frames. A broken property calls abort().
 *
 * Programs built from this file, like fuzz_probe.c:
 *  - fuzz_icmpquote (clang, -fsanitize=fuzzer);
 *  - fuzz_icmpquote_replay (with replay.c): feeds each seed file once, in every build;
 *  - fuzz_icmpquote_gen (-DVR_FUZZ_GEN): writes the seed corpus tests/fuzz/corpus/icmpquote/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "icmpquote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int link_types[] = {VR_ICMPQUOTE_DLT_EN10MB,     VR_ICMPQUOTE_DLT_LINUX_SLL,
                                 VR_ICMPQUOTE_DLT_LINUX_SLL2, VR_ICMPQUOTE_DLT_RAW,
                                 VR_ICMPQUOTE_DLT_RAW_FILE,   VR_ICMPQUOTE_DLT_IPV4,
                                 VR_ICMPQUOTE_DLT_IPV6,       147 /* DLT_USER0: unknown */};
#define N_LINK_TYPES (sizeof(link_types) / sizeof(link_types[0]))

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_icmpquote q, again;
    int linktype, rc;

    if (size < 1)
        return 0;
    linktype = link_types[data[0] % N_LINK_TYPES];
    data++;
    size--;
    rc = vr_icmpquote_parse(linktype, data, size, &q);
    if (rc != 0) {
        check(rc == VR_ETRUNC || rc == VR_EINVAL);
        return 0;
    }
    check(q.family == AF_INET || q.family == AF_INET6);
    check(vr_icmpquote_is_error(q.family, q.icmp_type));
    check(q.payload_len <= VR_ICMPQUOTE_PAYLOAD_MAX);
    check(q.has_udp || q.payload_len == 0);
    check(!q.has_udp || q.q_proto == 17);
    check(vr_icmpquote_parse(linktype, data, size, &again) == 0);
    check(memcmp(&q, &again, sizeof(q)) == 0);

    /* trailing bytes beyond the outer IP length never change the result */
    if (linktype == VR_ICMPQUOTE_DLT_RAW && size > 0 && size < 4096 && q.family == AF_INET) {
        size_t stated = size >= 4 ? (size_t)(data[2] << 8 | data[3]) : 0;
        if (stated <= size) {
            uint8_t *pad = malloc(stated + 16);
            check(pad != NULL);
            memcpy(pad, data, stated);
            memset(pad + stated, 0x80, 16);
            check(vr_icmpquote_parse(linktype, pad, stated + 16, &again) == 0);
            check(memcmp(&q, &again, sizeof(q)) == 0);
            free(pad);
        }
    }
    return 0;
}

#if defined(VR_FUZZ_GEN)
#include <stdio.h>

struct buf {
    uint8_t b[1600];
    size_t n;
};

static void put(struct buf *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put8(struct buf *f, unsigned v)
{
    f->b[f->n++] = (uint8_t)v;
}

static void put16(struct buf *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static void set16(struct buf *f, size_t at, unsigned v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

static const uint8_t a4[4] = {10, 0, 12, 2}, b4[4] = {10, 0, 1, 1}, c4[4] = {10, 0, 34, 4};
static const uint8_t a6[16] = {0xfd, 0, 0, 0x12, [15] = 2}, b6[16] = {0xfd, 0, 0, 1, [15] = 1},
                     c6[16] = {0xfd, 0, 0, 0x34, [15] = 4};

static void put_udp(struct buf *f, size_t quoted)
{
    put16(f, 40001);
    put16(f, 5004);
    put16(f, 8 + 100);
    put16(f, 0x1d2c);
    for (size_t i = 0; i < quoted; i++)
        put8(f, i == 0 ? 0x80 : i == 1 ? 111 : (unsigned)(i * 7));
}

static void put_v4(struct buf *f, unsigned type, unsigned code, unsigned tos, size_t quoted)
{
    size_t start = f->n;
    static const uint8_t outer[12] = {0x45, 0xc0, 0, 0, 0, 1, 0, 0, 63, 1, 0, 0};
    static const uint8_t inner[12] = {0x45, 0, 0, 128, 0x4d, 0x2e, 0x40, 0, 1, 17, 0, 0};
    put(f, outer, sizeof(outer));
    put(f, a4, 4);
    put(f, b4, 4);
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put16(f, 0);
    put16(f, 0);
    put(f, inner, sizeof(inner));
    f->b[f->n - 11] = (uint8_t)tos;
    put(f, b4, 4);
    put(f, c4, 4);
    put_udp(f, quoted);
    set16(f, start + 2, (unsigned)(f->n - start));
}

static void put_v6(struct buf *f, unsigned type, unsigned tc, int ext, size_t quoted)
{
    size_t start = f->n, inner;
    put16(f, 0x6000);
    put16(f, 0);
    put16(f, 0);
    put8(f, ext ? 0 : 58);
    put8(f, 62);
    put(f, a6, 16);
    put(f, b6, 16);
    if (ext) {
        static const uint8_t hbh[8] = {58, 0, 5, 2, 0, 0, 1, 0};
        put(f, hbh, sizeof(hbh));
    }
    put8(f, type);
    put8(f, 0);
    put16(f, 0);
    put16(f, 0);
    put16(f, 0);
    inner = f->n;
    put16(f, 0x6000 | tc << 4);
    put16(f, 0x1234);
    put16(f, 0);
    put8(f, ext ? 44 : 17);
    put8(f, 1);
    put(f, b6, 16);
    put(f, c6, 16);
    if (ext) {
        static const uint8_t frag[8] = {17, 0, 0, 1, 0x11, 0x22, 0x33, 0x44};
        put(f, frag, sizeof(frag));
    }
    put_udp(f, quoted);
    set16(f, inner + 4, (unsigned)(f->n - inner - 40));
    set16(f, start + 4, (unsigned)(f->n - start - 40));
}

static int write_seed(const char *dir, const char *name, unsigned link_index,
                      const struct buf *frame)
{
    char path[4096];
    FILE *f;
    uint8_t sel = (uint8_t)link_index;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(&sel, 1, 1, f) != 1 || fwrite(frame->b, 1, frame->n, f) != frame->n ||
        fclose(f) != 0) {
        fprintf(stderr, "fuzz_icmpquote_gen: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* Seeds: each link type with an IPv4 and an IPv6 time exceeded, VLAN tags, extension headers,
 * minimal and long quotes, unreachable errors, and frames cut short. Deterministic. */
int main(int argc, char **argv)
{
    static const uint8_t eth[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    struct buf f;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_icmpquote_gen DIR\n");
        return 2;
    }
    /* index into link_types: 0 EN10MB, 1 SLL, 2 SLL2, 3 RAW, 5 IPV4, 6 IPV6 */
    f.n = 0;
    put(&f, eth, 12);
    put16(&f, 0x0800);
    put_v4(&f, 11, 0, 0xb8, 32);
    rc |= write_seed(argv[1], "eth-v4-time-exceeded", 0, &f);
    f.n = 0;
    put(&f, eth, 12);
    put16(&f, 0x8100);
    put16(&f, 42);
    put16(&f, 0x86dd);
    put_v6(&f, 3, 0x88, 1, 40);
    rc |= write_seed(argv[1], "eth-vlan-v6-ext", 0, &f);
    f.n = 0;
    put16(&f, 0);
    put16(&f, 1);
    put16(&f, 6);
    put(&f, eth, 8);
    put16(&f, 0x0800);
    put_v4(&f, 3, 3, 0x48, 8);
    rc |= write_seed(argv[1], "sll-v4-port-unreachable", 1, &f);
    f.n = 0;
    put16(&f, 0x86dd);
    put16(&f, 0);
    put16(&f, 0);
    put16(&f, 3);
    put16(&f, 1);
    put8(&f, 0);
    put8(&f, 6);
    put(&f, eth, 8);
    put_v6(&f, 3, 0xb8, 0, 100);
    rc |= write_seed(argv[1], "sll2-v6-time-exceeded", 2, &f);
    f.n = 0;
    put_v4(&f, 11, 0, 0x01, 0);
    rc |= write_seed(argv[1], "raw-v4-minimal-quote", 3, &f);
    f.n = 0;
    put_v4(&f, 12, 0, 0xb8, 4);
    rc |= write_seed(argv[1], "ipv4-param-problem", 5, &f);
    f.n = 0;
    put_v6(&f, 1, 0, 1, 12);
    rc |= write_seed(argv[1], "ipv6-unreachable-ext", 6, &f);
    f.n = 0;
    put_v6(&f, 3, 0xb8, 0, 40);
    f.n = 40 + 8 + 30; /* cut inside the quoted IPv6 header */
    rc |= write_seed(argv[1], "raw-v6-cut", 3, &f);
    f.n = 0;
    put(&f, eth, 12);
    put16(&f, 0x0800);
    put_v4(&f, 11, 0, 0xb8, 32);
    f.n = 14 + 20 + 8 + 10;
    rc |= write_seed(argv[1], "eth-v4-cut", 0, &f);
    return rc;
}
#endif
