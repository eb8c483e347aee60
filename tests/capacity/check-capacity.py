#!/usr/bin/env python3
"""Judges one `voiceready-agent capacity --json` run of the lab against what the lab enforces.

The expected capacity is computed here, not hard-coded: the teams-audio row of common/profile.c
gives the UDP payload (RTP header included) and the pacing; IPv4/IPv6 and UDP headers are added,
and for the HTB bottleneck also the 14-byte Ethernet header, because HTB meters the frames it
dequeues on the veth (skb->len includes the MAC header). The lab's HTB sits on wan's egress
towards hq: it shapes the FORWARD direction only (branch -> hq, the probes); the replies come back
unshaped. So one call costs the bottleneck one forward stream, and capacity is
bottleneck / per-call forward frame rate.
"""
import argparse
import json
import math
import re
import sys

BOTTLENECK_BPS = 2e6  # tests/lab/lab.sh: bottleneck=2mbit (tc: 1 mbit = 10^6 bit/s)
TOLERANCE = 0.15
ETH_HDR = 14
UDP_HDR = 8

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def profile(path, name):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'\{"%s",\s*(\d+),\s*(\d+)u' % re.escape(name), text)
    if not m:
        sys.exit(f"check-capacity: profile {name} not found in {path}")
    return int(m.group(1)), int(m.group(2))  # payload bytes, period ns


def load(path):
    intervals, caps = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                j = json.loads(line)
            except ValueError:
                sys.exit(f"check-capacity: {path}:{n}: not JSON: {line[:80]}")
            if j.get("type") == "interval":
                intervals.append(j)
            elif j.get("type") == "capacity":
                caps.append(j)
    return intervals, caps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--json", required=True)
    ap.add_argument("--profiles", required=True)
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--counters")
    ap.add_argument("--max-rate", type=float)
    ap.add_argument("--step", type=float)
    a = ap.parse_args()

    intervals, caps = load(a.json)
    check(len(caps) == 1, f"one capacity record (got {len(caps)})")
    if not caps:
        return 1
    cap = caps[0]
    for field in ("id", "agent", "site", "target", "link", "interface", "start", "duration_s",
                  "mix", "profiles", "max_rate_bps", "capacity_calls", "capacity_bps_fwd",
                  "capacity_bps_rev", "limit", "first_failure", "cause", "steps", "verdict",
                  "reasons"):
        check(field in cap, f"record has \"{field}\"")
    if failures:
        return 1

    payload, period_ns = profile(a.profiles, cap["profiles"].get("audio", "teams-audio"))
    ip_hdr = 40 if cap.get("ip_version") == 6 else 20
    pps = 1e9 / period_ns
    call_ip_bps = (payload + ip_hdr + UDP_HDR) * 8 * pps  # what the agent must report
    call_frame_bps = (payload + ip_hdr + UDP_HDR + ETH_HDR) * 8 * pps  # what HTB meters
    expected = BOTTLENECK_BPS / call_frame_bps
    calls = cap["capacity_calls"]
    steps = cap["steps"]
    print(f"     profile {payload} B every {period_ns / 1e6:g} ms, IPv{cap.get('ip_version')}: "
          f"{call_ip_bps / 1e3:.1f} kbit/s per call on IP, {call_frame_bps / 1e3:.1f} kbit/s "
          f"in Ethernet frames; bottleneck / call = {expected:.1f} calls")
    print(f"     measured: {calls} calls, limit {cap['limit']}, cause {cap['cause']}, "
          f"verdict {cap['verdict']}, exit {a.rc}; ramp "
          + " ".join(f"{s['calls']}:{s['verdict']}" for s in steps))
    for r in cap["reasons"]:
        print(f"     - {r}")

    # Consistency of the record with itself and with the interval records.
    audio_only = list(cap["mix"]) == ["audio"] and cap["mix"]["audio"] == 1
    if audio_only:
        for s in steps:
            ok = math.isclose(s["bps_fwd"], s["calls"] * call_ip_bps, rel_tol=1e-9)
            check(ok, f"step {s['calls']}: bps_fwd {s['bps_fwd']:.0f} = calls x "
                      f"{call_ip_bps:.0f} (IP + UDP + RTP + payload)")
        if calls > 0:
            check(math.isclose(cap["capacity_bps_fwd"], calls * call_ip_bps, rel_tol=1e-9),
                  "capacity_bps_fwd = capacity_calls x per-call IP rate")
    for s in steps:
        if s.get("stopped") == "completed":
            check(s["intervals"] >= 2, f"step {s['calls']}: at least two scored intervals")
        n = sum(1 for i in intervals if i.get("step_calls") == s["calls"])
        check(n >= s["intervals"], f"step {s['calls']}: its interval records were printed")
    passed = [s["calls"] for s in steps if s["verdict"] != "fail" and s.get("stopped") == "completed"]
    check(calls == (max(passed) if passed else 0), "capacity = largest passing step")

    name = a.name
    if name in ("bottleneck", "priority"):
        lo, hi = expected * (1 - TOLERANCE), expected * (1 + TOLERANCE)
        check(lo <= calls <= hi, f"capacity {calls} within +-15 % of {expected:.1f} "
                                 f"[{lo:.1f}, {hi:.1f}]")
        check(a.rc == 0, "exit status 0 (capacity measured)")
        check(cap["cause"] == "bandwidth", "cause bandwidth")
        ff = cap["first_failure"]
        check(ff is not None and ff["direction"] in ("fwd", "both"),
              "first failure on the shaped (forward) direction: "
              + (f"{ff['metric']} {ff['direction']}" if ff else "none"))
        if name == "bottleneck":
            check(cap["limit"] == "threshold", "binary search closed (limit threshold)")
    elif name == "bleach":
        check(calls < expected * (1 - TOLERANCE),
              f"capacity falls: {calls} < {expected * (1 - TOLERANCE):.1f}")
        check(cap["cause"] == "marking", f"cause marking (got {cap['cause']})")
        check(any("marking, not bandwidth" in r for r in cap["reasons"]),
              "a reason says marking, not bandwidth, is the cause")
        ff = cap["first_failure"]
        check(ff is not None, "first failure reported")
        fs = [s for s in steps if ff and s["calls"] == ff["calls"]]
        check(bool(fs) and fs[-1]["dscp_preserved_fwd_pct"] is not None
              and fs[-1]["dscp_preserved_fwd_pct"] < 99,
              "the failing step lost the EF mark forward")
        check(a.rc == (1 if calls == 0 else 0), f"exit status {a.rc} matches capacity {calls}")
    elif name == "max-rate":
        cap_calls = int(a.max_rate // call_ip_bps)
        check(cap["limit"] == "max_rate", f"limit max_rate (got {cap['limit']})")
        check(calls == cap_calls, f"capacity {calls} = floor(max rate / per-call rate) = {cap_calls}")
        check(all(s["bps_fwd"] <= a.max_rate and s["bps_rev"] <= a.max_rate for s in steps),
              "no step planned above --max-rate")
        check(a.rc == 0, "exit status 0")
        samples = []
        for line in open(a.counters, encoding="utf-8"):
            p = line.split()
            if len(p) == 3:
                samples.append((float(p[0]), int(p[1]), int(p[2])))
        check(len(samples) > 40, f"{len(samples)} counter samples")
        # Counter tolerance: each sample's time is known to +-5 ms (nft call), i.e. 0.5 % of a
        # 2 s window, and a window may hold one 20 ms round of packets more: 1 %. Allow 3 %.
        window, tol = 2.0, 0.03
        for d, col in (("forward", 1), ("reverse", 2)):
            best = 0.0
            j = 0
            for i in range(len(samples)):
                while j < len(samples) and samples[j][0] - samples[i][0] < window:
                    j += 1
                if j >= len(samples):
                    break
                dt = samples[j][0] - samples[i][0]
                best = max(best, (samples[j][col] - samples[i][col]) * 8 / dt)
            check(best <= a.max_rate * (1 + tol),
                  f"nft counter, {d}: max {best / 1e3:.1f} kbit/s over {window:g} s windows "
                  f"<= {a.max_rate / 1e3:.0f} kbit/s + {tol * 100:.0f} %")
            check(best >= 0.9 * cap_calls * call_ip_bps,
                  f"nft counter, {d}: the top step was seen ({best / 1e3:.1f} >= 90 % of "
                  f"{cap_calls * call_ip_bps / 1e3:.1f} kbit/s)")
    elif name == "loss-stop":
        check(cap["limit"] == "loss_stop", f"limit loss_stop (got {cap['limit']})")
        check(len(steps) == 1 and steps[0]["calls"] == 1, "stopped at the first step (1 call)")
        if steps:
            s = steps[0]
            check(s.get("stopped") == "loss_stop", "the step was cut by the loss stop")
            check(s["duration_s"] < a.step * 0.85,
                  f"interrupted at once: measured {s['duration_s']:.1f} s of a {a.step:g} s step")
            check(s["loss_fwd_pct"] > 5, f"loss {s['loss_fwd_pct']:.1f} % forward > 5 %")
        check(calls == 0 and a.rc == 1, "capacity 0, exit status 1")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
