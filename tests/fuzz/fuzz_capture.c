/* fuzz_capture: the capture engine (agent/capture.c) and its frame parser (agent/rtpparse.c)
 * on arbitrary captured records.
 *
 * Input: byte 0 picks the link type (index into the supported ones), then records, each
 * [length u16 little-endian][time step in ms, signed 8 bits][length bytes of frame]; a last
 * record shorter than its length takes what is left. Each frame goes to vr_rtpparse_frame()
 * (whose output is checked for consistency) and to an engine in fed mode with a tiny table
 * (8 streams, 50 ms idle), so eviction, idle closes, probation and record building all run.
 *
 *  - fuzz_capture (clang, -DVR_FUZZ=ON): libFuzzer;
 *  - fuzz_capture_replay (with replay.c, any compiler): feeds every seed file once.
 * Seeds: tests/fuzz/corpus/capture/, made from the committed test pcaps by
 * tests/fuzz/mkcorpus_capture.py. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "err.h"
#include "rtpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {
    VR_LINK_EN10MB, VR_LINK_LINUX_SLL, VR_LINK_SLL2, VR_LINK_RAW,  VR_LINK_RAW_FILE,
    VR_LINK_IPV4,   VR_LINK_IPV6,      VR_LINK_NULL, VR_LINK_LOOP, 147 /* unsupported */};

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Whatever the frames, a stream's record is one the collector's reader takes. */
static void on_record(void *arg, const struct vr_rec_ref *r)
{
    size_t *n = arg;
    json_t *j = vr_rec_ref_to_json(r);
    check(j != NULL);
    struct vr_rec_capture *back = malloc(sizeof(*back));
    struct vr_jerr eb = {0};
    check(back != NULL);
    if (vr_rec_capture_from_json(j, back, &eb) != 0) {
        char *line = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "the reader refuses a capture record: %s\n%s\n", eb.eb.msg,
                line != NULL ? line : "");
        abort();
    }
    check(back->packets == r->capture->packets && back->lost == r->capture->lost);
    check(r->capture->loss_pct <= 100.0);
    free(back);
    json_decref(j);
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_capture_config cfg;
    struct vr_capture *c = NULL;
    size_t records = 0;
    if (size < 1)
        return 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_streams = 8;
    cfg.idle_ns = 50000000u;
    cfg.on_record = on_record;
    cfg.arg = &records;
    cfg.clock_hz[96] = 90000;
    (void)vr_thresholds_by_name("client", &cfg.thresholds, NULL);
    if (vr_capture_new(&cfg, &c, NULL) != 0)
        return 0;
    int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
    size_t off = 1;
    uint64_t ts = 1790000000ull * 1000000000ull;
    while (off + 3 <= size) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        /* signed: captures on several CPUs step back a little now and then */
        ts += (uint64_t)((int64_t)(int8_t)data[off + 2] * 1000000);
        off += 3;
        if (len > size - off)
            len = size - off;
        /* an exact-size copy, so ASan sees any read past the frame */
        uint8_t *frame = malloc(len > 0 ? len : 1);
        check(frame != NULL);
        memcpy(frame, data + off, len);
        struct vr_rtp_frame f;
        int rc = vr_rtpparse_frame(link, frame, len, &f);
        check(rc == VR_ETRUNC || (rc >= 0 && rc < VR_RTPP_STATUS_COUNT));
        if (rc == VR_RTPP_OK) {
            check(f.ip_version == 4 || f.ip_version == 6);
            check(f.dscp < 64 && f.ecn < 4 && f.pt < 128);
            check(f.payload_len <= len);
        }
        vr_capture_feed(c, link, ts, frame, len);
        free(frame);
        off += len;
    }
    vr_capture_flush(c);
    struct vr_capture_counters n;
    vr_capture_counters(c, &n);
    check(n.streams_reported == records);
    vr_capture_free(c);
    return 0;
}
