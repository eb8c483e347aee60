/* fuzz_probe: libFuzzer harness for vr_probe_decode(), the parser that sees every datagram from
 * the network.
 *
 * For every input decode must return one of its documented codes without reading past the end.
 * When it accepts:
 *  - vr_probe_fill_reply() on a copy with the packet's own fields leaves the copy byte-identical,
 *    and with new reflector fields changes only those (decode of the copy shows them);
 *  - vr_probe_encode() of the decoded fields decodes to the same fields and reproduces the first
 *    VR_PROBE_HDR_LEN input bytes, except the RTP marker bit, which the format drops.
 * A broken property calls abort(), so libFuzzer keeps the input as a crash.
 *
 * The same file builds three programs:
 *  - fuzz_probe (clang, -fsanitize=fuzzer): the libFuzzer target;
 *  - fuzz_probe_replay (with replay.c, any compiler): feeds every file of the given
 *    directories or files to the target once, so every build exercises the seed corpus;
 *  - fuzz_probe_gen (-DVR_FUZZ_GEN): writes the seed corpus into a directory with
 *    vr_probe_encode(), to regenerate tests/fuzz/corpus/probe/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int probe_equal(const struct vr_probe *a, const struct vr_probe *b)
{
    return a->rtp_pt == b->rtp_pt && a->rtp_seq == b->rtp_seq && a->rtp_ts == b->rtp_ts &&
           a->ssrc == b->ssrc && a->kind == b->kind && a->flags == b->flags &&
           a->reply_dscp == b->reply_dscp && a->rx_tos == b->rx_tos && a->rx_ttl == b->rx_ttl &&
           a->sender_seq == b->sender_seq && a->epoch == b->epoch && a->t1_ns == b->t1_ns &&
           a->t2_ns == b->t2_ns && a->t3_ns == b->t3_ns && a->refl_seq == b->refl_seq &&
           a->refl_epoch_rx == b->refl_epoch_rx && a->refl_prev_rx == b->refl_prev_rx &&
           a->refl_host == b->refl_host;
}

/* Reflector fields derived from the input, so the fuzzer steers them too. */
static void mutate_reply(struct vr_probe *r, const struct vr_probe *p)
{
    *r = *p;
    r->kind = (enum vr_probe_kind)(1 + (p->sender_seq & 3));
    r->flags = (uint8_t)~p->flags;
    r->rx_tos = (uint8_t)~p->rx_tos;
    r->rx_ttl = (uint8_t)(p->rx_ttl + 1);
    r->t2_ns = ~p->t2_ns;
    r->t3_ns = p->t3_ns ^ p->t1_ns;
    r->refl_seq = p->refl_seq + 1;
    r->refl_epoch_rx = ~p->refl_epoch_rx;
    r->refl_prev_rx = p->refl_prev_rx ^ p->epoch;
    r->refl_host = ~p->refl_host;
}

static void check_fill_reply(const uint8_t *data, size_t size, const struct vr_probe *p)
{
    uint8_t *copy = malloc(size);
    struct vr_probe r, out;

    check(copy != NULL);
    memcpy(copy, data, size);
    vr_probe_fill_reply(copy, p);
    check(memcmp(copy, data, size) == 0);

    mutate_reply(&r, p);
    vr_probe_fill_reply(copy, &r);
    memset(&out, 0, sizeof(out));
    check(vr_probe_decode(copy, size, &out) == 0);
    check(probe_equal(&out, &r));
    /* fill_reply only rewrites inside the header */
    check(memcmp(copy + VR_PROBE_HDR_LEN, data + VR_PROBE_HDR_LEN, size - VR_PROBE_HDR_LEN) == 0);
    free(copy);
}

static void check_round_trip(const uint8_t *data, size_t size, const struct vr_probe *p)
{
    static uint8_t buf[VR_PROBE_MAX_LEN];
    size_t len = size < VR_PROBE_MAX_LEN ? size : VR_PROBE_MAX_LEN;
    struct vr_probe out;

    check(vr_probe_encode(p, buf, len) == (int)len);
    memset(&out, 0, sizeof(out));
    check(vr_probe_decode(buf, len, &out) == 0);
    check(probe_equal(&out, p));
    check(buf[0] == data[0] && buf[1] == (data[1] & 0x7f));
    check(memcmp(buf + 2, data + 2, VR_PROBE_HDR_LEN - 2) == 0);
    for (size_t i = VR_PROBE_HDR_LEN; i < len; i++)
        check(buf[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_probe p;
    int rc;

    memset(&p, 0, sizeof(p));
    rc = vr_probe_decode(data, size, &p);
    if (rc != 0) {
        check(rc == VR_ETRUNC || rc == VR_EMAGIC || rc == VR_EVERSION || rc == VR_EINVAL);
        check(rc != VR_ETRUNC || size < VR_PROBE_HDR_LEN);
        return 0;
    }
    check(size >= VR_PROBE_HDR_LEN);
    check(p.kind >= VR_PROBE_REQUEST && p.kind <= VR_PROBE_COUNT_ANSWER);
    check(p.reply_dscp < 64 && p.rtp_pt < 128);
    check_fill_reply(data, size, &p);
    check_round_trip(data, size, &p);
    return 0;
}

#if defined(VR_FUZZ_GEN)
#include <stdio.h>

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_probe_gen: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* Writes the seed corpus: valid packets of every kind at the profile sizes, prefixes of a valid
 * packet, and packets one byte away from valid. Deterministic. */
int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum vr_probe_kind kind;
        size_t len;
    } valid[] = {
        {"request-72", VR_PROBE_REQUEST, VR_PROBE_HDR_LEN},
        {"request-100", VR_PROBE_REQUEST, 100},
        {"reply-172", VR_PROBE_REPLY, 172},
        {"count-query-72", VR_PROBE_COUNT_QUERY, VR_PROBE_HDR_LEN},
        {"count-answer-72", VR_PROBE_COUNT_ANSWER, VR_PROBE_HDR_LEN},
        {"reply-300", VR_PROBE_REPLY, 300},
        {"request-1472", VR_PROBE_REQUEST, VR_PROBE_MAX_LEN},
    };
    static const size_t cuts[] = {0, 1, 12, 16, 36, 71};
    static const struct {
        const char *name;
        size_t off;
        uint8_t v;
    } flips[] = {
        {"bad-rtp-version", 0, 0x40}, {"bad-csrc", 0, 0x81},   {"bad-magic", 12, 'v'},
        {"bad-version", 14, 2},       {"bad-kind-0", 15, 0},   {"bad-kind-5", 15, 5},
        {"bad-dscp-64", 17, 64},      {"marker-bit", 1, 0xe4},
    };
    uint8_t buf[VR_PROBE_MAX_LEN];
    struct vr_probe p;
    char name[64];
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_probe_gen DIR\n");
        return 2;
    }
    memset(&p, 0, sizeof(p));
    p.rtp_pt = 111;
    p.rtp_seq = 4242;
    p.rtp_ts = 16000u * 7;
    p.ssrc = 0x5652aa01u;
    p.reply_dscp = 46;
    p.sender_seq = 7;
    p.epoch = 3;
    p.t1_ns = UINT64_C(1795788300123456789);
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        p.kind = valid[i].kind;
        if (p.kind != VR_PROBE_REQUEST) {
            p.flags = VR_PROBE_F_SYNCED | VR_PROBE_F_TOS_VALID | VR_PROBE_F_TTL_VALID;
            p.rx_tos = 0xb8;
            p.rx_ttl = 61;
            p.t2_ns = p.t1_ns + 1500000;
            p.t3_ns = p.t2_ns + 20000;
            p.refl_seq = 6;
            p.refl_epoch_rx = 5;
            p.refl_prev_rx = 250;
            p.refl_host = UINT64_C(0x0123456789abcdef);
        }
        if (vr_probe_encode(&p, buf, valid[i].len) != (int)valid[i].len)
            return 1;
        rc |= write_file(argv[1], valid[i].name, buf, valid[i].len);
    }
    p.kind = VR_PROBE_REQUEST;
    if (vr_probe_encode(&p, buf, 100) != 100)
        return 1;
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        snprintf(name, sizeof(name), "truncated-%zu", cuts[i]);
        rc |= write_file(argv[1], name, buf, cuts[i]);
    }
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        uint8_t save = buf[flips[i].off];
        buf[flips[i].off] = flips[i].v;
        rc |= write_file(argv[1], flips[i].name, buf, 100);
        buf[flips[i].off] = save;
    }
    return rc;
}
#endif
