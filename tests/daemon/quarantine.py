#!/usr/bin/env python3
"""One bad record never blocks an agent (issue 11 item 1): a record the collector must refuse is
put in a stopped agent's spool; once the daemon runs again that record lands in the quarantine
with the collector's reason, every other record is stored, and new records keep flowing.
`spool list --json`, `spool retry` (refused again: back in the quarantine, still one) and
`spool drop` act on it; `[agent] record_log` lists every record the daemon produced and the
collector holds each of them. The agent's status line shows its quarantine on the site page.

usage: quarantine.py AGENT COLLECTOR   (loopback only)
"""
import glob
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILS.append(what)


def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.25)
    raise SystemExit("FAIL timed out waiting for " + what)


def main():
    agent, collector = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="vr-quar.")
    db, spool = os.path.join(work, "vr.db"), os.path.join(work, "spool")
    http, refl = pick_port(socket.SOCK_STREAM), pick_port(socket.SOCK_DGRAM)
    procs = []
    logs = {}

    def start(argv, log):
        logs[log] = os.path.join(work, log)
        p = subprocess.Popen(argv, stdout=open(logs[log], "ab"), stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def ids_in_db():
        con = sqlite3.connect(db)
        try:
            out = set()
            for t in ("records", "capacity", "captures"):
                try:
                    out |= {r[0] for r in con.execute("SELECT rid FROM %s" % t)}
                except sqlite3.OperationalError:
                    pass
            return out
        finally:
            con.close()

    def spool_cmd(*args):
        return subprocess.run([agent, "spool", *args, "--config", conf], capture_output=True,
                              text=True, timeout=30)

    def listed():
        r = spool_cmd("list", "--json")
        return json.loads(r.stdout) if r.returncode == 0 else None

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}", timeout=10) as r:
            return json.loads(r.read())

    conf = os.path.join(work, "agent.conf")
    rlog = os.path.join(work, "produced.log")
    ag = None
    try:
        start([agent, "reflect", "--listen", f"127.0.0.1:{refl}", "--quiet"], "reflector.log")
        start([collector, "serve", "--listen", f"127.0.0.1:{http}", "--db", db], "collector.log")
        wait_for(lambda: os.path.exists(db), 10, "the collector's database")
        time.sleep(0.5)
        token = subprocess.run([collector, "token", "add", "--site", "q", "--db", db], check=True,
                               capture_output=True, text=True).stdout.split()[-1]
        with open(conf, "w") as f:
            f.write(f"[agent]\nname = a1\nsite = q\nrecord_log = {rlog}\n[collector]\n"
                    f"url = http://127.0.0.1:{http}\ntoken = {token}\nspool_dir = {spool}\n"
                    f"[continuous]\ninterval = 1s\n[target t]\nhost = 127.0.0.1:{refl}\n"
                    f"classes = audio\n")
        # the collector down while the agent produces: records wait in the spool
        procs[-1].terminate()
        procs[-1].wait()
        ag = start([agent, "run", "--config", conf], "agent.log")
        wait_for(lambda: glob.glob(os.path.join(spool, "seg-*.jsonl")) and
                 os.path.getsize(sorted(glob.glob(os.path.join(spool, "seg-*.jsonl")))[-1]) > 0,
                 30, "spooled records")
        time.sleep(3)
        ag.send_signal(signal.SIGKILL)
        ag.wait()
        seg = sorted(glob.glob(os.path.join(spool, "seg-*.jsonl")))[-1]
        with open(seg) as f:
            good = json.loads(f.readline())
        bad = dict(good, id=good["id"] + "-bad", loss_fwd_pct=-5)
        with open(seg, "a") as f:
            f.write(json.dumps(bad) + "\n")
        start([collector, "serve", "--listen", f"127.0.0.1:{http}", "--db", db], "collector.log")
        ag = start([agent, "run", "--config", conf], "agent.log")

        j = wait_for(lambda: (lambda x: x if x and x["quarantined"] == 1 else None)(listed()),
                     60, "the bad record in the quarantine")
        r0 = j["records"][0]
        check(r0["id"] == bad["id"] and r0["field"] == "loss_fwd_pct" and r0["error"]
              and r0["type"] == "interval" and r0["record"]["loss_fwd_pct"] == -5,
              "spool list --json: the record, the collector's field and reason (%s)"
              % {k: r0[k] for k in ("id", "field", "error")})
        # the rest flows: records produced after it are stored
        n0 = len(ids_in_db())
        wait_for(lambda: len(ids_in_db()) > n0 + 2, 30, "new records stored after the bad one")
        check(True, "uploads go on past the refused record (%d stored)" % len(ids_in_db()))
        alog = open(logs["agent.log"]).read()
        check("collector refused record %s: loss_fwd_pct" % bad["id"] in alog
              and "kept in quarantine (1 held)" in alog, "the agent's log names it")
        ag_list = wait_for(lambda: [a for a in get("/api/v1/sites/q")["agent_list"]
                                    if a["quarantined"] == 1], 30, "the site page's quarantine")
        check(ag_list[0]["agent"] == "a1" and ag_list[0]["version"],
              "site page: agent a1 with 1 quarantined record")
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=10) as r:
            m = r.read().decode()
        check('voiceready_agent_quarantined_records{site="q",agent="a1"} 1' in m
              and "voiceready_collector_records_rejected_total 1" in m,
              "metrics: the agent's quarantine and the collector's rejected line")

        # retry with the daemon running: sent again, refused again, back in quarantine, still 1
        r = spool_cmd("retry", bad["id"])
        check(r.returncode == 0 and "running daemon" in r.stdout, "spool retry: %s" % r.stdout)
        wait_for(lambda: "spool: 1 records from the quarantine are back" in
                 open(logs["agent.log"]).read(), 30, "the daemon taking the retried record")
        j = wait_for(lambda: (lambda x: x if x and x["quarantined"] == 1 else None)(listed()),
                     30, "the record back in the quarantine")
        check(open(logs["agent.log"]).read().count("collector refused record %s" % bad["id"]) == 2,
              "retried: refused again, quarantined again, still one entry")
        r = spool_cmd("drop", "no-such-id")
        check(r.returncode == 1 and "no record" in r.stderr, "drop of an unknown id: exit 1")
        r = spool_cmd("drop", bad["id"])
        check(r.returncode == 0 and listed()["quarantined"] == 0, "spool drop empties it")

        ag.send_signal(signal.SIGTERM)
        check(ag.wait(timeout=60) == 0, "agent stops cleanly")
        produced = [l.split() for l in open(rlog) if l.strip()]
        pids = {p[2] for p in produced}
        stored = ids_in_db()
        check(len(produced) == len(pids) and len(pids) > 5,
              "record_log: %d records, each once" % len(pids))
        check(pids <= stored, "every produced record is stored (%d missing)" % len(pids - stored))
        check(bad["id"] not in stored, "the refused record is not stored")
        check("select/poll" not in open(logs["agent.log"]).read(), "no select/poll error logged")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    if FAILS:
        print("FAIL %d checks (work directory kept: %s)" % (len(FAILS), work))
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("PASS daemon.quarantine")


if __name__ == "__main__":
    main()
