#!/usr/bin/env python3
"""Round trip of every record type the agent writes (issue 10 step 1): a real `test` and a real
`capacity` on loopback against a real reflector, and `capture --read` of each pcap, all with
--json; rec_roundtrip then reads every line with its type's one reader, writes it back with the
one writer and compares field by field, and feeds each file to the collector's vr_ingest_parse.

usage: roundtrip.py AGENT REC_ROUNDTRIP PCAP_DIR OUT_DIR
"""
import glob
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402


def run(cmd, out, ok_codes=(0, 1)):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode not in ok_codes:
        sys.exit(f"FAIL {' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    with open(out, "w") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    print(f"{os.path.basename(out)}: {len(lines)} records", flush=True)
    return out


def main():
    agent, tool, pcaps, outdir = sys.argv[1:5]
    os.makedirs(outdir, exist_ok=True)
    port = pick_port(socket.SOCK_DGRAM)
    refl = subprocess.Popen([agent, "reflect", "--listen", f"127.0.0.1:{port}", "--quiet"])
    files = []
    try:
        time.sleep(0.3)
        target = f"127.0.0.1:{port}"
        files.append(run([agent, "test", target, "--duration", "2s", "--interval", "1s",
                          "--class", "all", "--site", "rt", "--json", "--quiet"],
                         os.path.join(outdir, "test.jsonl")))
        # the max-rate cap keeps the ramp to two short steps; the record carries max_rate_bps
        files.append(run([agent, "capacity", target, "--step", "2s", "--interval", "1s",
                          "--max-rate", "120k", "--site", "rt", "--json", "--quiet"],
                         os.path.join(outdir, "capacity.jsonl")))
    finally:
        refl.terminate()
        refl.wait()
    for pcap in sorted(glob.glob(os.path.join(pcaps, "*.pcap"))):
        name = os.path.basename(pcap)
        out = os.path.join(outdir, f"capture-{name}.jsonl")
        r = subprocess.run([agent, "capture", "--read", pcap, "--site", "rt", "--json"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 2:  # a corrupt file: one line on stderr, no record
            print(f"{name}: refused ({r.stderr.strip()[:80]})")
            continue
        files.append(run([agent, "capture", "--read", pcap, "--site", "rt", "--json"], out))
    r = subprocess.run([tool] + files, capture_output=True, text=True, timeout=60)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    counts = dict(ln.split() for ln in r.stdout.splitlines() if len(ln.split()) == 2)
    for t in ("interval", "summary", "capacity", "capture"):
        if int(counts.get(t, "0")) == 0:
            print(f"FAIL no {t} record was produced")
            return 1
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
