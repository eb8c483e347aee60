#!/usr/bin/env python3
"""No loss, no duplicates (issue 4): an agent daemon produces records while
 (a) the collector is killed with SIGKILL and restarted,
 (b) the agent is killed with SIGKILL and restarted (same spool),
 (c) the collector is down for DOWN_S seconds (default 300: five minutes of records).
Then the agent is stopped with SIGTERM and the collector must hold exactly the records produced,
each once. The truth: each run's interval records are numbered by epoch (ids
"<agent>-<tag><t0 ms>-<class>-<epoch>"), so a lost record is a gap, a duplicate is a repeat; a
run stopped cleanly ends with one summary per class; a killed run may only lack the intervals
that were not finished when it died (at most the last two epochs before the kill).

usage: noloss.py AGENT COLLECTOR [--down SECONDS]   (loopback only)
"""
import argparse
import collections
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

INTERVAL_S = 1
CLASSES = ["audio", "video"]


def free_port():
    return pick_port(socket.SOCK_STREAM)


class Lab:
    def __init__(self, agent, collector, work):
        self.agent, self.collector, self.work = agent, collector, work
        self.db = os.path.join(work, "vr.db")
        self.http = free_port()
        self.refl = pick_port(socket.SOCK_DGRAM)
        self.procs = []
        self.col = self.ag = None

    def start(self, argv, log):
        p = subprocess.Popen(argv, stdout=open(os.path.join(self.work, log), "ab"),
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def start_collector(self):
        self.col = self.start([self.collector, "serve", "--listen", f"127.0.0.1:{self.http}",
                               "--db", self.db], "collector.log")
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.http), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("collector did not start")

    def start_agent(self):
        self.ag = self.start([self.agent, "run", "--config", os.path.join(self.work, "agent.conf")],
                             "agent.log")

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("agent")
    ap.add_argument("collector")
    ap.add_argument("--down", type=float, default=float(os.environ.get("VR_NOLOSS_DOWN_S", 300)))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vr-noloss.")
    lab = Lab(args.agent, args.collector, work)
    kills = []  # (wall time of a SIGKILL of the agent)
    try:
        lab.start([args.agent, "reflect", "--listen", f"127.0.0.1:{lab.refl}", "--quiet"],
                  "reflector.log")
        lab.start_collector()  # serve creates the database; token add only opens it
        token = subprocess.run([args.collector, "token", "add", "--site", "lab", "--db", lab.db],
                               check=True, capture_output=True, text=True).stdout.split()[-1]
        with open(os.path.join(work, "agent.conf"), "w") as f:
            f.write(f"[agent]\nname = a1\nsite = lab\n[collector]\nurl = http://127.0.0.1:{lab.http}\n"
                    f"token = {token}\nspool_dir = {work}/spool\n[continuous]\n"
                    f"interval = {INTERVAL_S}s\n[target t]\nhost = 127.0.0.1:{lab.refl}\n"
                    f"classes = {','.join(CLASSES)}\n")
        lab.start_agent()
        time.sleep(8)
        print("(a) collector SIGKILL, restart after 4 s", flush=True)
        lab.col.kill()
        lab.col.wait()
        time.sleep(4)
        lab.start_collector()
        time.sleep(6)
        print("(b) agent SIGKILL, restart after 2 s", flush=True)
        kills.append(time.time())
        lab.ag.kill()
        lab.ag.wait()
        time.sleep(2)
        lab.start_agent()
        time.sleep(6)
        print(f"(c) collector down for {args.down:.0f} s", flush=True)
        lab.col.terminate()
        lab.col.wait()
        time.sleep(args.down)
        lab.start_collector()
        time.sleep(5)
        print("agent SIGTERM: finish, upload, stop", flush=True)
        lab.ag.send_signal(signal.SIGTERM)
        rc = lab.ag.wait(timeout=60)
        if rc != 0:
            print(f"FAIL agent exit status {rc} (work directory kept: {work})")
            return 1
        time.sleep(1)
        rc = verify(lab, kills)
    finally:
        lab.stop_all()
    if rc == 0:
        shutil.rmtree(work, ignore_errors=True)  # kept on failure, for the logs and the database
    else:
        print(f"work directory kept: {work}")
    return rc


def verify(lab, kills):
    rids = [r[0] for r in sqlite3.connect(lab.db).execute("SELECT rid FROM records")]
    failures = []
    counts = collections.Counter(rids)
    dups = [r for r, n in counts.items() if n > 1]
    if dups:
        failures.append(f"{len(dups)} records stored more than once, e.g. {dups[:3]}")
    runs = collections.defaultdict(lambda: collections.defaultdict(set))
    summaries = collections.defaultdict(set)
    pat = re.compile(r"^(?P<run>.+)-(?P<cls>[a-z]+)-(?P<ep>\d+|summary)$")
    for r in counts:
        m = pat.match(r)
        if not m:
            failures.append(f"unexpected record id {r}")
            continue
        if m["ep"] == "summary":
            summaries[m["run"]].add(m["cls"])
        else:
            runs[m["run"]][m["cls"]].add(int(m["ep"]))
    if len(runs) != 2:
        failures.append(f"expected 2 agent runs (before and after the agent SIGKILL), got "
                        f"{sorted(runs)}")
    total = 0
    for run, by_cls in sorted(runs.items()):
        for cls in CLASSES:
            eps = sorted(by_cls.get(cls, ()))
            total += len(eps)
            if not eps or eps[0] != 0 or eps != list(range(eps[0], eps[-1] + 1)):
                missing = sorted(set(range(0, (eps[-1] if eps else 0) + 1)) - set(eps))
                failures.append(f"run {run} {cls}: intervals missing {missing[:10]}")
        t0_ms = int(re.search(r"(\d{13})$", run).group(1))
        last = min(max(by_cls[c]) for c in CLASSES if by_cls.get(c))
        if run in summaries:
            if summaries[run] != set(CLASSES):
                failures.append(f"run {run}: summaries for {sorted(summaries[run])} only")
        else:
            # killed: it may lack only what was unfinished when it died
            killed_at = [k for k in kills if k * 1000 > t0_ms]
            if not killed_at:
                failures.append(f"run {run} has no summary records although it was stopped cleanly")
            else:
                expect = int((killed_at[0] * 1000 - t0_ms) / 1000 / INTERVAL_S)
                if last < expect - 3:  # late timeout 3 s of unfinished intervals at the kill
                    failures.append(f"killed run {run}: last interval {last}, expected >= "
                                    f"{expect - 3}")
    print(f"{len(rids)} records stored, {total} interval records over {len(runs)} runs, "
          f"{len(dups)} duplicates")
    for f in failures:
        print("FAIL", f)
    print("ok: every record produced is stored exactly once" if not failures else "")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
