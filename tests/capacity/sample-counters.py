#!/usr/bin/env python3
"""Samples the lab's probe-flow nft counters (table inet vrcap) every 250 ms until killed and
prints "monotonic_s fwd_bytes rev_bytes" per line (run inside the wan namespace)."""
import json
import signal
import subprocess
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def sample():
    out = subprocess.run(["nft", "-j", "list", "table", "inet", "vrcap"], check=True,
                         capture_output=True, text=True).stdout
    got = {}
    for item in json.loads(out)["nftables"]:
        c = item.get("counter")
        if c:
            got[c["name"]] = c["bytes"]
    return got.get("probe_fwd", 0), got.get("probe_rev", 0)


while True:
    t0 = time.monotonic()
    fwd, rev = sample()
    t1 = time.monotonic()
    # the counter was read somewhere in [t0, t1]: stamp the middle
    print(f"{(t0 + t1) / 2:.4f} {fwd} {rev}", flush=True)
    time.sleep(max(0.0, 0.25 - (time.monotonic() - t0)))
