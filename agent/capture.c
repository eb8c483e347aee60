#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "jfield.h"
#include "rec_capture.h"
#include "record.h"
#include "rtpparse.h"
#include "rtpstream.h"

#define NIL UINT32_MAX

/* 5-tuple + SSRC, padded to a multiple of 8 and zeroed so it hashes and compares as bytes. */
struct key {
    uint8_t src[16], dst[16];
    uint32_t ssrc;
    uint16_t sport, dport;
    uint8_t ipv;
    uint8_t pad[7];
};

enum list_id { L_FREE = 0, L_CAND = 1, L_CONF = 2 };

struct entry {
    struct key k;
    uint32_t hnext;      /* hash chain */
    uint32_t prev, next; /* the entry's list (free, candidates or confirmed), oldest first */
    uint8_t list;
    uint8_t channel_data; /* seen inside TURN ChannelData */
    struct vr_rtpstream st;
};

struct list {
    uint32_t head, tail;
};

struct vr_capture {
    struct vr_capture_config cfg;
    char *interface, *file, *filter, *agent, *site; /* owned copies */
    char source[128];
    char link[16];
    pcap_t *pcap;
    int linktype;

    struct entry *pool;
    uint32_t *buckets, bucket_mask;
    uint32_t *order; /* flush scratch, max_streams */
    struct list lists[3];
    uint64_t now_ns;
    uint64_t first_ts_ns;
    bool have_first;
    uint64_t id_base_ms;
    uint64_t rec_seq;
    struct vr_capture_counters n;

    /* live */
    uv_loop_t *loop;
    uv_poll_t poll;
    uv_timer_t timer;
    bool started, stopped;
    int closing;
    uint64_t live_start_ns;
    vr_capture_close_cb close_cb;
    void *close_arg;
};

/* ---- lists and table ------------------------------------------------------------------------ */

static void list_unlink(struct vr_capture *c, uint32_t i)
{
    struct entry *e = &c->pool[i];
    struct list *l = &c->lists[e->list];
    if (e->prev != NIL)
        c->pool[e->prev].next = e->next;
    else
        l->head = e->next;
    if (e->next != NIL)
        c->pool[e->next].prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NIL;
}

static void list_append(struct vr_capture *c, uint32_t i, enum list_id id)
{
    struct entry *e = &c->pool[i];
    struct list *l = &c->lists[id];
    e->list = (uint8_t)id;
    e->next = NIL;
    e->prev = l->tail;
    if (l->tail != NIL)
        c->pool[l->tail].next = i;
    else
        l->head = i;
    l->tail = i;
}

static uint32_t key_hash(const struct key *k)
{
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15), w;
    const uint8_t *p = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof(*k); i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t table_find(const struct vr_capture *c, const struct key *k, uint32_t h)
{
    for (uint32_t i = c->buckets[h & c->bucket_mask]; i != NIL; i = c->pool[i].hnext) {
        if (memcmp(&c->pool[i].k, k, sizeof(*k)) == 0)
            return i;
    }
    return NIL;
}

static void table_remove(struct vr_capture *c, uint32_t i)
{
    uint32_t *pp = &c->buckets[key_hash(&c->pool[i].k) & c->bucket_mask];
    while (*pp != NIL && *pp != i)
        pp = &c->pool[*pp].hnext;
    if (*pp == i)
        *pp = c->pool[i].hnext;
    list_unlink(c, i);
    c->pool[i].hnext = NIL;
    list_append(c, i, L_FREE);
}

/* ---- records -------------------------------------------------------------------------------- */

static void fmt_endpoint(const uint8_t *addr, uint8_t ipv, uint16_t port, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (ipv == 6) {
        inet_ntop(AF_INET6, addr, a, sizeof(a));
        snprintf(buf, len, "[%s]:%u", a, port);
    } else {
        inet_ntop(AF_INET, addr, a, sizeof(a));
        snprintf(buf, len, "%s:%u", a, port);
    }
}

/* Rounds for the record: figures are estimates, 6 significant digits say enough. */
_Static_assert(VR_RECORD_REASON_LEN <= VR_REC_REASON_LEN, "capture reasons fit the record");

static double round6(double v)
{
    return round(v * 1e6) / 1e6;
}

/* The stream's capture record, through its one writer (rec_capture.h). */
/* The stream's capture record (rec_capture.h): caller frees; NULL when out of memory. */
static struct vr_rec_capture *make_record(struct vr_capture *c, const struct entry *e)
{
    struct vr_rtpstream_result r;
    char reasons[VR_RECORD_MAX_REASONS][VR_RECORD_REASON_LEN];
    size_t n_reasons = 0;
    double mos = 0;
    vr_rtpstream_result(&e->st, &r);
    enum vr_level lvl = vr_rtpstream_judge(&r, e->st.pt, &c->cfg.thresholds, &mos, reasons,
                                           VR_RECORD_MAX_REASONS, &n_reasons);
    struct vr_rec_capture *o = malloc(sizeof(*o));
    if (o == NULL)
        return NULL;
    vr_rec_capture_clear(o);
    char id[96];
    snprintf(id, sizeof(id), "%.32s-cap%" PRIu64 "-%" PRIu64,
             c->agent[0] != '\0' ? c->agent : "local", c->id_base_ms, ++c->rec_seq);
    snprintf(o->id, sizeof(o->id), "%.63s", id);
    snprintf(o->agent, sizeof(o->agent), "%s", c->agent);
    snprintf(o->site, sizeof(o->site), "%s", c->site);
    snprintf(o->source, sizeof(o->source), "%s", c->source);
    o->link = vr_jfield_name_index(vr_rec_link_names, c->link);
    if (o->link < 0)
        o->link = vr_jfield_name_index(vr_rec_link_names, "other");
    o->start_wall_ns = e->st.first_ns;
    o->duration_s = round6(fmin(r.duration_s, VR_REC_MAX_DUR_S));
    fmt_endpoint(e->k.src, e->k.ipv, e->k.sport, o->src, sizeof(o->src));
    fmt_endpoint(e->k.dst, e->k.ipv, e->k.dport, o->dst, sizeof(o->dst));
    snprintf(o->ssrc, sizeof(o->ssrc), "0x%08" PRIx32, e->k.ssrc);
    o->payload_type = e->st.pt;
    o->clock_hz = r.clock_hz;
    /* where the clock came from (payload type / option, timestamps, default) */
    o->clock_source = vr_jfield_name_index(vr_rec_clock_source_names,
                                           r.clock_source == VR_CLOCK_INFERRED  ? "inferred"
                                           : r.clock_source == VR_CLOCK_DEFAULT ? "default"
                                                                                : "given");
    o->cls = vr_jfield_name_index(vr_rec_capture_class_names,
                                  vr_rtp_class(r.dscp_top, e->k.sport, e->k.dport));
    if (o->cls < 0)
        o->cls = vr_jfield_name_index(vr_rec_capture_class_names, "unknown");
    o->packets = r.packets;
    o->expected = (int64_t)r.expected;
    o->lost = r.lost;
    o->loss_pct = round6(r.loss_pct);
    o->duplicates = (int64_t)r.duplicates;
    o->reorder_pct = round6(r.reorder_pct);
    o->jitter_ms = round6(fmin(r.jitter_ms, VR_REC_MAX_MS));
    o->jitter_max_ms = round6(fmin(r.jitter_max_ms, VR_REC_MAX_MS));
    o->max_delta_ms = round6(fmin(r.max_delta_ms, VR_REC_MAX_MS));
    o->has_dscp = true;
    for (int i = 0; i < 64; i++)
        o->dscp[i] = e->st.dscp[i];
    o->mos = round(mos * 100.0) / 100.0;
    o->verdict = lvl;
    o->n_reasons = n_reasons < VR_REC_MAX_REASONS ? n_reasons : VR_REC_MAX_REASONS;
    for (size_t i = 0; i < o->n_reasons; i++)
        memcpy(o->reasons[i], reasons[i], VR_RECORD_REASON_LEN); /* < VR_REC_REASON_LEN */
    o->turn_channel_data = e->channel_data;                      /* relayed through TURN */
    return o;
}

static void emit(struct vr_capture *c, uint32_t i)
{
    struct entry *e = &c->pool[i];
    if (e->list == L_CONF) {
        struct vr_rec_capture *rec = make_record(c, e);
        c->n.rtp_packets += e->st.packets;
        if (rec != NULL) {
            c->n.streams_reported++;
            if (c->cfg.on_record != NULL)
                c->cfg.on_record(c->cfg.arg,
                                 &(struct vr_rec_ref){.kind = VR_REC_KIND_CAPTURE, .capture = rec});
            free(rec);
        }
    }
    table_remove(c, i);
}

/* Streams without a packet for idle_ns of capture time are over: report and forget them. */
static void sweep_idle(struct vr_capture *c, uint64_t now)
{
    for (int l = L_CAND; l <= L_CONF; l++) {
        uint32_t i;
        while ((i = c->lists[l].head) != NIL && c->pool[i].st.last_ns + c->cfg.idle_ns <= now)
            emit(c, i);
    }
}

static int cmp_first(const void *a, const void *b, void *arg)
{
    const struct vr_capture *c = arg;
    const struct entry *x = &c->pool[*(const uint32_t *)a], *y = &c->pool[*(const uint32_t *)b];
    if (x->st.first_ns != y->st.first_ns)
        return x->st.first_ns < y->st.first_ns ? -1 : 1;
    return memcmp(&x->k, &y->k, sizeof(x->k));
}

void vr_capture_flush(struct vr_capture *c)
{
    size_t n = 0;
    for (uint32_t i = c->lists[L_CONF].head; i != NIL; i = c->pool[i].next)
        c->order[n++] = i;
    qsort_r(c->order, n, sizeof(c->order[0]), cmp_first, c);
    for (size_t k = 0; k < n; k++)
        emit(c, c->order[k]);
    uint32_t i;
    while ((i = c->lists[L_CAND].head) != NIL)
        table_remove(c, i);
}

/* ---- packets -------------------------------------------------------------------------------- */

static uint32_t clock_for(const struct vr_capture *c, uint8_t pt)
{
    if (pt < 128 && c->cfg.clock_hz[pt] != 0)
        return c->cfg.clock_hz[pt];
    return vr_rtp_static_clock_hz(pt); /* 0: unknown, rtpstream infers it */
}

void vr_capture_feed(struct vr_capture *c, int linktype, uint64_t ts, const uint8_t *frame,
                     size_t caplen)
{
    struct vr_rtp_frame f;
    c->n.frames++;
    if (!c->have_first) {
        c->have_first = true;
        c->first_ts_ns = ts;
    }
    /* Idle time only moves forward. Statistics keep each packet's own timestamp: captures on
     * several CPUs interleave packets whose timestamps step back by microseconds, and clamping
     * them would invent jitter. */
    if (ts > c->now_ns) {
        c->now_ns = ts;
        sweep_idle(c, ts);
    }
    int rc = vr_rtpparse_frame(linktype, frame, caplen, &f);
    if (rc == VR_ETRUNC) {
        c->n.truncated++;
        return;
    }
    if (rc < 0 || rc >= VR_RTPP_STATUS_COUNT) {
        c->n.by_status[VR_RTPP_NOT_RTP]++;
        return;
    }
    c->n.by_status[rc]++;
    if (rc != VR_RTPP_OK)
        return;

    struct key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, f.src, 16);
    memcpy(k.dst, f.dst, 16);
    k.ssrc = f.ssrc;
    k.sport = f.sport;
    k.dport = f.dport;
    k.ipv = f.ip_version;
    uint32_t h = key_hash(&k);
    uint32_t i = table_find(c, &k, h);
    if (i == NIL) {
        i = c->lists[L_FREE].head;
        if (i == NIL) {
            /* Full: a flow still on probation is more likely noise than the real streams. */
            i = c->lists[L_CAND].head;
            if (i == NIL) {
                c->n.table_full_drops++;
                return;
            }
            c->n.candidates_evicted++;
            table_remove(c, i);
        }
        list_unlink(c, i);
        struct entry *e = &c->pool[i];
        e->k = k;
        e->hnext = c->buckets[h & c->bucket_mask];
        c->buckets[h & c->bucket_mask] = i;
        e->channel_data = 0;
        vr_rtpstream_init(&e->st, f.pt, clock_for(c, f.pt));
        list_append(c, i, L_CAND);
    } else {
        /* most recently seen last: idle sweeps read from the head */
        enum list_id l = (enum list_id)c->pool[i].list;
        if (c->lists[l].tail != i) {
            list_unlink(c, i);
            list_append(c, i, l);
        }
    }
    struct entry *e = &c->pool[i];
    (void)vr_rtpstream_add(&e->st, ts, f.seq, f.ts, f.dscp);
    if (f.channel_data)
        e->channel_data = 1;
    if (e->list == L_CAND && vr_rtpstream_confirmed(&e->st)) {
        list_unlink(c, i);
        list_append(c, i, L_CONF);
    }
}

void vr_capture_counters(const struct vr_capture *c, struct vr_capture_counters *out)
{
    *out = c->n;
    /* packets of streams still open count too */
    for (uint32_t i = c->lists[L_CONF].head; i != NIL; i = c->pool[i].next)
        out->rtp_packets += c->pool[i].st.packets;
}

/* ---- libpcap -------------------------------------------------------------------------------- */

static void on_pcap(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct vr_capture *c = (struct vr_capture *)user;
    /* nanosecond precision was asked for; tv_usec then holds nanoseconds */
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
    vr_capture_feed(c, c->linktype, ts, bytes, h->caplen);
}

static bool link_supported(int dlt)
{
    switch (dlt) {
    case VR_LINK_NULL:
    case VR_LINK_EN10MB:
    case VR_LINK_RAW:
    case VR_LINK_RAW_BSD:
    case VR_LINK_RAW_FILE:
    case VR_LINK_LOOP:
    case VR_LINK_LINUX_SLL:
    case VR_LINK_IPV4:
    case VR_LINK_IPV6:
    case VR_LINK_SLL2:
        return true;
    default:
        return false;
    }
}

/* "wifi" when the kernel knows the interface as wireless, "wired" when it has a device behind
 * it, "other" for loopback, veth, tunnels. */
static void link_kind(const char *ifname, char *out, size_t len)
{
    char path[160];
    struct stat sb;
    snprintf(out, len, "other");
    if (strchr(ifname, '/') != NULL || strcmp(ifname, "any") == 0)
        return;
    snprintf(path, sizeof(path), "/sys/class/net/%.64s/wireless", ifname);
    if (stat(path, &sb) == 0) {
        snprintf(out, len, "wifi");
        return;
    }
    snprintf(path, sizeof(path), "/sys/class/net/%.64s/phy80211", ifname);
    if (stat(path, &sb) == 0) {
        snprintf(out, len, "wifi");
        return;
    }
    snprintf(path, sizeof(path), "/sys/class/net/%.64s/device", ifname);
    if (stat(path, &sb) == 0)
        snprintf(out, len, "wired");
}

static int open_live(struct vr_capture *c, struct vr_errbuf *eb)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_create(c->interface, errbuf);
    if (c->pcap == NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "--interface %s: %s", c->interface, errbuf);
    (void)pcap_set_snaplen(c->pcap, VR_CAPTURE_SNAPLEN);
    (void)pcap_set_promisc(c->pcap, 1); /* a mirror port carries other hosts' calls */
    (void)pcap_set_timeout(c->pcap, 100);
    (void)pcap_set_buffer_size(c->pcap, 8 << 20);
    (void)pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(c->pcap);
    if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
        return vr_errbuf_set(eb, -EPERM,
                             "capture on %s needs CAP_NET_RAW: run as root, or grant it once with "
                             "'sudo setcap cap_net_raw,cap_net_admin+ep $(command -v "
                             "voiceready-agent)'",
                             c->interface);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
        return vr_errbuf_set(eb, -ENODEV, "--interface %s: no such interface (see 'ip link')",
                             c->interface);
    if (rc < 0)
        return vr_errbuf_set(eb, VR_EINVAL, "--interface %s: %s", c->interface,
                             pcap_geterr(c->pcap));
    if (pcap_get_tstamp_precision(c->pcap) != PCAP_TSTAMP_PRECISION_NANO)
        return vr_errbuf_set(eb, VR_EINVAL, "--interface %s: no nanosecond timestamps",
                             c->interface);
    snprintf(c->source, sizeof(c->source), "%s", c->interface);
    link_kind(c->interface, c->link, sizeof(c->link));
    return 0;
}

static int open_file(struct vr_capture *c, struct vr_errbuf *eb)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_open_offline_with_tstamp_precision(c->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (c->pcap == NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "--read %s: %s (expected a pcap or pcapng file)",
                             c->file, errbuf);
    const char *base = strrchr(c->file, '/');
    snprintf(c->source, sizeof(c->source), "%s", base != NULL ? base + 1 : c->file);
    return 0;
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

int vr_capture_new(const struct vr_capture_config *cfg, struct vr_capture **out,
                   struct vr_errbuf *eb)
{
    int rc;
    *out = NULL;
    struct vr_capture *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return vr_errbuf_set(eb, VR_ENOMEM, "out of memory");
    c->cfg = *cfg;
    if (c->cfg.max_streams == 0)
        c->cfg.max_streams = VR_CAPTURE_MAX_STREAMS_DEFAULT;
    if (c->cfg.idle_ns == 0)
        c->cfg.idle_ns = VR_CAPTURE_IDLE_DEFAULT_NS;
    if (c->cfg.max_streams > (1u << 24)) {
        rc = vr_errbuf_set(eb, VR_ERANGE, "--max-streams: at most 16777216");
        goto fail;
    }
    bool ok = true;
    c->interface = dup_or_null(cfg->interface, &ok);
    c->file = dup_or_null(cfg->file, &ok);
    c->filter = dup_or_null(cfg->filter, &ok);
    c->agent = dup_or_null(cfg->agent != NULL ? cfg->agent : "", &ok);
    c->site = dup_or_null(cfg->site != NULL ? cfg->site : "", &ok);
    c->cfg.interface = c->interface;
    c->cfg.file = c->file;
    c->cfg.filter = c->filter;
    c->cfg.agent = c->agent;
    c->cfg.site = c->site;
    snprintf(c->link, sizeof(c->link), "other");
    snprintf(c->source, sizeof(c->source), "fed");

    size_t n = c->cfg.max_streams;
    uint32_t nb = 64;
    while (nb < 2 * n)
        nb <<= 1;
    c->pool = calloc(n, sizeof(*c->pool));
    c->buckets = malloc(nb * sizeof(*c->buckets));
    c->order = malloc(n * sizeof(*c->order));
    if (!ok || c->pool == NULL || c->buckets == NULL || c->order == NULL) {
        rc = vr_errbuf_set(eb, VR_ENOMEM, "out of memory (--max-streams %zu)", n);
        goto fail;
    }
    c->bucket_mask = nb - 1;
    for (uint32_t b = 0; b < nb; b++)
        c->buckets[b] = NIL;
    for (int l = 0; l < 3; l++)
        c->lists[l].head = c->lists[l].tail = NIL;
    for (size_t i = 0; i < n; i++) {
        c->pool[i].hnext = NIL;
        list_append(c, (uint32_t)i, L_FREE);
    }
    c->id_base_ms = vr_clock_wall_ns() / 1000000u;

    if (c->interface != NULL)
        rc = open_live(c, eb);
    else if (c->file != NULL)
        rc = open_file(c, eb);
    else
        rc = 0;
    if (rc < 0)
        goto fail;
    if (c->pcap != NULL) {
        c->linktype = pcap_datalink(c->pcap);
        if (!link_supported(c->linktype)) {
            const char *name = pcap_datalink_val_to_name(c->linktype);
            rc = vr_errbuf_set(eb, VR_EINVAL,
                               "%s: link type %d (%s) is not supported; use Ethernet, Linux "
                               "cooked (SLL/SLL2), raw IP or BSD loopback captures",
                               c->source, c->linktype, name != NULL ? name : "unknown");
            goto fail;
        }
        if (c->filter != NULL && c->filter[0] != '\0') {
            struct bpf_program prog;
            if (pcap_compile(c->pcap, &prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
                rc = vr_errbuf_set(eb, VR_EINVAL, "--filter \"%.80s\": %s", c->filter,
                                   pcap_geterr(c->pcap));
                goto fail;
            }
            int frc = pcap_setfilter(c->pcap, &prog);
            pcap_freecode(&prog);
            if (frc != 0) {
                rc = vr_errbuf_set(eb, VR_EINVAL, "--filter \"%.80s\": %s", c->filter,
                                   pcap_geterr(c->pcap));
                goto fail;
            }
        }
    }
    *out = c;
    return 0;
fail:
    vr_capture_free(c);
    return rc;
}

void vr_capture_free(struct vr_capture *c)
{
    if (c == NULL)
        return;
    if (c->pcap != NULL)
        pcap_close(c->pcap);
    free(c->pool);
    free(c->buckets);
    free(c->order);
    free(c->interface);
    free(c->file);
    free(c->filter);
    free(c->agent);
    free(c->site);
    free(c);
}

int vr_capture_run_file(struct vr_capture *c, struct vr_errbuf *eb)
{
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc;
    if (c->pcap == NULL || c->file == NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "no file to read");
    while ((rc = pcap_next_ex(c->pcap, &h, &bytes)) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
        if (c->cfg.duration_ns != 0 && c->have_first && ts >= c->first_ts_ns &&
            ts - c->first_ts_ns >= c->cfg.duration_ns)
            break;
        vr_capture_feed(c, c->linktype, ts, bytes, h->caplen);
    }
    if (rc == PCAP_ERROR)
        return vr_errbuf_set(
            eb, VR_EINVAL, "--read %s: corrupt or truncated capture after %" PRIu64 " packets: %s",
            c->file, c->n.frames, pcap_geterr(c->pcap));
    vr_capture_flush(c);
    return 0;
}

/* ---- live ----------------------------------------------------------------------------------- */

/* Reads what the ring holds. Returns 0, or PCAP_ERROR (the interface went away, ...). */
static int drain(struct vr_capture *c)
{
    /* non-blocking: returns 0 when the ring is empty; bounded so the loop stays responsive */
    for (int i = 0; i < 64; i++) {
        int n = pcap_dispatch(c->pcap, 4096, on_pcap, (u_char *)c);
        if (n == PCAP_ERROR)
            return PCAP_ERROR;
        if (n <= 0)
            break;
    }
    return 0;
}

static void finish(struct vr_capture *c, int err, const char *msg);

static void fail_pcap(struct vr_capture *c)
{
    char msg[PCAP_ERRBUF_SIZE + 96];
    snprintf(msg, sizeof(msg), "capture on %.64s failed: %s", c->source, pcap_geterr(c->pcap));
    finish(c, VR_EINVAL, msg);
}

static void finish(struct vr_capture *c, int err, const char *msg)
{
    if (c->stopped)
        return;
    c->stopped = true;
    if (c->started) {
        uv_poll_stop(&c->poll);
        uv_timer_stop(&c->timer);
    }
    if (c->pcap != NULL && err == 0)
        (void)drain(c);
    struct pcap_stat ps;
    if (c->pcap != NULL && pcap_stats(c->pcap, &ps) == 0)
        c->n.kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
    vr_capture_flush(c);
    if (c->cfg.on_done != NULL)
        c->cfg.on_done(c->cfg.arg, err, msg);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct vr_capture *c = h->data;
    (void)events;
    if (status < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "capture on %.64s failed: %s", c->source, uv_strerror(status));
        finish(c, status, msg);
        return;
    }
    if (drain(c) != 0)
        fail_pcap(c);
}

static void on_timer(uv_timer_t *t)
{
    struct vr_capture *c = t->data;
    uint64_t now = vr_clock_wall_ns();
    if (drain(c) != 0) {
        fail_pcap(c);
        return;
    }
    if (now > c->now_ns)
        sweep_idle(c, now);
    if (c->cfg.duration_ns != 0 && now - c->live_start_ns >= c->cfg.duration_ns)
        finish(c, 0, NULL);
}

int vr_capture_start(struct vr_capture *c, uv_loop_t *loop, struct vr_errbuf *eb)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    if (c->pcap == NULL || c->interface == NULL)
        return vr_errbuf_set(eb, VR_EINVAL, "no interface to capture on");
    if (pcap_setnonblock(c->pcap, 1, errbuf) != 0)
        return vr_errbuf_set(eb, VR_EINVAL, "%s: %s", c->source, errbuf);
    int fd = pcap_get_selectable_fd(c->pcap);
    if (fd < 0)
        return vr_errbuf_set(eb, VR_EINVAL, "%s: no selectable descriptor", c->source);
    int rc = uv_poll_init(loop, &c->poll, fd);
    if (rc < 0)
        return vr_errbuf_set(eb, rc, "%s: %s", c->source, uv_strerror(rc));
    uv_timer_init(loop, &c->timer);
    c->poll.data = c;
    c->timer.data = c;
    c->loop = loop;
    c->started = true;
    c->live_start_ns = vr_clock_wall_ns();
    rc = uv_poll_start(&c->poll, UV_READABLE, on_poll);
    if (rc == 0)
        rc = uv_timer_start(&c->timer, on_timer, 1000, 1000);
    if (rc < 0)
        return vr_errbuf_set(eb, rc, "%s: %s", c->source, uv_strerror(rc));
    return 0;
}

void vr_capture_stop(struct vr_capture *c)
{
    finish(c, 0, NULL);
}

static void on_closed(uv_handle_t *h)
{
    struct vr_capture *c = h->data;
    if (--c->closing == 0 && c->close_cb != NULL)
        c->close_cb(c, c->close_arg);
}

void vr_capture_close(struct vr_capture *c, vr_capture_close_cb cb, void *arg)
{
    c->close_cb = cb;
    c->close_arg = arg;
    if (!c->started) {
        if (cb != NULL)
            cb(c, arg);
        return;
    }
    c->closing = 2;
    uv_close((uv_handle_t *)&c->poll, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
}
