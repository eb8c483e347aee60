#include "session.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agg.h"
#include "clock.h"
#include "link.h"
#include "mos.h"
#include "probe.h"
#include "sock.h"
#include "stream.h"

#define RX_BATCH           16
#define TICK_MS            100
#define NO_REPLY_NS        (3 * UINT64_C(1000000000)) /* DESIGN §4: say so, do not hang */
#define QUERY_TRIES        3
#define QUERY_SPACING_NS   (200 * UINT64_C(1000000))
#define BURST_WINDOW_NS    (200 * UINT64_C(1000000)) /* burst loss: any 200 ms (REFERENCE §1) */
#define INTERRUPT_DRAIN_NS (1000 * UINT64_C(1000000))

enum phase {
    PHASE_RUNNING,  /* sender active */
    PHASE_DRAINING, /* sender done: waiting for replies in flight */
    PHASE_QUERYING, /* asking the reflector for its final counts */
    PHASE_DONE,
};

struct vr_session {
    uv_loop_t *loop;
    struct vr_session_config cfg;
    struct vr_session_hooks hooks;
    struct vr_timeline tl;
    struct vr_stream **streams;
    size_t n_streams;
    struct vr_sender *sender;
    uv_timer_t tick;
    size_t open_handles;
    enum phase phase;
    uint64_t phase_since_mono_ns;
    uint64_t end_mono_ns; /* when the last probe left (or the interrupt) */
    int query_tries;
    uint64_t last_query_mono_ns;
    uint64_t last_progress_mono_ns;
    bool interrupted;
    bool stopping; /* vr_session_stop: a planned end */
    bool refused;  /* ICMP port unreachable seen */
    bool local_synced;
    uint64_t host_id;
    uint32_t n_epochs;   /* epochs the timeline spans */
    uint32_t next_final; /* lowest epoch not yet finalised */
    uint64_t replies;
    char link[16], ifname[32];
    struct vr_wifi wifi;   /* latest nl80211 sample when link is "wifi" */
    uint64_t wifi_mono_ns; /* when it was taken, 0 = never */
    char id_base[40];      /* record ids: "<agent>-<start ms>" + class + epoch fit 64 bytes */
    struct vr_agg *pending[VR_CLASS_COUNT][VR_EPOCH_RING];
    struct vr_agg *summary[VR_CLASS_COUNT];
    double last_rtt_ms[VR_CLASS_COUNT];
    struct vr_verdict_acc *verdict;
    /* the findings of the record in hooks.on_record (vr_session_findings) */
    struct vr_finding findings[VR_SCORE_MAX_FINDINGS];
    size_t n_findings;
    struct vr_session_result res;
    /* receive batch */
    struct mmsghdr msgs[RX_BATCH];
    struct iovec iov[RX_BATCH];
    uint8_t bufs[RX_BATCH][VR_PROBE_MAX_LEN + 1];
    uint8_t cmsg[RX_BATCH][VR_SOCK_RX_CMSG_LEN];
};

static const struct vr_profile *stream_profile(const struct vr_session *s, enum vr_class c)
{
    return s->cfg.profile != NULL ? s->cfg.profile : vr_profile_find(vr_class_get(c)->profile);
}

static int bind_teams_port(struct vr_stream *st, uint16_t port, struct vr_errbuf *eb)
{
    int err = vr_sock_bind_port(st->fd, st->family, port);
    if (err != 0)
        return vr_errbuf_set(eb, err,
                             "--teams-ports: cannot bind source port %u: %s (is a Teams client or "
                             "another test running here?)",
                             (unsigned)port, vr_strerror(err));
    return 0;
}

static int open_stream(struct vr_session *s, struct vr_stream *st, uint32_t call_no,
                       struct vr_errbuf *eb)
{
    const struct vr_class_info *ci = vr_class_get(st->cls);
    struct vr_probe p = {0};
    int rc;

    st->fd = vr_sock_udp_open(s->cfg.dst.ss_family);
    if (st->fd < 0)
        return vr_errbuf_set(eb, st->fd, "cannot open a UDP socket: %s%s", vr_strerror(st->fd),
                             st->fd == -EMFILE ? " (too many calls for the open-file limit: "
                                                 "raise ulimit -n)"
                                               : "");
    st->family = s->cfg.dst.ss_family;
    rc = vr_sock_set_dscp(st->fd, st->family, st->dscp);
    if (rc != 0)
        return vr_errbuf_set(eb, rc, "cannot mark DSCP %u: %s", st->dscp, vr_strerror(rc));
    if (s->cfg.interface[0] != '\0') {
        rc = vr_sock_bind_interface(st->fd, st->family, s->cfg.interface);
        if (rc != 0)
            return vr_errbuf_set(eb, rc, "cannot send through interface %s: %s", s->cfg.interface,
                                 vr_strerror(rc));
    }
    if (s->cfg.teams_ports && ci->teams_port_lo != 0) {
        rc = bind_teams_port(st, (uint16_t)(ci->teams_port_lo + call_no), eb);
        if (rc != 0)
            return rc;
    }
    if (connect(st->fd, (const struct sockaddr *)&s->cfg.dst, s->cfg.dst_len) != 0) {
        rc = -errno;
        return vr_errbuf_set(eb, rc, "cannot reach %s: %s", s->cfg.target, vr_strerror(rc));
    }
    st->txbuf = malloc(st->prof->payload_len);
    if (st->txbuf == NULL)
        return VR_ENOMEM;
    p.rtp_pt = st->prof->rtp_pt;
    p.ssrc = st->ssrc;
    p.kind = VR_PROBE_REQUEST;
    p.reply_dscp = st->dscp;
    rc = vr_probe_encode(&p, st->txbuf, st->prof->payload_len);
    if (rc < 0)
        return vr_errbuf_set(eb, rc, "profile %s: bad packet size", st->prof->name);
    vr_jitter_init(&st->jit_fwd);
    vr_jitter_init(&st->jit_rev);
    vr_reorder_init(&st->reorder);
    /* window: two intervals plus the late timeout, so nothing unfinalised is ever forgotten */
    uint64_t span_ns = 2 * s->cfg.interval_ns + s->cfg.late_ns + 1000000000u;
    rc = vr_seqwin_init(&st->win, (uint32_t)(span_ns / st->prof->period_ns) + 64, 0);
    return rc;
}

int vr_session_init(uv_loop_t *loop, const struct vr_session_config *cfg,
                    const struct vr_session_hooks *hooks, struct vr_session **out,
                    struct vr_errbuf *eb)
{
    struct vr_session *s = calloc(1, sizeof(*s));
    size_t n_streams = 0, k = 0;
    int rc;

    *out = s;
    if (s == NULL)
        return VR_ENOMEM;
    s->loop = loop;
    s->cfg = *cfg;
    s->hooks = *hooks;
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        if (!((cfg->class_mask >> c) & 1u))
            continue;
        if (s->cfg.class_calls[c] == 0)
            s->cfg.class_calls[c] = cfg->calls;
        if (s->cfg.class_calls[c] == 0)
            return vr_errbuf_set(eb, VR_EINVAL, "class %s has no calls",
                                 vr_class_get((enum vr_class)c)->name);
        if (cfg->teams_ports && s->cfg.class_calls[c] > 20)
            return vr_errbuf_set(eb, VR_EINVAL,
                                 "--teams-ports gives each modality 20 source ports (50000-50059), "
                                 "so at most 20 calls; use fewer --calls or drop --teams-ports");
        n_streams += s->cfg.class_calls[c];
    }
    s->n_streams = n_streams;
    vr_sock_raise_nofile(s->n_streams + 64);
    s->streams = calloc(s->n_streams, sizeof(*s->streams));
    s->verdict = vr_verdict_acc_new();
    if (s->streams == NULL || s->verdict == NULL)
        return VR_ENOMEM;
    s->tl.period_ns = 0;
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        if (!((cfg->class_mask >> c) & 1u))
            continue;
        const struct vr_profile *prof = stream_profile(s, (enum vr_class)c);
        if (s->tl.period_ns != 0 && prof->period_ns != s->tl.period_ns)
            return vr_errbuf_set(eb, VR_EINVAL, "profiles with different pacing in one run");
        s->tl.period_ns = prof->period_ns;
        s->summary[c] = malloc(sizeof(struct vr_agg));
        if (s->summary[c] == NULL)
            return VR_ENOMEM;
        vr_agg_init(s->summary[c]);
        s->last_rtt_ms[c] = -1;
        for (uint32_t i = 0; i < s->cfg.class_calls[c]; i++) {
            struct vr_stream *st = calloc(1, sizeof(*st));
            if (st == NULL)
                return VR_ENOMEM;
            s->streams[k++] = st;
            st->owner = s;
            st->fd = -1;
            st->cls = (enum vr_class)c;
            st->dscp = vr_class_get(st->cls)->dscp;
            st->prof = prof;
            if (getrandom(&st->ssrc, sizeof(st->ssrc), 0) != sizeof(st->ssrc))
                st->ssrc = (uint32_t)(vr_clock_wall_ns() ^ (k * 2654435761u));
            rc = open_stream(s, st, i, eb);
            if (rc != 0)
                return rc;
        }
    }
    vr_sock_egress(s->streams[0]->fd, s->ifname, sizeof(s->ifname), s->link, sizeof(s->link));
    s->host_id = vr_clock_host_id();
    return 0;
}

/* ---- receive path ---- */

static struct vr_agg *pending_agg(struct vr_session *s, enum vr_class c, uint32_t e)
{
    struct vr_agg **slot = &s->pending[c][e % VR_EPOCH_RING];
    if (*slot == NULL) {
        *slot = malloc(sizeof(**slot));
        if (*slot != NULL)
            vr_agg_init(*slot);
    }
    return *slot;
}

static void note_fwd_count(struct vr_session *s, struct vr_stream *st, uint32_t e, uint32_t n)
{
    /* only epochs still open and within the ring can be updated */
    if ((int32_t)(e - s->next_final) < 0 || e - s->next_final >= VR_EPOCH_RING)
        return;
    if (n > st->fwd_rx[e % VR_EPOCH_RING])
        st->fwd_rx[e % VR_EPOCH_RING] = n;
}

static void handle_reply(struct vr_session *s, struct vr_stream *st, const struct vr_probe *p,
                         const struct vr_rxmeta *m)
{
    uint32_t seq = p->sender_seq, e;
    uint32_t sent = atomic_load_explicit(&st->sent, memory_order_acquire);
    uint64_t t4 = m->has_ts ? m->rx_wall_ns : vr_clock_wall_ns();
    struct vr_sample smp = {0};
    struct vr_agg *agg;

    if (p->kind == VR_PROBE_COUNT_ANSWER) {
        note_fwd_count(s, st, p->epoch, p->refl_epoch_rx);
        if (p->epoch > 0)
            note_fwd_count(s, st, p->epoch - 1, p->refl_prev_rx);
        st->count_answered = true;
        return;
    }
    if (p->kind != VR_PROBE_REPLY || seq >= sent || p->epoch != vr_stream_epoch(st, &s->tl, seq)) {
        s->res.bogus++;
        return;
    }
    e = p->epoch;
    note_fwd_count(s, st, e, p->refl_epoch_rx);
    if (e > 0)
        note_fwd_count(s, st, e - 1, p->refl_prev_rx);
    if ((int32_t)(e - s->next_final) < 0) {
        s->res.late_after_final++;
        return;
    }
    if (e - s->next_final >= VR_EPOCH_RING) {
        s->res.bogus++;
        return;
    }
    if (t4 < p->t1_ns || t4 - p->t1_ns > s->cfg.late_ns) {
        st->late[e % VR_EPOCH_RING]++;
        return;
    }
    switch (vr_seqwin_mark(&st->win, seq)) {
    case VR_SEQ_NEW:
        break;
    case VR_SEQ_DUP:
        st->dups[e % VR_EPOCH_RING]++;
        return;
    case VR_SEQ_TOO_OLD:
        s->res.late_after_final++;
        return;
    case VR_SEQ_TOO_NEW:
        s->res.bogus++;
        return;
    }
    st->replies++;
    s->replies++;
    if (vr_reorder_update(&st->reorder, seq))
        st->reordered[e % VR_EPOCH_RING]++;

    smp.rtt_ns = (int64_t)(t4 - p->t1_ns) - (int64_t)(p->t3_ns - p->t2_ns);
    smp.owd_fwd_ns = (int64_t)(p->t2_ns - p->t1_ns);
    smp.owd_rev_ns = (int64_t)(t4 - p->t3_ns);
    /* one kernel clock on both ends (same boot id, e.g. network namespaces) is exact; else
     * both ends must say an NTP/PTP daemon disciplines them */
    smp.clock_synced = (p->refl_host != 0 && p->refl_host == s->host_id) ||
                       (s->local_synced && (p->flags & VR_PROBE_F_SYNCED));
    /* RFC 3550: J on each direction's transit times; the clock offset cancels */
    smp.jitter_fwd_ns = vr_jitter_update(&st->jit_fwd, smp.owd_fwd_ns);
    smp.jitter_rev_ns = vr_jitter_update(&st->jit_rev, smp.owd_rev_ns);
    if (st->have_last && seq == st->last_seq + 1) {
        smp.has_ipdv = true; /* RFC 3393: consecutive packets */
        smp.ipdv_fwd_ns = smp.owd_fwd_ns - st->last_owd_fwd_ns;
        smp.ipdv_rev_ns = smp.owd_rev_ns - st->last_owd_rev_ns;
    }
    st->have_last = true;
    st->last_seq = seq;
    st->last_owd_fwd_ns = smp.owd_fwd_ns;
    st->last_owd_rev_ns = smp.owd_rev_ns;
    smp.tos_fwd_valid = (p->flags & VR_PROBE_F_TOS_VALID) != 0;
    smp.tos_fwd = p->rx_tos;
    smp.tos_rev_valid = m->tos >= 0;
    smp.tos_rev = (uint8_t)(m->tos >= 0 ? m->tos : 0);
    agg = pending_agg(s, st->cls, e);
    if (agg != NULL)
        vr_agg_add_sample(agg, &smp);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    struct vr_stream *st = h->data;
    struct vr_session *s = st->owner;
    (void)events;

    if (status < 0) {
        /* an ICMP error queued on the connected socket: read and clear it */
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED)
            s->refused = true;
        return;
    }
    for (;;) {
        for (int i = 0; i < RX_BATCH; i++) {
            s->iov[i].iov_base = s->bufs[i];
            s->iov[i].iov_len = sizeof(s->bufs[i]);
            memset(&s->msgs[i].msg_hdr, 0, sizeof(s->msgs[i].msg_hdr));
            s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
            s->msgs[i].msg_hdr.msg_iovlen = 1;
            s->msgs[i].msg_hdr.msg_control = s->cmsg[i];
            s->msgs[i].msg_hdr.msg_controllen = sizeof(s->cmsg[i]);
        }
        int n = recvmmsg(st->fd, s->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == ECONNREFUSED)
                s->refused = true; /* ICMP port unreachable: nobody listens there */
            return;
        }
        for (int i = 0; i < n; i++) {
            struct vr_probe p;
            struct vr_rxmeta m;
            size_t len = s->msgs[i].msg_len;
            if (len > VR_PROBE_MAX_LEN || vr_probe_decode(s->bufs[i], len, &p) != 0 ||
                p.ssrc != st->ssrc) {
                s->res.bogus++;
                continue;
            }
            vr_sock_rxmeta(&s->msgs[i].msg_hdr, &m);
            handle_reply(s, st, &p, &m);
        }
        if (n < RX_BATCH)
            return;
    }
}

/* ---- interval finalisation ---- */

static uint32_t clamp_sent(uint32_t v, uint32_t sent)
{
    return v < sent ? v : sent;
}

static void add_stream_counts(struct vr_session *s, struct vr_stream *st, uint32_t e,
                              struct vr_agg *agg)
{
    uint32_t slot = e % VR_EPOCH_RING;
    uint32_t sent_total = atomic_load_explicit(&st->sent, memory_order_acquire);
    uint32_t lo = clamp_sent(vr_stream_first_seq(st, &s->tl, e), sent_total);
    uint32_t hi = clamp_sent(vr_stream_first_seq(st, &s->tl, e + 1), sent_total);
    uint32_t span = (uint32_t)(BURST_WINDOW_NS / s->tl.period_ns);
    uint32_t got = vr_seqwin_count(&st->win, lo, hi);
    uint32_t fwd = st->fwd_rx[slot];

    if (hi > lo) {
        uint32_t burst = vr_seqwin_burst_max(&st->win, lo, hi, span);
        uint32_t denom = hi - lo < span ? hi - lo : span;
        double pct = 100.0 * burst / denom;
        if (pct > agg->burst_loss_max_pct)
            agg->burst_loss_max_pct = pct;
    }
    /* the reflector's count is at least what came back and at most what was sent */
    if (fwd < got)
        fwd = got;
    if (fwd > hi - lo)
        fwd = hi - lo;
    agg->sent += hi - lo;
    agg->received += got;
    agg->fwd_received += fwd;
    agg->duplicates += st->dups[slot];
    agg->late += st->late[slot];
    agg->reordered += st->reordered[slot];
    agg->send_overruns += atomic_exchange_explicit(&st->overruns[slot], 0, memory_order_relaxed);
    st->fwd_rx[slot] = st->dups[slot] = st->late[slot] = st->reordered[slot] = 0;
    vr_seqwin_release(&st->win, hi);
}

static void fill_identity(struct vr_session *s, struct vr_record *r, enum vr_class c)
{
    const struct vr_class_info *ci = vr_class_get(c);
    snprintf(r->agent, sizeof(r->agent), "%s", s->cfg.agent);
    snprintf(r->site, sizeof(r->site), "%s", s->cfg.site);
    snprintf(r->target, sizeof(r->target), "%s", s->cfg.target);
    snprintf(r->link, sizeof(r->link), "%s", s->link);
    snprintf(r->interface, sizeof(r->interface), "%s", s->ifname);
    if (strcmp(s->link, "wifi") == 0) {
        /* one nl80211 sample (a few netlink round trips, well under a millisecond) per interval,
         * shared by the classes' records; failures leave the values unknown (null) */
        uint64_t now = vr_clock_mono_ns();
        if (s->wifi_mono_ns == 0 || now - s->wifi_mono_ns >= s->tl.interval_ns / 2) {
            (void)vr_link_wifi_query(s->ifname, &s->wifi, NULL);
            s->wifi_mono_ns = now;
        }
        r->wifi = s->wifi;
    }
    snprintf(r->cls, sizeof(r->cls), "%s", ci->name);
    snprintf(r->profile, sizeof(r->profile), "%s", stream_profile(s, c)->name);
    r->dscp = ci->dscp;
    r->calls = s->cfg.class_calls[c];
}

static const struct vr_codec *class_codec(const struct vr_session *s, enum vr_class c)
{
    return vr_codec_find(stream_profile(s, c)->codec);
}

static void finalize_epoch(struct vr_session *s, uint32_t e)
{
    uint64_t start_ns = (uint64_t)e * s->tl.interval_ns;
    uint64_t end_ns = start_ns + s->tl.interval_ns;

    if (end_ns > s->tl.duration_ns)
        end_ns = s->tl.duration_ns;
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        struct vr_record rec = {0};
        struct vr_agg *agg;
        size_t nf;

        if (!((s->cfg.class_mask >> c) & 1u))
            continue;
        agg = pending_agg(s, (enum vr_class)c, e);
        if (agg == NULL)
            continue;
        for (size_t i = 0; i < s->n_streams; i++) {
            if (s->streams[i]->cls == (enum vr_class)c)
                add_stream_counts(s, s->streams[i], e, agg);
        }
        s->pending[c][e % VR_EPOCH_RING] = NULL;
        if (agg->sent > 0) {
            rec.type = VR_RECORD_INTERVAL;
            fill_identity(s, &rec, (enum vr_class)c);
            snprintf(rec.id, sizeof(rec.id), "%s-%s-%u", s->id_base, rec.cls, e);
            rec.start_wall_ns = s->tl.t0_wall_ns + start_ns;
            rec.duration_s = (double)(end_ns - start_ns) / 1e9;
            vr_agg_to_record(agg, class_codec(s, (enum vr_class)c), &rec);
            nf = vr_score_interval(&rec, &s->cfg.thr, s->findings, VR_SCORE_MAX_FINDINGS);
            vr_verdict_acc_add(s->verdict, &rec, s->findings, nf, 1.0);
            s->last_rtt_ms[c] = rec.rtt_ms.mean;
            s->n_findings = nf;
            if (s->hooks.on_record != NULL)
                s->hooks.on_record(
                    s->hooks.arg, &(struct vr_rec_ref){.kind = VR_REC_KIND_RECORD, .record = &rec});
            s->n_findings = 0;
            vr_agg_merge(s->summary[c], agg);
        }
        free(agg);
    }
    s->next_final = e + 1;
}

/* An epoch is complete when every stream has sent all its probes of it and got every reply. */
static bool epoch_complete(struct vr_session *s, uint32_t e)
{
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        uint32_t sent = atomic_load_explicit(&st->sent, memory_order_acquire);
        uint32_t lo = vr_stream_first_seq(st, &s->tl, e);
        uint32_t hi = vr_stream_first_seq(st, &s->tl, e + 1);
        if (s->phase == PHASE_RUNNING && sent < hi)
            return false;
        hi = clamp_sent(hi, sent);
        lo = clamp_sent(lo, sent);
        if (vr_seqwin_count(&st->win, lo, hi) != hi - lo)
            return false;
    }
    return true;
}

static void finalize_due(struct vr_session *s, uint64_t now)
{
    while (s->next_final < s->n_epochs) {
        uint32_t e = s->next_final;
        uint64_t end = (uint64_t)(e + 1) * s->tl.interval_ns;
        if (end > s->tl.duration_ns)
            end = s->tl.duration_ns;
        bool due = now >= s->tl.t0_mono_ns + end + s->cfg.late_ns;
        /* the last epochs wait for the reflector's final counts (PHASE_QUERYING) */
        if (s->phase != PHASE_DONE && e + 2 >= s->n_epochs && s->phase != PHASE_RUNNING)
            due = false;
        if (!due && !(now >= s->tl.t0_mono_ns + end && epoch_complete(s, e)))
            break;
        finalize_epoch(s, e);
    }
}

/* ---- run control ---- */

static void on_closed(uv_handle_t *h)
{
    struct vr_session *s = h->data;
    if (--s->open_handles == 0 && s->hooks.on_done != NULL)
        s->hooks.on_done(s->hooks.arg, &s->res);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct vr_stream *st = h->data;
    struct vr_session *s = st->owner;
    if (--s->open_handles == 0 && s->hooks.on_done != NULL)
        s->hooks.on_done(s->hooks.arg, &s->res);
}

static void close_all(struct vr_session *s)
{
    s->open_handles = 1;
    for (size_t i = 0; i < s->n_streams; i++) {
        if (s->streams[i]->poll.data != NULL)
            s->open_handles++;
    }
    uv_close((uv_handle_t *)&s->tick, on_closed);
    for (size_t i = 0; i < s->n_streams; i++) {
        if (s->streams[i]->poll.data != NULL)
            uv_close((uv_handle_t *)&s->streams[i]->poll, on_poll_closed);
    }
}

static void fail(struct vr_session *s, int err, const char *msg)
{
    s->res.error = err;
    snprintf(s->res.errmsg, sizeof(s->res.errmsg), "%s", msg);
    if (s->sender != NULL) {
        vr_sender_stop(s->sender);
        vr_sender_join(s->sender, &s->res.sender);
        s->sender = NULL;
    }
    s->phase = PHASE_DONE;
    close_all(s);
}

static void finish(struct vr_session *s)
{
    uint64_t now = vr_clock_mono_ns();
    uint64_t run_ns = s->end_mono_ns > s->tl.t0_mono_ns ? s->end_mono_ns - s->tl.t0_mono_ns : 0;

    s->phase = PHASE_DONE;
    finalize_due(s, UINT64_MAX);
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        struct vr_record *r = &s->res.summaries[s->res.n_summaries];
        if (s->summary[c] == NULL)
            continue;
        memset(r, 0, sizeof(*r));
        r->type = VR_RECORD_SUMMARY;
        fill_identity(s, r, (enum vr_class)c);
        snprintf(r->id, sizeof(r->id), "%s-%s-summary", s->id_base, vr_class_get(c)->name);
        r->start_wall_ns = s->tl.t0_wall_ns;
        r->duration_s = (double)(run_ns < s->tl.duration_ns ? run_ns : s->tl.duration_ns) / 1e9;
        vr_agg_to_record(s->summary[c], class_codec(s, (enum vr_class)c), r);
        s->n_findings = vr_score_interval(r, &s->cfg.thr, s->findings, VR_SCORE_MAX_FINDINGS);
        s->res.n_summaries++;
        if (s->hooks.on_record != NULL)
            s->hooks.on_record(s->hooks.arg,
                               &(struct vr_rec_ref){.kind = VR_REC_KIND_RECORD, .record = r});
        s->n_findings = 0;
    }
    vr_verdict_acc_result(s->verdict, &s->res.verdict);
    s->res.interrupted = s->interrupted;
    (void)now;
    close_all(s);
}

static void send_count_queries(struct vr_session *s)
{
    uint8_t buf[VR_PROBE_HDR_LEN];
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        uint32_t sent = atomic_load_explicit(&st->sent, memory_order_acquire);
        struct vr_probe p = {0};
        if (st->count_answered || sent == 0)
            continue;
        p.rtp_pt = st->prof->rtp_pt;
        p.ssrc = st->ssrc;
        p.kind = VR_PROBE_COUNT_QUERY;
        p.reply_dscp = st->dscp;
        p.epoch = vr_stream_epoch(st, &s->tl, sent - 1);
        p.sender_seq = sent;
        p.t1_ns = vr_clock_wall_ns();
        if (vr_probe_encode(&p, buf, sizeof(buf)) > 0)
            (void)send(st->fd, buf, sizeof(buf), MSG_DONTWAIT);
    }
}

static bool all_answered(const struct vr_session *s)
{
    for (size_t i = 0; i < s->n_streams; i++) {
        if (!s->streams[i]->count_answered &&
            atomic_load_explicit(&s->streams[i]->sent, memory_order_acquire) > 0)
            return false;
    }
    return true;
}

static bool all_replied(const struct vr_session *s)
{
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        if (st->replies < atomic_load_explicit(&st->sent, memory_order_acquire))
            return false;
    }
    return true;
}

static void report_progress(struct vr_session *s, uint64_t now)
{
    struct vr_session_progress p = {0};
    if (s->hooks.on_progress == NULL || now - s->last_progress_mono_ns < 1000000000u)
        return;
    s->last_progress_mono_ns = now;
    p.elapsed_s = (double)(now - s->tl.t0_mono_ns) / 1e9;
    p.total_s = (double)s->tl.duration_ns / 1e9;
    p.class_mask = s->cfg.class_mask;
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        p.sent[st->cls] += atomic_load_explicit(&st->sent, memory_order_relaxed);
        p.received[st->cls] += st->replies;
    }
    memcpy(p.last_rtt_ms, s->last_rtt_ms, sizeof(p.last_rtt_ms));
    s->hooks.on_progress(s->hooks.arg, &p);
}

static void on_tick(uv_timer_t *t)
{
    struct vr_session *s = t->data;
    uint64_t now = vr_clock_mono_ns();
    char msg[400];

    if (s->phase == PHASE_DONE)
        return;
    s->local_synced = vr_clock_synced();
    /* a refusal in the first half second may be a reflector still starting: give it time */
    bool refused = s->refused && now >= s->tl.t0_mono_ns + NO_REPLY_NS / 6;
    if (s->replies == 0 && !s->cfg.keep_going && now >= s->tl.t0_mono_ns &&
        (refused || now >= s->tl.t0_mono_ns + NO_REPLY_NS)) {
        if (refused)
            snprintf(msg, sizeof(msg),
                     "%s refused the probes (ICMP port unreachable): no reflector listens there; "
                     "start `voiceready-agent reflect` on that host or check the port",
                     s->cfg.target);
        else
            snprintf(msg, sizeof(msg),
                     "no reply from %s within 3 s: check that `voiceready-agent reflect` runs "
                     "there and that a firewall lets UDP through",
                     s->cfg.target);
        fail(s, VR_ETIMEDOUT, msg);
        return;
    }
    if (s->phase == PHASE_RUNNING && vr_sender_done(s->sender)) {
        vr_sender_join(s->sender, &s->res.sender);
        s->sender = NULL;
        s->end_mono_ns = now;
        if ((s->interrupted || s->stopping) && now > s->tl.t0_mono_ns &&
            now - s->tl.t0_mono_ns < s->tl.duration_ns) {
            s->tl.duration_ns = now - s->tl.t0_mono_ns; /* records show what was measured */
            s->n_epochs =
                (uint32_t)((s->tl.duration_ns + s->tl.interval_ns - 1) / s->tl.interval_ns);
        }
        s->phase = PHASE_DRAINING;
        s->phase_since_mono_ns = now;
    }
    finalize_due(s, now);
    if (s->phase == PHASE_DRAINING) {
        uint64_t wait = s->interrupted || s->stopping ? INTERRUPT_DRAIN_NS : s->cfg.late_ns;
        if (all_replied(s) || now >= s->phase_since_mono_ns + wait) {
            s->phase = PHASE_QUERYING;
            s->phase_since_mono_ns = now;
        }
    }
    if (s->phase == PHASE_QUERYING) {
        if (all_answered(s) || s->query_tries >= QUERY_TRIES) {
            if (now >= s->last_query_mono_ns + QUERY_SPACING_NS || all_answered(s))
                finish(s);
        } else if (now >= s->last_query_mono_ns + QUERY_SPACING_NS) {
            send_count_queries(s);
            s->query_tries++;
            s->last_query_mono_ns = now;
        }
        return;
    }
    report_progress(s, now);
}

int vr_session_start(struct vr_session *s, struct vr_errbuf *eb)
{
    uint64_t now_mono = vr_clock_mono_ns();
    int rc;

    uint64_t now_wall = vr_clock_wall_ns();
    uint64_t lead = 20000000u; /* so that the first deadlines are not already late */

    s->tl.interval_ns = s->cfg.interval_ns;
    /* continuous: ~146 years, the sender's u32 sequence numbers run out first (2.7 years at
     * 50 pps, then the run ends and the daemon starts a new one) */
    s->tl.duration_ns = s->cfg.continuous ? UINT64_C(1) << 62 : s->cfg.duration_ns;
    if (s->cfg.align_wall)
        lead = s->tl.interval_ns - (now_wall + lead) % s->tl.interval_ns + lead;
    s->tl.t0_mono_ns = now_mono + lead;
    s->tl.t0_wall_ns = now_wall + lead;
    uint64_t epochs = (s->tl.duration_ns + s->tl.interval_ns - 1) / s->tl.interval_ns;
    s->n_epochs = epochs > UINT32_MAX ? UINT32_MAX : (uint32_t)epochs;
    snprintf(s->id_base, sizeof(s->id_base), "%.16s-%.6s%llu", s->cfg.agent, s->cfg.tag,
             (unsigned long long)(s->tl.t0_wall_ns / 1000000u));
    s->local_synced = vr_clock_synced();
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        /* spread the streams evenly over one period: no self-made bursts */
        st->offset_ns = s->tl.period_ns * i / s->n_streams;
        uint64_t count =
            s->tl.duration_ns > st->offset_ns
                ? (s->tl.duration_ns - st->offset_ns + s->tl.period_ns - 1) / s->tl.period_ns
                : 0;
        st->count = count > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)count;
        rc = uv_poll_init(s->loop, &st->poll, st->fd);
        if (rc != 0)
            return vr_errbuf_set(eb, VR_EINVAL, "cannot watch a socket: %s", uv_strerror(rc));
        st->poll.data = st;
        uv_poll_start(&st->poll, UV_READABLE, on_readable);
    }
    uv_timer_init(s->loop, &s->tick);
    s->tick.data = s;
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    s->phase = PHASE_RUNNING;
    rc = vr_sender_start(s->streams, s->n_streams, &s->tl, &s->sender);
    if (rc != 0) {
        fail(s, rc, "cannot start the sender thread");
        return vr_errbuf_set(eb, rc, "cannot start the sender thread: %s", vr_strerror(rc));
    }
    return 0;
}

void vr_session_interrupt(struct vr_session *s)
{
    if (s->phase != PHASE_RUNNING)
        return;
    s->interrupted = true;
    if (s->sender != NULL)
        vr_sender_stop(s->sender);
}

void vr_session_stop(struct vr_session *s)
{
    if (s->phase != PHASE_RUNNING)
        return;
    s->stopping = true;
    if (s->sender != NULL)
        vr_sender_stop(s->sender);
}

void vr_session_free(struct vr_session *s)
{
    if (s == NULL)
        return;
    if (s->sender != NULL) {
        vr_sender_stop(s->sender);
        vr_sender_join(s->sender, NULL);
    }
    for (size_t i = 0; i < s->n_streams; i++) {
        struct vr_stream *st = s->streams[i];
        if (st == NULL)
            continue;
        if (st->fd >= 0)
            close(st->fd);
        vr_seqwin_free(&st->win);
        free(st->txbuf);
        free(st);
    }
    free(s->streams);
    for (int c = 0; c < VR_CLASS_COUNT; c++) {
        free(s->summary[c]);
        for (int e = 0; e < VR_EPOCH_RING; e++)
            free(s->pending[c][e]);
    }
    vr_verdict_acc_free(s->verdict);
    free(s);
}

size_t vr_session_findings(const struct vr_session *s, const struct vr_finding **out)
{
    *out = s->findings;
    return s->n_findings;
}
