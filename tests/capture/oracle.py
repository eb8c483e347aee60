#!/usr/bin/env python3
"""Lab oracle for `voiceready-agent capture` (issue 5): real `test` traffic, known injected loss,
tshark as the reference. Needs root (exit 77 without), tshark, tcpdump, nft.

  branch (10.77.x.1) ──veth── hq (10.77.x.2: reflector, tcpdump, live capture)

- branch's nftables output hook drops ~5 % of the probes (kind byte 1) it sends to hq, and
  counts them. Dropping at the sender's egress (not hq's input) matters: AF_PACKET in hq sees
  frames before hq's netfilter input hook, so a drop there would still be captured.
- hq records with tcpdump; the filter keeps probes (kind 1) and replies (kind 2) only: the
  count query/answer at the end carry RTP sequence 0, a jump both tools would treat
  differently (and that is not media).
- Two `test` runs at once: --profile g711 for all four classes x 2 calls (PT 0: tshark knows
  its clock and computes jitter), and audio+video with their Teams profiles from Teams ports
  (dynamic PTs 111/122: packets and loss only, tshark computes no jitter without SDP).
- At the same time `capture --interface` runs live in hq with the same filter.
- No --clock-rate: the dynamic types' clocks must be inferred (16 kHz audio, 90 kHz video).

Asserted:
0. Timestamps as captured: tcpdump on a veth interleaves packets of different streams whose
   timestamps step back by microseconds (several CPUs); they must not be clamped.
1. `capture --read` and tshark -z rtp,streams see the same streams (5-tuple + SSRC) with equal
   packets and lost (no duplicates on a veth, so tshark's expected - packets equals ours), and
   max jitter within 0.01 ms for static PTs: tshark prints 3 decimals and computes in double ms
   from the same µs timestamps; we use integer ns, so the two differ only by rounding.
2. Forward loss against the injected truth: the nft counter (a drop in the output hook fails
   the sender's send(), so its send_errors count them too and may add other failures), plus
   what the veth dropped for a full receive backlog (vb's TX
   dropped; a busy 2-core VM does that now and then, before hq's AF_PACKET sees the frame).
   Every such drop shows as a sequence gap except one before a stream's first or after its
   last captured packet, which no sequence analysis can see: lost_fwd <= truth <= lost_fwd +
   number of forward streams, and the loss percentage is within 0.3 points of truth / sent
   (DESIGN.md §7).
3. Replies echo the probe's RTP sequence: each reverse stream's loss equals its forward
   stream's (no reverse drop).
4. The live capture reports the same streams with the same packets and lost as the file.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsharkrtp  # noqa: E402

JITTER_TOL_MS = 0.01
LOSS_PP_TOL = 0.3


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


def main():
    agent = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skip: needs root (network namespaces)")
        return 77
    for tool in ("tshark", "tcpdump", "nft", "ip"):
        if shutil.which(tool) is None:
            print("skip: %s not installed" % tool)
            return 77
    tag = "vrcap%d-" % os.getpid()
    br, hq = tag + "b", tag + "h"
    net = "10.77.%d" % (os.getpid() % 250)
    work = tempfile.mkdtemp(prefix="vrcap-oracle-")
    procs = []

    def cleanup():
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
        for ns in (br, hq):
            sh("ip", "netns", "del", ns, check=False)

    try:
        for ns in (br, hq):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "vb", "netns", br, "type", "veth", "peer", "name", "vh",
           "netns", hq)
        sh("ip", "-n", br, "addr", "add", net + ".1/24", "dev", "vb")
        sh("ip", "-n", hq, "addr", "add", net + ".2/24", "dev", "vh")
        sh("ip", "-n", br, "link", "set", "vb", "up")
        sh("ip", "-n", hq, "link", "set", "vh", "up")
        # probes only (UDP payload byte 15 = kind 1): @th counts bits from the UDP header
        rules = ("table inet vrcap {\n chain egress {\n  type filter hook output priority 0;\n"
                 "  oifname \"vb\" udp dport 5004 @th,184,8 1 numgen random mod 100 < 5 "
                 "counter drop\n }\n}\n")
        sh("ip", "netns", "exec", br, "nft", "-f", "-", input=rules)

        nsx = ["ip", "netns", "exec"]
        bpf = "udp and (udp[23] == 1 or udp[23] == 2)"
        pcap = os.path.join(work, "hq.pcap")
        refl = subprocess.Popen(nsx + [hq, agent, "reflect", "--listen", net + ".2:5004"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(refl)
        td = subprocess.Popen(nsx + [hq, "tcpdump", "-n", "-q", "-i", "vh", "-w", pcap, bpf],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(td)
        live = subprocess.Popen(nsx + [hq, agent, "capture", "--interface", "vh", "--filter",
                                       bpf, "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(live)
        time.sleep(1.5)
        t1 = subprocess.Popen(nsx + [br, agent, "test", net + ".2:5004", "--class", "all",
                                     "--calls", "2", "--profile", "g711", "--duration", "20s",
                                     "--json", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t2 = subprocess.Popen(nsx + [br, agent, "test", net + ".2:5004", "--class",
                                     "audio,video", "--teams-ports", "--duration", "20s",
                                     "--json", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs += [t1, t2]
        out1, err1 = t1.communicate(timeout=50)
        out2, err2 = t2.communicate(timeout=50)
        time.sleep(0.5)
        td.send_signal(signal.SIGINT)
        td.wait(timeout=10)
        live.send_signal(signal.SIGINT)
        live_out, live_err = live.communicate(timeout=10)
        sent = send_errors = 0
        for line in (out1 + out2).splitlines():
            r = json.loads(line)
            if r.get("type") == "summary":
                sent += r["sent"]
            if r.get("type") == "verdict":
                send_errors += r.get("sender", {}).get("send_errors", 0)
        ruleset = sh("ip", "netns", "exec", br, "nft", "list", "ruleset").stdout
        m = re.search(r"counter packets (\d+)", ruleset)
        dropped = int(m.group(1))
        # veth drops when hq's receive backlog is full (a busy 2-core VM): before AF_PACKET
        # sees the frame, so they are real loss that no nft rule made; counted on vb's TX
        link = json.loads(sh("ip", "-n", br, "-s", "-j", "link", "show", "vb").stdout)[0]
        veth_drops = link["stats64"]["tx"]["dropped"]
    finally:
        cleanup()

    errors = []
    if sent == 0:
        errors.append("test runs sent nothing: %s %s" % (err1, err2))
    p = sh(agent, "capture", "--read", pcap, "--json", check=False)
    if p.returncode not in (0, 1):
        errors.append("capture --read exit %d: %s" % (p.returncode, p.stderr))
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    ts = tsharkrtp.streams(pcap)

    def key(r):
        return (int(r["ssrc"], 16), r["src"], r["dst"])

    ours = {key(r): r for r in recs}
    theirs = {(s["ssrc"], "%s:%d" % (s["src"], s["sport"]), "%s:%d" % (s["dst"], s["dport"])): s
              for s in ts}
    if set(ours) != set(theirs):
        errors.append("stream sets differ: only ours %s, only tshark %s" %
                      (sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))))
    worst_jit = 0.0
    print("%-44s %-10s %3s %8s %8s %6s %6s %9s %9s" % ("stream", "ssrc", "pt", "pkts", "tshark",
                                                       "lost", "tshark", "jmax", "tshark"))
    for k in sorted(set(ours) & set(theirs)):
        r, t = ours[k], theirs[k]
        print("%-44s %-10s %3d %8d %8d %6d %6d %9.3f %9.3f" %
              (r["src"] + " > " + r["dst"], r["ssrc"], r["payload_type"], r["packets"],
               t["packets"], r["lost"], t["lost"], r["jitter_max_ms"], t["max_jitter_ms"]))
        if r["packets"] != t["packets"] or r["lost"] != t["lost"]:
            errors.append("%s: packets/lost %d/%d, tshark %d/%d" %
                          (k, r["packets"], r["lost"], t["packets"], t["lost"]))
        if r["payload_type"] < 96:
            d = abs(r["jitter_max_ms"] - t["max_jitter_ms"])
            worst_jit = max(worst_jit, d)
            if d > JITTER_TOL_MS:
                errors.append("%s: max jitter %.4f, tshark %.3f" %
                              (k, r["jitter_max_ms"], t["max_jitter_ms"]))

    # dynamic payload types: the clock is inferred from the timestamps (teams-audio 16 kHz,
    # teams-video 90 kHz, common/profile.c)
    for r in recs:
        want = {0: 8000, 111: 16000, 122: 90000}.get(r["payload_type"])
        if r["clock_hz"] != want:
            errors.append("%s PT %d: clock %d (%s), expected %s" %
                          (r["ssrc"], r["payload_type"], r["clock_hz"], r.get("clock_source"),
                           want))

    fwd = [r for r in recs if r["dst"].endswith(":5004")]
    rev = {(r["ssrc"], r["dst"]): r for r in recs if r["src"].endswith(":5004")}
    lost_fwd = sum(r["lost"] for r in fwd)
    # a drop in the output hook fails send() (EPERM), so the sender's send_errors already count
    # the nft drops; anything above them failed to send for another reason
    truth = max(dropped, send_errors) + veth_drops
    pct_capture = 100.0 * lost_fwd / max(1, sum(r["expected"] for r in fwd))
    pct_truth = 100.0 * truth / max(1, sent)
    print("forward streams %d, sent %d, nft dropped %d, veth dropped %d, send errors %d: "
          "%.2f %% lost; capture lost %d (%.2f %%); worst max-jitter difference vs tshark "
          "%.4f ms" % (len(fwd), sent, dropped, veth_drops, send_errors, pct_truth, lost_fwd,
                       pct_capture, worst_jit))
    if len(fwd) != 10:
        errors.append("%d forward streams, expected 10 (8 g711 + audio and video from Teams ports)" % len(fwd))
    if not (lost_fwd <= truth <= lost_fwd + len(fwd)):
        errors.append("capture lost %d vs %d dropped (nft %d, send errors %d, veth %d; "
                      "allowed: that - %d .. that)" % (lost_fwd, truth, dropped, send_errors,
                                                       veth_drops, len(fwd)))
    if abs(pct_capture - pct_truth) > LOSS_PP_TOL:
        errors.append("loss %.2f %% vs injected %.2f %%" % (pct_capture, pct_truth))
    if dropped == 0:
        errors.append("nft dropped nothing: the rule did not match")
    for r in fwd:
        back = rev.get((r["ssrc"], r["src"]))
        if back is None:
            errors.append("no reply stream for %s %s" % (r["ssrc"], r["src"]))
        elif back["lost"] != r["lost"]:
            errors.append("reply stream of %s lost %d, forward %d" % (r["ssrc"], back["lost"],
                                                                      r["lost"]))

    live_recs = {key(json.loads(x)): json.loads(x) for x in live_out.splitlines()}
    if set(live_recs) != set(ours):
        errors.append("live capture streams differ from the file's (%d vs %d): %s" %
                      (len(live_recs), len(ours), live_err.strip()))
    for k in set(live_recs) & set(ours):
        a, b = live_recs[k], ours[k]
        if a["packets"] != b["packets"] or a["lost"] != b["lost"]:
            errors.append("live %s: packets/lost %d/%d, file %d/%d" %
                          (k, a["packets"], a["lost"], b["packets"], b["lost"]))
    if errors:
        print("FAIL (capture kept in %s)" % work)
        for e in errors:
            print("  " + e)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("ok: %d streams agree with tshark and the live capture; loss matches the nft counter"
          % len(ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
