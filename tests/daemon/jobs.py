#!/usr/bin/env python3
"""The daemon's scheduled capacity run and its [capture] section, on loopback (issue 6, issue 5).

An agent daemon with one target (a local reflector), a continuous test, a capacity schedule whose
window is open now, and a capture on the loopback interface filtered to the reflector's port.
The collector URL points nowhere, so every record stays in the spool, where it is read back.
Known truth:
 - loopback carries 4 audio calls easily: the ramp (1, 2, 4) ends at max_calls = 4 with limit
   "max_calls", and exactly one capacity record is spooled (its steps' interval records are not:
   they would count against the site's verdict);
 - the continuous test pauses during the ramp: no continuous interval starts inside the ramp's
   time span, and the continuous test resumes afterwards;
 - the capture sees the probe streams as RTP: capture records for the reflector's port, each
   with packets > 0, and no loss on loopback;
 - a second pass of the same window does not start a second ramp.

usage: jobs.py AGENT   (loopback only; needs CAP_NET_RAW for the capture: exits 77 without)
"""
import datetime
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILS.append(what)


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def spooled(spool):
    recs = []
    for path in sorted(glob.glob(os.path.join(spool, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        recs.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass  # a torn last line of a live segment
    return recs


def main():
    agent = sys.argv[1]
    if os.geteuid() != 0:
        print("skip: the capture needs CAP_NET_RAW (run as root)")
        return 77
    work = tempfile.mkdtemp(prefix="vr-jobs-")
    port = pick_port(socket.SOCK_DGRAM)
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    now = time.localtime()
    start = "%02d:%02d" % (now.tm_hour, now.tm_min)
    end_t = time.localtime(time.time() + 40 * 60)
    end = "%02d:%02d" % (end_t.tm_hour, end_t.tm_min)
    conf = os.path.join(work, "agent.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"""[agent]
name = jobs-agent
site = jobs-site
[collector]
url = http://127.0.0.1:9
token = unused
spool_dir = {spool}
[continuous]
interval = 2s
[target loop]
host = 127.0.0.1:{port}
classes = audio
[schedule ramp]
type = capacity
target = loop
window = {start}-{end}
mix = audio=1
max_calls = 4
step = 4s
interval = 2s
[capture]
interface = lo
filter = udp port {port}
idle = 2s
""")
    procs = []
    try:
        refl = subprocess.Popen([agent, "reflect", "--listen", f"127.0.0.1:{port}", "--quiet"])
        procs.append(refl)
        time.sleep(0.3)
        log = open(os.path.join(work, "agent.log"), "wb")
        ag = subprocess.Popen([agent, "run", "--config", conf], stdout=log,
                              stderr=subprocess.STDOUT)
        procs.append(ag)
        # the ramp: 3 steps of 4 s plus pauses; then the continuous test resumes
        deadline = time.time() + 60
        resumed = False
        while time.time() < deadline and not resumed:
            time.sleep(1)
            text = open(os.path.join(work, "agent.log"), encoding="utf-8").read()
            if "capacity run done" in text:
                after = text.split("capacity run done", 1)[1]
                resumed = "continuous test started" in after
        time.sleep(8)  # continuous intervals after the ramp; capture idles streams out (2 s)
        ag.send_signal(signal.SIGTERM)
        ag.wait(timeout=30)
        log.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    text = open(os.path.join(work, "agent.log"), encoding="utf-8").read()
    sys.stdout.write(text[-3000:])
    recs = spooled(spool)
    caps = [r for r in recs if r.get("type") == "capacity"]
    check(len(caps) == 1, "exactly one capacity record spooled (%d)" % len(caps))
    check(text.count("capacity run started") == 1, "one ramp per window occurrence")
    check(resumed, "the continuous test resumed after the ramp")
    if caps:
        c = caps[0]
        check(c.get("capacity_calls") == 4 and c.get("limit") == "max_calls",
              "loopback carries max_calls = 4 (%s calls, limit %s)"
              % (c.get("capacity_calls"), c.get("limit")))
        check(c.get("agent") == "jobs-agent" and c.get("site") == "jobs-site",
              "capacity record names the agent and site")
        t0 = parse_time(c["start"])
        t1 = t0 + float(c["duration_s"])
        inside = [r for r in recs if r.get("type") == "interval"
                  and t0 + 0.5 < parse_time(r["start"]) < t1 - 0.5]
        check(not inside, "no interval record (continuous or ramp step) inside the ramp's span "
              "(%d found)" % len(inside))
        later = [r for r in recs if r.get("type") == "interval" and parse_time(r["start"]) >= t1]
        check(len(later) >= 1, "continuous intervals after the ramp (%d)" % len(later))
    captured = [r for r in recs if r.get("type") == "capture"]
    ours = [r for r in captured if r.get("dst", "").endswith(":%d" % port)
            or r.get("src", "").endswith(":%d" % port)]
    check(len(ours) >= 2, "capture records for the reflector's port (%d)" % len(ours))
    check(all(r.get("packets", 0) > 0 and r.get("lost", 1) == 0 for r in ours),
          "captured streams: packets counted, no loss on loopback")
    check(all(r.get("agent") == "jobs-agent" for r in ours), "capture records name the agent")
    if FAILS:
        print("work dir kept: %s" % work)
        return 1
    subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
