/* cmd_trace: `voiceready-agent trace HOST[:PORT]`: options, and the table or JSON record of a
 * trace (the engine is trace.c). Exit status: 0 the mark reached the reflector unchanged, 1 it
 * was rewritten (the segment is named), 2 usage or runtime error, or the path ended before the
 * reflector with no rewrite seen on the way. */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "commands.h"
#include "err.h"
#include "parse.h"
#include "profile.h"
#include "report.h"
#include "sock.h"
#include "trace.h"

#define TRACE_DEFAULT_PORT 5004

struct trace_opts {
    struct vr_trace_config cfg;
    char target[160]; /* host:port as the user named it, default port filled in */
    bool json;
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s trace HOST[:PORT] [options]\n\n"
            "Finds the hop where a DSCP mark is rewritten. Sends probes of one class (same\n"
            "DSCP, size and UDP flow as `test`) with TTL 1, 2, 3 ... towards a reflector\n"
            "(voiceready-agent reflect, default port %d) and reads, from each router's ICMP\n"
            "time-exceeded quote, the DSCP as that hop received it. Needs CAP_NET_RAW.\n"
            "Exit status: 0 the mark reached the reflector, 1 it was rewritten, 2 usage or\n"
            "runtime error, or the reflector was not reached.\n\n"
            "  --class NAME       audio (EF, default), video (AF41), sharing (AF21),\n"
            "                     besteffort (CS0)\n"
            "  --max-hops N       highest TTL / hop limit to try (default 30, max %d)\n"
            "  --probes N         probes per hop (default 3, max %d)\n"
            "  --timeout D        wait for answers after the last probe (default 1s)\n"
            "  --interval D       gap between probes (default 20ms): routers rate-limit ICMP\n"
            "  --interface IF     capture on IF instead of \"any\" (old name: --device)\n"
            "  --teams-ports      send from the class's first Teams client port (audio 50000,\n"
            "                     video 50020, sharing 50040) to exercise port-based QoS\n"
            "  --json             one JSON record instead of the table\n",
            prog, TRACE_DEFAULT_PORT, VR_TRACE_MAX_HOPS, VR_TRACE_MAX_PROBES);
}

enum { OPT_PROBES = VR_CLIOPT_LONG_ONLY };

/* short letters: one meaning across every command (cliopt.h); -w for the wait as traceroute;
 * --device is the old name of --interface */
const struct option vr_cmd_trace_options[] = {{"class", required_argument, NULL, 'c'},
                                              {"max-hops", required_argument, NULL, 'm'},
                                              {"probes", required_argument, NULL, OPT_PROBES},
                                              {"timeout", required_argument, NULL, 'w'},
                                              {"interval", required_argument, NULL, 'i'},
                                              {"interface", required_argument, NULL, 'I'},
                                              {"device", required_argument, NULL, 'I'},
                                              {"teams-ports", no_argument, NULL, 't'},
                                              {"json", no_argument, NULL, 'j'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};

/* 0 parsed, 1 --help shown, -1 usage error (printed). */
static int parse_args(const char *prog, int argc, char **argv, struct trace_opts *o)
{
    struct vr_errbuf eb = {{0}};
    char shortopts[64];
    char host[128];
    uint16_t port;
    uint64_t v;
    int c;

    o->cfg.cls = VR_CLASS_AUDIO;
    o->cfg.max_hops = 30;
    o->cfg.probes = 3;
    o->cfg.timeout_ns = 1000000000u;
    o->cfg.interval_ns = 20000000u;
    optind = 1;
    (void)vr_cliopt_shortopts(vr_cmd_trace_options, "", shortopts, sizeof(shortopts));
    while ((c = getopt_long(argc, argv, shortopts, vr_cmd_trace_options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'c':
            if (vr_class_by_name(optarg, &o->cfg.cls) != 0)
                rc = vr_errbuf_set(&eb, VR_EINVAL,
                                   "--class \"%s\": expected audio, video, sharing or besteffort",
                                   optarg);
            break;
        case 'm':
            rc = vr_parse_u64(optarg, "--max-hops", 1, VR_TRACE_MAX_HOPS, &v, &eb);
            o->cfg.max_hops = (unsigned)v;
            break;
        case OPT_PROBES:
            rc = vr_parse_u64(optarg, "--probes", 1, VR_TRACE_MAX_PROBES, &v, &eb);
            o->cfg.probes = (unsigned)v;
            break;
        case 'w':
            rc = vr_parse_duration_ns(optarg, "--timeout", &o->cfg.timeout_ns, &eb);
            if (rc == 0 && (o->cfg.timeout_ns < 10000000u || o->cfg.timeout_ns > 30000000000u))
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--timeout \"%s\": from 10ms to 30s", optarg);
            break;
        case 'i':
            rc = vr_parse_duration_ns(optarg, "--interval", &o->cfg.interval_ns, &eb);
            if (rc == 0 && o->cfg.interval_ns > 1000000000u)
                rc = vr_errbuf_set(&eb, VR_EINVAL, "--interval \"%s\": from 0 to 1s", optarg);
            break;
        case 'I':
            o->cfg.device = optarg;
            break;
        case 't':
            o->cfg.teams_ports = true;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            usage(stdout, prog);
            vr_cliopt_print_short(stdout, vr_cmd_trace_options);
            return 1;
        default:
            return vr_cliopt_bad_option(prog, "trace", argv[optind - 1]);
        }
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", prog, eb.msg);
            return -1;
        }
    }
    if (vr_cliopt_one_target(prog, "trace", argc, optind) != 0)
        return -1;
    if (vr_parse_hostport(argv[optind], TRACE_DEFAULT_PORT, host, sizeof(host), &port, &eb) != 0 ||
        vr_sock_resolve(host, port, false, &o->cfg.dst, &o->cfg.dst_len, &eb) != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg);
        return -1;
    }
    snprintf(o->target, sizeof(o->target), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
             (unsigned)port);
    return 0;
}

static const char *dscp_label(int dscp, char *buf, size_t len)
{
    const char *name = dscp >= 0 ? vr_dscp_name((unsigned)dscp) : NULL;
    if (dscp < 0)
        snprintf(buf, len, "-");
    else if (name != NULL)
        snprintf(buf, len, "%s (%d)", name, dscp);
    else
        snprintf(buf, len, "DSCP %d", dscp);
    return buf;
}

static const char *dscp_short(int dscp, char *buf, size_t len)
{
    const char *name = vr_dscp_name((unsigned)dscp);
    if (name != NULL)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "DSCP %d", dscp);
    return buf;
}

static const char *family_name(int family)
{
    return family == AF_INET6 ? "ipv6" : "ipv4";
}

/* "between hop 2 (10.0.12.2) and hop 3 (10.0.23.3)"; hop 0 is this host. */
static void segment_text(const struct vr_trace_rewrite *rw, char *buf, size_t len)
{
    char from[80];
    if (rw->from_hop == 0)
        snprintf(from, sizeof(from), "this host (%s)", rw->from_addr);
    else
        snprintf(from, sizeof(from), "hop %u (%s)", rw->from_hop, rw->from_addr);
    snprintf(buf, len, "between %s and hop %u (%s)", from, rw->to_hop, rw->to_addr);
}

static void print_table(const struct trace_opts *o, const struct vr_trace_result *r)
{
    const struct vr_class_info *ci = vr_class_get(o->cfg.cls);
    char a[32], b[32], seg[200];

    printf("trace to %s (%s), class %s, sending %s, %u probes per hop\n", o->target,
           family_name(r->family), ci->name, dscp_label(r->dscp_sent, a, sizeof(a)), o->cfg.probes);
    printf("%4s  %-40s %10s  %s\n", "hop", "address", "rtt", "dscp");
    for (unsigned i = 0; i < r->n_hops; i++) {
        const struct vr_trace_hop *h = &r->hops[i];
        char rtt[VR_REPORT_MS_LEN], note[96] = "";
        if (h->replies == 0) {
            printf("%4u  %-40s %10s  %-10s silent\n", h->hop, "*", "*", "-");
            continue;
        }
        vr_report_ms(h->rtt_ms, 10, rtt, sizeof(rtt));
        if (h->reflector)
            snprintf(note, sizeof(note), "reflector");
        else if (h->target)
            snprintf(note, sizeof(note), "destination (ICMP type %u code %u: no reflector?)",
                     h->icmp_type, h->icmp_code);
        else if (h->unreachable)
            snprintf(note, sizeof(note), "unreachable (ICMP type %u code %u)", h->icmp_type,
                     h->icmp_code);
        if (h->replies < h->sent)
            snprintf(note + strlen(note), sizeof(note) - strlen(note), "%s%u of %u answered",
                     note[0] ? ", " : "", h->replies, h->sent);
        if (h->dscp_mixed)
            snprintf(note + strlen(note), sizeof(note) - strlen(note), "%smixed DSCP",
                     note[0] ? ", " : "");
        if (h->other_addr)
            snprintf(note + strlen(note), sizeof(note) - strlen(note), "%sseveral addresses",
                     note[0] ? ", " : "");
        if (note[0] != '\0')
            printf("%4u  %-40s %s  %-10s %s\n", h->hop, h->addr, rtt,
                   dscp_label(h->dscp, b, sizeof(b)), note);
        else
            printf("%4u  %-40s %s  %s\n", h->hop, h->addr, rtt, dscp_label(h->dscp, b, sizeof(b)));
    }
    if (r->rewrite.found) {
        segment_text(&r->rewrite, seg, sizeof(seg));
        printf("%s rewritten to %s %s\n", dscp_short(r->rewrite.dscp_from, a, sizeof(a)),
               dscp_short(r->rewrite.dscp_to, b, sizeof(b)), seg);
    } else if (r->reached) {
        const struct vr_trace_hop *h = &r->hops[r->n_hops - 1];
        printf("no rewrite: %s arrived unchanged at the %s (hop %u, %s)\n",
               dscp_short(r->dscp_sent, a, sizeof(a)), r->reflector ? "reflector" : "destination",
               h->hop, h->addr);
        if (!r->reflector)
            printf("(no reflector answered on port %u: the DSCP shown for the destination is the "
                   "one quoted in its ICMP error)\n",
                   (unsigned)r->dst_port);
    }
}

static json_t *nullable_str(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *to_json(const struct trace_opts *o, const struct vr_trace_result *r)
{
    json_t *j = json_object(), *hops = json_array(), *rw;

    json_object_set_new(j, "type", json_string("trace"));
    json_object_set_new(j, "schema", json_integer(1));
    json_object_set_new(j, "target", json_string(o->target));
    json_object_set_new(j, "address", json_string(r->dst_addr));
    json_object_set_new(j, "class", json_string(vr_class_get(o->cfg.cls)->name));
    json_object_set_new(j, "dscp_sent", json_integer(r->dscp_sent));
    json_object_set_new(j, "family", json_string(family_name(r->family)));
    for (unsigned i = 0; i < r->n_hops; i++) {
        const struct vr_trace_hop *h = &r->hops[i];
        const char *name = h->dscp >= 0 ? vr_dscp_name((unsigned)h->dscp) : NULL;
        json_t *jh = json_object();
        json_object_set_new(jh, "hop", json_integer(h->hop));
        json_object_set_new(jh, "address", nullable_str(h->replies ? h->addr : NULL));
        json_object_set_new(jh, "rtt_ms",
                            h->replies ? json_real(round(h->rtt_ms * 1e3) / 1e3) : json_null());
        json_object_set_new(jh, "dscp", h->dscp >= 0 ? json_integer(h->dscp) : json_null());
        json_object_set_new(jh, "dscp_name", nullable_str(name));
        json_object_set_new(jh, "sent", json_integer(h->sent));
        json_object_set_new(jh, "replies", json_integer(h->replies));
        json_object_set_new(jh, "reflector", json_boolean(h->reflector));
        json_array_append_new(hops, jh);
    }
    json_object_set_new(j, "hops", hops);
    if (r->rewrite.found) {
        rw = json_pack("{s:I,s:s,s:I,s:s,s:i,s:i}", "from_hop", (json_int_t)r->rewrite.from_hop,
                       "from_address", r->rewrite.from_addr, "to_hop",
                       (json_int_t)r->rewrite.to_hop, "to_address", r->rewrite.to_addr, "dscp_from",
                       r->rewrite.dscp_from, "dscp_to", r->rewrite.dscp_to);
        json_object_set_new(j, "rewrite", rw != NULL ? rw : json_null());
    } else {
        json_object_set_new(j, "rewrite", json_null());
    }
    json_object_set_new(j, "reached", json_boolean(r->reached));
    json_object_set_new(j, "reflector", json_boolean(r->reflector));
    return j;
}

int vr_cmd_trace(const char *prog, int argc, char **argv)
{
    struct trace_opts o;
    struct vr_trace_result *r;
    struct vr_errbuf eb = {{0}};
    int rc, status;

    memset(&o, 0, sizeof(o));
    rc = parse_args(prog, argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    rc = vr_trace_run(&o.cfg, r, &eb);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, eb.msg[0] ? eb.msg : vr_strerror(rc));
        free(r);
        return 2;
    }
    if (o.json) {
        json_t *j = to_json(&o, r);
        vr_report_jsonl(stdout, j);
        json_decref(j);
    } else {
        print_table(&o, r);
    }
    fflush(stdout);
    status = r->rewrite.found ? 1 : r->reached ? 0 : 2;
    if (status == 2)
        fprintf(stderr,
                "%s: trace: no answer from the reflector at %s within %u hops: is "
                "`voiceready-agent reflect` running there and UDP port %u open?\n",
                prog, o.target, o.cfg.max_hops, (unsigned)r->dst_port);
    free(r);
    return status;
}
