#!/usr/bin/env python3
"""bench-capture: packets per second of `voiceready-agent capture --read` on one core against
`tshark -q -z rtp,streams` on the same file (1,000 interleaved RTP streams, ~1 M packets, made
by capture_gen), and the peak resident memory of both. Prints a table; never passes or fails.

Both run pinned to one core (taskset) under /usr/bin/time -v (peak RSS = its "Maximum resident
set size"; python's own wait4 would inherit its high-water mark across fork). Wall time is
measured around the run; the agent's best of --runs, tshark's single run (it is slow).
tshark needs rtp.heuristic_rtp to decode RTP on these ports; it dissects every layer of every
packet, which is its price for generality.

usage: capture_bench.py --agent PATH --gen PATH [--file F] [--streams N] [--packets N]
                        [--cpu C] [--runs R] [--keep]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def timed(cmd, out_path):
    with open(out_path, "w") as out, tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=1800)
        wall = time.monotonic() - t
        rep = tf.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", rep)
    return p.returncode, wall, int(m.group(1)) / 1024.0 if m else float("nan"), p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--file", default=os.path.join(tempfile.gettempdir(), "vr-bench-capture.pcap"))
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--packets", type=int, default=1000, help="per stream")
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    pin = ["taskset", "-c", str(a.cpu)] if shutil.which("taskset") else []
    made = False
    if not os.path.exists(a.file):
        subprocess.run([a.gen, a.file, str(a.streams), str(a.packets)], check=True)
        made = True
    size_mb = os.path.getsize(a.file) / 1e6
    work = tempfile.mkdtemp(prefix="vr-bench-capture-")
    rows = []

    best = None
    for _ in range(a.runs):
        out = os.path.join(work, "agent.jsonl")
        rc, wall, rss, err = timed(pin + [a.agent, "capture", "--read", a.file, "--json"], out)
        if rc not in (0, 1):
            print("capture failed (%d): %s" % (rc, err), file=sys.stderr)
            return 2
        if best is None or wall < best[0]:
            best = (wall, rss)
    recs = [json.loads(x) for x in open(out)]
    pk = sum(r["packets"] for r in recs)
    rows.append(("voiceready-agent capture", len(recs), pk, best[0], best[1]))

    if shutil.which("tshark"):
        out = os.path.join(work, "tshark.txt")
        rc, wall, rss, err = timed(pin + ["tshark", "-n", "-q", "-o", "rtp.heuristic_rtp:TRUE",
                                          "-z", "rtp,streams", "-r", a.file], out)
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "capture"))
        import tsharkrtp
        n_streams, n_pk = 0, 0
        for line in open(out):
            m = tsharkrtp.ROW.match(line)
            if m:
                n_streams += 1
                n_pk += int(m.group(9))
        rows.append(("tshark -z rtp,streams", n_streams, n_pk, wall, rss))
    else:
        print("tshark not installed: no comparison row")

    print("\nbench-capture: %s (%.0f MB), pinned to CPU %d" % (a.file, size_mb, a.cpu))
    print("%-28s %8s %10s %9s %12s %10s" % ("tool", "streams", "packets", "time s", "packets/s",
                                            "peak RSS"))
    for name, ns, npk, wall, rss in rows:
        print("%-28s %8d %10d %9.2f %12.0f %7.1f MB" % (name, ns, npk, wall, npk / wall, rss))
    if len(rows) == 2:
        print("speed-up: %.1fx tshark's packet rate; memory %.1f%% of tshark's" %
              ((rows[0][2] / rows[0][3]) / (rows[1][2] / rows[1][3]), 100 * rows[0][4] / rows[1][4]))
    if a.keep:
        print("raw outputs kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
        if made:
            os.unlink(a.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
