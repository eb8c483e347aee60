#!/usr/bin/env python3
"""Judge one lab run of `voiceready-agent test --json` against the truth the lab injected.

usage: check.py SCENARIO --json AGENT.jsonl --rc AGENT_EXIT [--classes a,b]
                [--nft NFT.json] [--impair-log RELAY.csv] [--base-rtt-ms 0.03]

SCENARIO is clean, loss, bleach, congested, congested-bleach or delay (tests/lab/lab.sh).
Truth comes from the lab, not from the agent: the nftables drop counter (--nft, the output of
`nft -j list counter inet vrlab loss_fwd`) and the vr-impair log (--impair-log). Prints one line
per assertion (ok/FAIL, measured vs expected) and exits 1 if any failed, 2 on unusable input.
Tolerances are fixed here; the reasons for them are given beside each one.
"""
import argparse
import csv
import json
import statistics
import sys

CLASS_DSCP = {"audio": 46, "video": 34, "sharing": 18, "besteffort": 0}

# Loss accuracy target (DESIGN.md §7): within 0.3 percentage points of the nft counter.
LOSS_TOL_PTS = 0.3
# Congested besteffort: a full 100-packet pfifo of 1400-byte bulk packets drains in
# 100 * 1400 * 8 / 2e6 = 560 ms; measured here (irtt, isochronous 20 ms, UDP bulk at 4 Mbit/s)
# the best-effort median RTT was 520-540 ms, EF 0.15-0.2 ms. 200 ms is far above anything EF or a
# clean path shows and far below the full-queue figure, so start-up and VM pauses cannot flip it.
BE_CONGESTED_P50_MS = 200.0
# EF through the priority class measured 0.15-0.2 ms mean (max 2.5 ms); VM scheduling spikes of
# 14-60 ms (REFERENCE §7) can hit single packets, not the median.
EF_CONGESTED_P50_MS = 10.0
# Delay scenario: agent vs relay truth.
RTT_P50_TOL_MS = 1.0
OWD_P50_TOL_MS = 1.0
JITTER_REL_TOL = 0.10
NOMINAL_FWD_MS = 40.0
NOMINAL_REV_MS = 5.0


class Checker:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}")
        if not ok:
            self.failed += 1
        return ok


def load_records(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise SystemExit(f"check.py: {path}:{n}: not JSON ({e})") from e
    return recs


def summaries_by_class(recs):
    out = {}
    for r in recs:
        if r.get("type") == "summary":
            out.setdefault(r.get("class"), []).append(r)
    return out


def verdict_record(recs):
    v = [r for r in recs if r.get("type") == "verdict"]
    return v[-1] if len(v) == 1 else None


def get(rec, *path):
    cur = rec
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def fmt(x):
    return f"{x:.3f}" if isinstance(x, float) else repr(x)


def reasons_text(rec):
    rs = rec.get("reasons") if rec else None
    return [str(r).lower() for r in rs] if isinstance(rs, list) else []


def common_checks(c, recs, rc, classes):
    """Shape and exit status shared by every scenario; returns {class: summary}."""
    v = verdict_record(recs)
    c.check(v is not None, "exactly one verdict record")
    sums = summaries_by_class(recs)
    got = {}
    for cls in classes:
        s = sums.get(cls, [])
        if c.check(len(s) == 1, f"one summary for class {cls}", f"found {len(s)}"):
            got[cls] = s[0]
    extra = sorted(k for k in sums if k not in classes)
    c.check(not extra, "no summaries for classes not asked for", ", ".join(map(str, extra)))
    if v is not None:
        want_rc = 0 if v.get("verdict") == "ready" else 1
        c.check(rc == want_rc, "exit status matches the verdict",
                f"exit {rc}, verdict {v.get('verdict')} wants {want_rc}")
    return v, got


def check_dscp_intact(c, cls, s, direction):
    d = s.get(f"dscp_{direction}") or {}
    want = str(CLASS_DSCP[cls])
    received = d.get("received") or {}
    c.check(d.get("preserved_pct") == 100, f"{cls} dscp_{direction}.preserved_pct == 100",
            fmt(d.get("preserved_pct")))
    c.check(set(received) == {want}, f"{cls} dscp_{direction}.received has only {want}",
            json.dumps(received))


def scenario_clean(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    c.check(v is not None and v.get("verdict") == "ready", "verdict ready",
            f"{v.get('verdict') if v else None} {v.get('reasons') if v else ''}")
    for cls, s in sums.items():
        check_dscp_intact(c, cls, s, "fwd")
        check_dscp_intact(c, cls, s, "rev")
        # A clean path drops nothing: any loss is the agent's own.
        c.check(num(s.get("sent")) and s["sent"] > 0 and s.get("received") == s.get("sent"),
                f"{cls} every probe came back", f"sent {s.get('sent')} received {s.get('received')}")
        print(f"info {cls} rtt_ms p50 {fmt(get(s, 'rtt_ms', 'p50'))} "
              f"p99 {fmt(get(s, 'rtt_ms', 'p99'))} max {fmt(get(s, 'rtt_ms', 'max'))}")


def nft_counter_packets(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for item in doc.get("nftables", []):
        if "counter" in item and item["counter"].get("name") == "loss_fwd":
            return int(item["counter"]["packets"])
    raise SystemExit(f"check.py: {path}: no counter loss_fwd (expected nft -j list counter output)")


def scenario_loss(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    if args.nft is None:
        raise SystemExit("check.py: loss needs --nft FILE")
    dropped = nft_counter_packets(args.nft)
    for cls, s in sums.items():
        sent = s.get("sent")
        if not c.check(num(sent) and sent >= 3000, f"{cls} sent >= 3000 probes", fmt(sent)):
            continue
        truth = 100.0 * dropped / sent
        got = s.get("loss_fwd_pct")
        c.check(num(got) and abs(got - truth) <= LOSS_TOL_PTS,
                f"{cls} loss_fwd_pct within {LOSS_TOL_PTS} pts of nft counter",
                f"agent {fmt(got)} %, truth {dropped}/{sent} = {truth:.3f} %")
        c.check(num(s.get("loss_rev_pct")) and s["loss_rev_pct"] < 0.3,
                f"{cls} loss_rev_pct < 0.3", fmt(s.get("loss_rev_pct")))
        rr = s.get("reflector_received")
        if num(rr):
            print(f"info {cls} reflector_received {rr}, sent - dropped = {sent - dropped}")
    c.check(v is not None and v.get("verdict") == "not_ready", "verdict not_ready",
            str(v.get("verdict") if v else None))
    rs = reasons_text(v)
    c.check(any("loss" in r and "forward" in r for r in rs),
            "a verdict reason names loss and forward", json.dumps(v.get("reasons") if v else None))


def scenario_bleach(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    for cls, s in sums.items():
        rev = s.get("dscp_rev") or {}
        n = s.get("received")
        c.check(rev.get("preserved_pct") == 0, f"{cls} dscp_rev.preserved_pct == 0",
                fmt(rev.get("preserved_pct")))
        c.check(num(n) and n > 0 and rev.get("received") == {"0": n},
                f"{cls} dscp_rev.received == {{\"0\": {n}}}", json.dumps(rev.get("received")))
        fwd = s.get("dscp_fwd") or {}
        c.check(fwd.get("preserved_pct") == 100, f"{cls} dscp_fwd.preserved_pct == 100",
                fmt(fwd.get("preserved_pct")))
        c.check(s.get("verdict") == "fail", f"{cls} summary verdict fail", str(s.get("verdict")))
        c.check(any("reverse" in r for r in reasons_text(s)),
                f"{cls} summary reason names reverse", json.dumps(s.get("reasons")))
    c.check(v is not None and v.get("verdict") in ("not_ready", "at_risk"),
            "verdict not_ready or at_risk", str(v.get("verdict") if v else None))
    rs = reasons_text(v)
    c.check(any("reverse" in r and any(cls in r for cls in classes) for r in rs),
            "a verdict reason names a class and reverse",
            json.dumps(v.get("reasons") if v else None))


def scenario_congested(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    a, be = sums.get("audio"), sums.get("besteffort")
    if a:
        c.check(a.get("verdict") in ("pass", "warn"), "audio summary verdict pass or warn",
                f"{a.get('verdict')} {a.get('reasons')}")
        mean, p50 = get(a, "rtt_ms", "mean"), get(a, "rtt_ms", "p50")
        c.check(num(mean) and mean < 100, "audio rtt_ms.mean < 100", fmt(mean))
        c.check(num(p50) and p50 < EF_CONGESTED_P50_MS,
                f"audio rtt_ms.p50 < {EF_CONGESTED_P50_MS} (EF priority class)", fmt(p50))
        c.check(num(a.get("loss_pct")) and a["loss_pct"] < 1, "audio loss_pct < 1",
                fmt(a.get("loss_pct")))
        check_dscp_intact(c, "audio", a, "fwd")
    if be:
        p50 = get(be, "rtt_ms", "p50")
        c.check(num(p50) and p50 > BE_CONGESTED_P50_MS,
                f"besteffort rtt_ms.p50 > {BE_CONGESTED_P50_MS} (deep queue behind bulk)", fmt(p50))
        print(f"info besteffort rtt_ms mean {fmt(get(be, 'rtt_ms', 'mean'))} "
              f"max {fmt(get(be, 'rtt_ms', 'max'))} loss_pct {fmt(be.get('loss_pct'))}")
    # Besteffort is an unmarked control class: its failure must not count in the verdict.
    c.check(v is not None and v.get("verdict") == "ready",
            "verdict ready (besteffort not counted)",
            f"{v.get('verdict') if v else None} {v.get('reasons') if v else ''}")


def scenario_congested_bleach(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    a = sums.get("audio")
    if a:
        mean, loss = get(a, "rtt_ms", "mean"), a.get("loss_pct")
        c.check(a.get("verdict") == "fail", "audio summary verdict fail", str(a.get("verdict")))
        c.check((num(mean) and mean >= 100) or (num(loss) and loss >= 1),
                "audio rtt_ms.mean >= 100 or loss_pct >= 1 (EF queued as best effort)",
                f"rtt mean {fmt(mean)}, p50 {fmt(get(a, 'rtt_ms', 'p50'))}, loss {fmt(loss)}")
        fwd = a.get("dscp_fwd") or {}
        c.check(fwd.get("preserved_pct") == 0, "audio dscp_fwd.preserved_pct == 0",
                fmt(fwd.get("preserved_pct")))
    c.check(v is not None and v.get("verdict") in ("not_ready", "at_risk"),
            "verdict not_ready or at_risk", str(v.get("verdict") if v else None))


def read_impair_log(path):
    """Returns {(ssrc, seq): row} per direction for RTP packets the relay sent."""
    fwd, rev = {}, {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            ssrc, seq, tx = int(row["ssrc"]), int(row["rtp_seq"]), int(row["tx_wall_ns"])
            if ssrc < 0 or tx < 0:
                continue
            entry = (int(row["rx_wall_ns"]), tx)
            (fwd if row["dir"] == "fwd" else rev)[(ssrc, seq)] = entry
    return fwd, rev


def rfc3550_mean_jitter(fwd, keys):
    """Mean over packets of the running RFC 3550 J (A.8), per stream in arrival order, pooled
    over streams as the agent pools samples (agg.h). Transit = the relay's hold."""
    by_stream = {}
    for k in keys:
        rx, tx = fwd[k]
        by_stream.setdefault(k[0], []).append((tx, tx - rx))
    total, n = 0.0, 0
    for pkts in by_stream.values():
        pkts.sort()
        j, prev = 0.0, None
        for _, transit in pkts:
            if prev is not None:
                j += (abs(transit - prev) - j) / 16.0
            prev = transit
            total += j
            n += 1
    return total / n / 1e6 if n else None


def scenario_delay(c, recs, rc, args, classes):
    v, sums = common_checks(c, recs, rc, classes)
    if args.impair_log is None:
        raise SystemExit("check.py: delay needs --impair-log FILE")
    fwd, rev = read_impair_log(args.impair_log)
    keys = [k for k in fwd if k in rev]
    if not c.check(len(keys) >= 100, "relay log holds >= 100 matched probe round trips",
                   f"{len(keys)} (fwd {len(fwd)}, rev {len(rev)})"):
        return
    fwd_ms = [(fwd[k][1] - fwd[k][0]) / 1e6 for k in keys]
    rev_ms = [(rev[k][1] - rev[k][0]) / 1e6 for k in keys]
    rtt_truth = statistics.median(f + r for f, r in zip(fwd_ms, rev_ms)) + args.base_rtt_ms
    fwd_p50, rev_p50 = statistics.median(fwd_ms), statistics.median(rev_ms)
    jit_truth = rfc3550_mean_jitter(fwd, keys)
    rev_as_fwd = {k: rev[k] for k in keys}
    jit_rev_truth = rfc3550_mean_jitter(rev_as_fwd, keys)
    print(f"info truth: rtt p50 {rtt_truth:.3f} ms (incl. base {args.base_rtt_ms} ms), "
          f"fwd p50 {fwd_p50:.3f}, rev p50 {rev_p50:.3f}, jitter fwd {jit_truth:.3f} "
          f"rev {jit_rev_truth:.3f} ms over {len(keys)} packets")
    for cls, s in sums.items():
        p50 = get(s, "rtt_ms", "p50")
        c.check(num(p50) and abs(p50 - rtt_truth) <= RTT_P50_TOL_MS,
                f"{cls} rtt_ms.p50 within {RTT_P50_TOL_MS} ms of truth",
                f"agent {fmt(p50)}, truth {rtt_truth:.3f}")
        jf = s.get("jitter_fwd_ms")
        c.check(num(jf) and abs(jf - jit_truth) <= JITTER_REL_TOL * jit_truth,
                f"{cls} jitter_fwd_ms within {JITTER_REL_TOL:.0%} of truth",
                f"agent {fmt(jf)}, truth {jit_truth:.3f}")
        print(f"info {cls} jitter_rev_ms agent {fmt(s.get('jitter_rev_ms'))}, "
              f"truth {jit_rev_truth:.3f}")
        c.check(s.get("clock_synced") is True, f"{cls} clock_synced true",
                repr(s.get("clock_synced")))
        of, orv = get(s, "owd_fwd_ms", "p50"), get(s, "owd_rev_ms", "p50")
        for name, got, truth, nominal in (("owd_fwd_ms", of, fwd_p50, NOMINAL_FWD_MS),
                                          ("owd_rev_ms", orv, rev_p50, NOMINAL_REV_MS)):
            c.check(num(got) and abs(got - truth) <= OWD_P50_TOL_MS
                    and abs(got - nominal) <= OWD_P50_TOL_MS,
                    f"{cls} {name}.p50 within {OWD_P50_TOL_MS} ms of truth and of {nominal}",
                    f"agent {fmt(got)}, truth {truth:.3f}")
        c.check(num(of) and num(orv) and of > orv, f"{cls} forward one-way delay > reverse",
                f"{fmt(of)} > {fmt(orv)}")
        c.check(s.get("loss_pct") == 0, f"{cls} loss_pct == 0", fmt(s.get("loss_pct")))


SCENARIOS = {
    "clean": (scenario_clean, "audio,video,sharing,besteffort"),
    "loss": (scenario_loss, "audio"),
    "bleach": (scenario_bleach, "audio,video"),
    "congested": (scenario_congested, "audio,besteffort"),
    "congested-bleach": (scenario_congested_bleach, "audio"),
    "delay": (scenario_delay, "audio"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--json", required=True, help="the agent's --json output")
    ap.add_argument("--rc", type=int, required=True, help="the agent's exit status")
    ap.add_argument("--classes", help="classes the run asked for (default per scenario)")
    ap.add_argument("--nft", help="nft -j list counter inet vrlab loss_fwd output (loss)")
    ap.add_argument("--impair-log", help="vr-impair CSV log (delay)")
    ap.add_argument("--base-rtt-ms", type=float, default=0.03,
                    help="path RTT without the relay holds (default 0.03: clean-run p50 here)")
    args = ap.parse_args()
    fn, default_classes = SCENARIOS[args.scenario]
    classes = (args.classes or default_classes).split(",")
    c = Checker()
    if args.rc not in (0, 1):
        c.check(False, "agent exit status 0 or 1", f"exit {args.rc} (2 = error; see its stderr)")
    try:
        recs = load_records(args.json)
    except OSError as e:
        print(f"check.py: {e}", file=sys.stderr)
        return 2
    if not recs:
        c.check(False, "agent printed JSON records", f"{args.json} is empty")
        return 1
    fn(c, recs, args.rc, args, classes)
    print(f"{args.scenario}: {'FAILED ' + str(c.failed) + ' check(s)' if c.failed else 'all checks passed'}")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
