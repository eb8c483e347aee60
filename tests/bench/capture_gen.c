/* capture_gen: writes a large pcap of interleaved RTP streams for bench-capture.
 *
 * usage: capture_gen FILE [STREAMS [PACKETS_PER_STREAM [PT]]]   (default 1000 x 1000 = 1 M
 * packets, PT 0; a dynamic PT such as 111 makes capture infer the clock: more work per packet)
 *
 * Ethernet / IPv4 / UDP / RTP G.711 (PT 0, 8 kHz, 160 ticks per 20 ms, 80 payload bytes so the
 * file stays ~150 MB), streams between 10.1.x.y:50000+ and 10.2.x.y:5004, EF, starting spread
 * over the first 20 ms, each packet up to 3 ms late (deterministic pseudo-random), 0.5 % of
 * packets dropped. Records are written in time order, as a capture would have them; microsecond
 * timestamps (the classic pcap format tcpdump writes). Plain C, no libraries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

struct pkt {
    uint64_t t_us;
    uint32_t stream;
    uint32_t i;
};

static int cmp(const void *a, const void *b)
{
    const struct pkt *x = a, *y = b;
    if (x->t_us != y->t_us)
        return x->t_us < y->t_us ? -1 : 1;
    return x->stream < y->stream ? -1 : x->stream > y->stream;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [STREAMS [PACKETS_PER_STREAM [PT]]]\n", argv[0]);
        return 2;
    }
    uint32_t streams = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000;
    uint32_t per = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1000;
    uint32_t pt = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
    if (streams == 0 || streams > 60000 || per == 0 || per > 1000000 || pt > 127) {
        fprintf(stderr, "capture_gen: STREAMS 1-60000, PACKETS_PER_STREAM 1-1000000, PT 0-127\n");
        return 2;
    }
    size_t n = (size_t)streams * per, k = 0;
    struct pkt *pk = malloc(n * sizeof(*pk));
    if (pk == NULL) {
        fprintf(stderr, "capture_gen: out of memory\n");
        return 1;
    }
    uint64_t t0 = 1790000000ull * 1000000ull;
    for (uint32_t s = 0; s < streams; s++) {
        uint64_t start = t0 + (uint64_t)s * 20000u / streams;
        for (uint32_t i = 0; i < per; i++) {
            if (i > 0 && next_rand() % 1000 < 5)
                continue; /* dropped */
            pk[k].t_us = start + (uint64_t)i * 20000u + next_rand() % 3000u;
            pk[k].stream = s;
            pk[k].i = i;
            k++;
        }
    }
    qsort(pk, k, sizeof(*pk), cmp);
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    uint8_t gh[24];
    le32(gh, 0xa1b2c3d4);
    gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
    le32(gh + 8, 0);
    le32(gh + 12, 0);
    le32(gh + 16, 65535);
    le32(gh + 20, 1);
    fwrite(gh, 1, sizeof(gh), f);
    enum { PAYLOAD = 80, FRAME = 14 + 20 + 8 + 12 + PAYLOAD };
    uint8_t rec[16 + FRAME];
    memset(rec, 0, sizeof(rec));
    uint8_t *e = rec + 16, *ip = e + 14, *udp = ip + 20, *rtp = udp + 8;
    memcpy(e, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
    ip[0] = 0x45, ip[1] = 0xb8, ip[8] = 64, ip[9] = 17;
    put16(ip + 2, 20 + 8 + 12 + PAYLOAD);
    put16(udp + 4, 8 + 12 + PAYLOAD);
    rtp[0] = 0x80, rtp[1] = (uint8_t)pt;
    for (size_t j = 0; j < k; j++) {
        uint32_t s = pk[j].stream, i = pk[j].i;
        le32(rec, (uint32_t)(pk[j].t_us / 1000000u));
        le32(rec + 4, (uint32_t)(pk[j].t_us % 1000000u));
        le32(rec + 8, FRAME);
        le32(rec + 12, FRAME);
        ip[12] = 10, ip[13] = 1, ip[14] = (uint8_t)(s >> 8), ip[15] = (uint8_t)s;
        ip[16] = 10, ip[17] = 2, ip[18] = (uint8_t)(s >> 8), ip[19] = (uint8_t)s;
        put16(udp, 50000 + (s % 60));
        put16(udp + 2, 5004);
        put16(rtp + 2, (1000 + s * 7 + i) & 0xffff);
        put32(rtp + 4, i * 160u);
        put32(rtp + 8, 0x10000000u + s);
        if (fwrite(rec, 1, sizeof(rec), f) != sizeof(rec)) {
            perror(argv[1]);
            return 1;
        }
    }
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("capture_gen: %s: %u streams, %zu packets\n", argv[1], streams, k);
    free(pk);
    return 0;
}
