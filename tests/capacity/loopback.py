#!/usr/bin/env python3
"""`voiceready-agent capacity` on loopback, no root needed: the --max-rate cap, Ctrl-C (the
record still comes, limit "interrupted", exit 1), no reflector (exit 2) and bad options (exit 2,
one line naming the option).

usage: loopback.py AGENT CASE   (CASE: max_rate | interrupt | errors)
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

import socket  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def records(out):
    recs = []
    for line in out.splitlines():
        line = line.strip()
        if line:
            recs.append(json.loads(line))
    return recs


def start_reflector(agent):
    port = pick_port(socket.SOCK_DGRAM)
    p = subprocess.Popen([agent, "reflect", "--listen", f"127.0.0.1:{port}", "--quiet"])
    time.sleep(0.3)
    return p, port


def case_max_rate(agent):
    refl, port = start_reflector(agent)
    try:
        # audio is 51.2 kbit/s per call over IPv4: 300k allows 5 calls (256 kbit/s)
        r = subprocess.run([agent, "capacity", f"127.0.0.1:{port}", "--step", "2s", "--interval",
                            "1s", "--max-rate", "300k", "--json"], capture_output=True,
                           text=True, timeout=40)
    finally:
        refl.terminate()
        refl.wait()
    recs = records(r.stdout)
    cap = recs[-1] if recs else {}
    check(r.returncode == 0, f"exit 0 (got {r.returncode}; stderr {r.stderr.strip()[:200]})")
    check(cap.get("type") == "capacity", "the last line is the capacity record")
    check(cap.get("limit") == "max_rate", f"limit max_rate (got {cap.get('limit')})")
    check(cap.get("capacity_calls") == 5, f"capacity 5 calls (got {cap.get('capacity_calls')})")
    check([s["calls"] for s in cap.get("steps", [])] == [1, 2, 4, 5], "ramp 1, 2, 4, 5")
    check(all(s["bps_fwd"] <= 300e3 for s in cap.get("steps", [])), "no step above 300 kbit/s")
    ivs = [x for x in recs if x.get("type") == "interval"]
    check(len(ivs) == 8, f"two interval records per step (got {len(ivs)})")
    check(all("step_calls" in x for x in ivs), "interval records carry step_calls")
    check(not any(x.get("type") == "summary" for x in recs), "no summary records")
    check(cap.get("first_failure") is None and cap.get("cause") == "none", "nothing failed")


def case_interrupt(agent):
    refl, port = start_reflector(agent)
    try:
        p = subprocess.Popen([agent, "capacity", f"127.0.0.1:{port}", "--step", "4s",
                              "--interval", "2s", "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(6.5)  # inside step 2
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
        took = time.monotonic() - t0
    finally:
        refl.terminate()
        refl.wait()
    recs = records(out)
    cap = recs[-1] if recs else {}
    check(p.returncode == 1, f"exit 1 when interrupted (got {p.returncode}; {err.strip()[:200]})")
    print(f"# stopped {took:.1f} s after Ctrl-C")
    check(cap.get("type") == "capacity", "the capacity record is still printed")
    check(cap.get("limit") == "interrupted", f"limit interrupted (got {cap.get('limit')})")
    steps = cap.get("steps", [])
    check(len(steps) == 2 and steps[-1].get("stopped") == "interrupted",
          "two steps, the second interrupted")
    check(cap.get("capacity_calls") == 1, f"capacity 1 (the completed step; got "
                                          f"{cap.get('capacity_calls')})")
    check(cap.get("verdict") == "warn", "verdict warn: a lower bound only")


def case_errors(agent):
    port = pick_port(socket.SOCK_DGRAM)
    r = subprocess.run([agent, "capacity", f"127.0.0.1:{port}", "--step", "2s", "--interval",
                        "1s"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 2, f"no reflector: exit 2 (got {r.returncode})")
    check("reflect" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          f"no reflector: one line naming the fix: {r.stderr.strip()[:160]}")
    for args, word in ((["--max-rate", "10x"], "--max-rate"), (["--mix", "voice=1"], "--mix"),
                       (["--step", "5s", "--interval", "3s"], "--step"),
                       (["--step", "9s", "--interval", "2s"], "--step"),
                       (["--max-calls", "0"], "--max-calls"), (["--max-rate", "20k"], "--max-rate"),
                       (["--profile", "opus"], "--profile"), (["--loss-stop", "0"], "--loss-stop"),
                       (["--bogus"], "--bogus")):
        r = subprocess.run([agent, "capacity", f"127.0.0.1:{port}"] + args, capture_output=True,
                           text=True, timeout=10)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and word in lines[0],
              f"{' '.join(args)}: exit 2, one line naming {word} ({r.stderr.strip()[:120]})")
    r = subprocess.run([agent, "capacity", "--help"], capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and "--max-rate" in r.stdout and "Exit status" in r.stdout, "--help")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    agent, case = sys.argv[1], sys.argv[2]
    {"max_rate": case_max_rate, "interrupt": case_interrupt, "errors": case_errors}[case](agent)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
