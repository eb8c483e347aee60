#!/usr/bin/env python3
"""Runs `voiceready-agent capture --read FILE --json` on one committed test capture and compares
every stream with FILE.expect.json (written by mkpcaps.py from the packets it generated).

Tolerances: counts (packets, expected, lost, duplicates), addresses, SSRC, payload type, clock,
class, DSCP counts and the exit status must be exact; jitter, jitter max and max delta within
0.001 ms (the generator computes in double-precision seconds, the agent in integer ns: they
differ by ~1e-5 ms). When tshark is installed, packets and max jitter are also compared with
`tshark -z rtp,streams` for static payload types (tshark computes no jitter for dynamic ones).

Usage: check_pcap.py AGENT PCAP_DIR NAME
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
import tsharkrtp  # noqa: E402

JIT_TOL_MS = 0.001

# docs/records.md, "type":"capture": every field of the contract, with its JSON type
CONTRACT = {"type": str, "schema": int, "id": str, "agent": str, "site": str, "source": str,
            "link": str, "start": str, "duration_s": (int, float), "src": str, "dst": str,
            "ssrc": str, "payload_type": int, "clock_hz": int, "class": str, "packets": int,
            "expected": int, "lost": int, "loss_pct": (int, float), "duplicates": int,
            "reorder_pct": (int, float), "jitter_ms": (int, float),
            "jitter_max_ms": (int, float), "max_delta_ms": (int, float), "dscp": dict,
            "mos": (int, float), "verdict": str, "reasons": list}
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def main():
    agent, pdir, name = sys.argv[1:4]
    path = os.path.join(pdir, name)
    exp = json.load(open(path + ".expect.json"))
    cmd = [agent, "capture", "--read", path, "--json"]
    for cr in exp.get("clock_rate", []):
        cmd += ["--clock-rate", cr]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    errors = []
    if p.returncode != exp["exit"]:
        errors.append("exit %d, expected %d (stderr: %s)" % (p.returncode, exp["exit"],
                                                             p.stderr.strip()))
    if "error" in exp:
        lines = p.stderr.strip().splitlines()
        if len(lines) != 1 or exp["error"] not in lines[0]:
            errors.append("expected one error line mentioning %r, got %r" % (exp["error"],
                                                                              p.stderr))
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if len(recs) != len(exp["streams"]):
        errors.append("%d streams reported, expected %d" % (len(recs), len(exp["streams"])))
    by_ssrc = {r["ssrc"]: r for r in recs}
    for s in exp["streams"]:
        r = by_ssrc.get(s["ssrc"])
        if r is None:
            errors.append("stream %s not reported" % s["ssrc"])
            continue
        if r.get("type") != "capture" or r.get("schema") != 1:
            errors.append("%s: not a capture record" % s["ssrc"])
        for k, t in CONTRACT.items():
            if not isinstance(r.get(k), t) or isinstance(r.get(k), bool):
                errors.append("%s: contract field %s missing or not %s" % (s["ssrc"], k, t))
        if not RFC3339_MS.match(str(r.get("start"))):
            errors.append("%s: start %r is not RFC 3339 UTC with ms" % (s["ssrc"], r.get("start")))
        if r.get("link") != "other" or r.get("verdict") not in ("pass", "warn", "fail"):
            errors.append("%s: link %r / verdict %r" % (s["ssrc"], r.get("link"),
                                                        r.get("verdict")))
        for k in ("src", "dst", "payload_type", "clock_hz", "class", "packets", "expected",
                  "lost", "duplicates", "dscp", "verdict", "turn_channel_data"):
            if k in s and r.get(k) != s[k]:
                errors.append("%s: %s = %r, expected %r" % (s["ssrc"], k, r.get(k), s[k]))
        for k in ("jitter_ms", "jitter_max_ms", "max_delta_ms"):
            if abs(r[k] - s[k]) > JIT_TOL_MS:
                errors.append("%s: %s = %.6f, expected %.6f (tolerance %g)" %
                              (s["ssrc"], k, r[k], s[k], JIT_TOL_MS))
        print("%s %s: packets %d lost %d jitter max %.3f ms (expected %d, %d, %.3f)" %
              (name, s["ssrc"], r["packets"], r["lost"], r["jitter_max_ms"], s["packets"],
               s["lost"], s["jitter_max_ms"]))
    # tshark as a second opinion, where it decodes the link type and computes jitter
    if exp["streams"] and tsharkrtp.available():
        ts = {t["ssrc"]: t for t in tsharkrtp.streams(path)}
        for s in exp["streams"]:
            t = ts.get(int(s["ssrc"], 16))
            if t is None:
                errors.append("tshark did not see stream %s" % s["ssrc"])
                continue
            if t["packets"] != s["packets"]:
                errors.append("%s: tshark packets %d, expected %d" % (s["ssrc"], t["packets"],
                                                                     s["packets"]))
            if s["payload_type"] < 96 and abs(t["max_jitter_ms"] - s["jitter_max_ms"]) > 0.002:
                errors.append("%s: tshark max jitter %.3f, expected %.3f" %
                              (s["ssrc"], t["max_jitter_ms"], s["jitter_max_ms"]))
    if errors:
        print("FAIL " + name)
        for e in errors:
            print("  " + e)
        return 1
    print("ok " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
