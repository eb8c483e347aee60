#!/usr/bin/env python3
"""Starts a real `voiceready-collector serve` (loopback, temporary database) holding the browser
test's seeded data set, for dashboard.test.mjs. The sites and verdicts match stub_server.py:
  hq            Ready      every interval passes
  branch-lyon   At risk    3 % of intervals fail on jitter forward (spread over the day)
  branch-oslo   Not ready  20 % fail on loss forward; EF rewritten to 0 forward on audio
  depot-quiet   No data    its only intervals are 3 days old, outside the 24 h window
  depot-silent  Silent     Ready data, but its silent_after (10 s) passes before the test looks
  depot-new     No data    in the config only: never reported
Records are DESIGN §5 interval records (60 s intervals, audio and video, last 24 h), POSTed with
one token per site like an agent would. hq also has a plan (collector config: 250 users, 15 %
peak concurrency, mix audio=1,video=0.3,sharing=0.1, growth 10 % = 42 planned calls), one
capacity record (60 calls: meets the plan, stays Ready), three capture records (real calls) and
an audio path over Wi-Fi beside the wired one (passing, more jitter); branch-oslo has a capacity
record but no plan.

Usage: seed_collector.py COLLECTOR_BINARY
Prints "listening http://127.0.0.1:PORT/" once seeded, then serves until SIGTERM.
"""
import copy
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

STEP_S = 60
DAY_S = 86400
TARGET = "reflector-1.example:5004"
CLASSES = [("audio", 46, "teams-audio"), ("video", 34, "teams-video")]
BATCH = 1000  # records per POST, well under the 4 MiB body limit

# One real interval record of `voiceready-agent test --json`, values replaced per interval.
TEMPLATE = json.loads("""{"type":"interval","schema":1,"id":"","agent":"","site":"",
"target":"","link":"wired","interface":"eth0","class":"audio","dscp":46,"profile":"teams-audio",
"start":"","duration_s":60.0,"calls":1,"sent":3000,"received":3000,"reflector_received":3000,
"loss_fwd_pct":0.0,"loss_rev_pct":0.0,"loss_pct":0.0,"burst_loss_max_pct":0.0,"duplicates":0,
"reorder_pct":0.0,"rtt_ms":{"min":0,"mean":0,"p50":0,"p95":0,"p99":0,"max":0},
"owd_fwd_ms":null,"owd_rev_ms":null,"clock_synced":false,"jitter_fwd_ms":0,"jitter_rev_ms":0,
"ipdv_fwd_ms":{"min":0.0,"mean":0.5,"p50":0.4,"p95":1.5,"p99":2.0,"max":3.0},
"ipdv_rev_ms":{"min":0.0,"mean":0.5,"p50":0.4,"p95":1.5,"p99":2.0,"max":3.0},
"dscp_fwd":{"preserved_pct":100.0,"received":{}},"dscp_rev":{"preserved_pct":100.0,"received":{}},
"ecn_fwd":{"not_ect":3000,"ect1":0,"ect0":0,"ce":0},"ecn_rev":{"not_ect":3000,"ect1":0,"ect0":0,"ce":0},
"mos":4.3,"late":0,"send_overruns":0,"verdict":"pass","reasons":[]}""")

# depot-silent first: its silent_after runs while the others are seeded
SITES = {"depot-silent": "silent", "hq": "ready", "branch-lyon": "at_risk",
         "branch-oslo": "not_ready", "depot-quiet": "no_data"}
SILENT_AFTER_S = 10
CONFIG = f"""[site depot-silent]
silent_after = {SILENT_AFTER_S}s

[site depot-new]
thresholds = client

[site hq]
users = 250
peak_concurrency_pct = 15%
mix = audio=1,video=0.3,sharing=0.1
growth_pct = 10
"""
HQ_CAPACITY = 60
BRANCH_OSLO_CAPACITY = 9


def capacity_record(site, calls, t):
    return {"type": "capacity", "schema": 1, "id": f"{site}-cap-1", "agent": f"{site}-agent",
            "site": site, "target": TARGET, "link": "wired", "interface": "eth0",
            "start": iso(t), "duration_s": 312.0, "mix": {"audio": 1.0},
            "profiles": {"audio": "teams-audio"}, "max_rate_bps": 10000000,
            "capacity_calls": calls, "capacity_bps_fwd": calls * 110400.0,
            "capacity_bps_rev": calls * 110400.0, "limit": "threshold",
            "first_failure": {"calls": calls + 4, "metric": "loss", "direction": "fwd",
                              "class": "audio", "value": 2.4, "threshold": 1.0,
                              "reason": "loss 2.4 % forward, audio"},
            "cause": "bandwidth",
            "steps": [{"calls": n, "duration_s": 30, "bps_fwd": n * 110400.0,
                       "bps_rev": n * 110400.0, "verdict": "pass", "loss_fwd_pct": 0.0,
                       "loss_rev_pct": 0.0, "jitter_fwd_ms": 1.0, "jitter_rev_ms": 1.0,
                       "rtt_p95_ms": 22.0, "dscp_preserved_fwd_pct": 100.0,
                       "dscp_preserved_rev_pct": 100.0, "reasons": []}
                      for n in (1, 2, 4, 8, 16, 32, calls)],
            "verdict": "pass", "reasons": []}


def capture_record(site, n, t, jitter, loss, verdict):
    return {"type": "capture", "schema": 1, "id": f"{site}-capt-{n}", "agent": f"{site}-agent",
            "site": site, "source": "eth0", "link": "wired", "start": iso(t), "duration_s": 600.0,
            "src": f"10.1.0.{20 + n}:{50010 + n}", "dst": "52.112.0.7:3479", "ssrc": "0x1a2b3c4d",
            "payload_type": 111, "clock_hz": 48000, "class": "audio", "packets": 30000,
            "expected": 30000 + round(300 * loss), "lost": round(300 * loss), "loss_pct": loss,
            "duplicates": 0, "reorder_pct": 0.0, "jitter_ms": jitter, "jitter_max_ms": jitter * 2,
            "max_delta_ms": 45.0, "dscp": {"46": 30000}, "mos": 4.3 if verdict == "pass" else 3.6,
            "verdict": verdict, "reasons": [] if verdict == "pass" else
            [f"loss {loss} % (threshold 1 %)"]}


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def record(site, kind, cls, dscp, profile, t, n, rnd):
    r = copy.deepcopy(TEMPLATE)
    r.update(id=f"{site}-agent-{cls}-{n}", agent=f"{site}-agent", site=site, target=TARGET,
             start=iso(t), **{"class": cls}, dscp=dscp, profile=profile)
    rtt = 20 + rnd.random() * 4
    jf, jr = 2 + rnd.random(), 1.5 + rnd.random()
    loss_f = 0.0
    verdict, reasons = "pass", []
    # Failures are spread evenly over the day so that peak weighting cannot change the verdict.
    if kind == "at_risk" and n % 33 == 0:
        jf = 38.0
        verdict, reasons = "fail", [f"jitter {jf:.1f} ms forward, {cls}"]
    if kind == "not_ready" and n % 5 == 0:
        loss_f = 2.5
        verdict, reasons = "fail", [f"loss {loss_f:.1f} % forward, {cls}"]
    lost = round(3000 * loss_f / 100)
    r.update(loss_fwd_pct=loss_f, loss_pct=loss_f / 2, received=3000 - lost,
             reflector_received=3000 - lost, jitter_fwd_ms=round(jf, 3),
             jitter_rev_ms=round(jr, 3), mos=round(4.35 - 0.3 * loss_f, 2))
    r["burst_loss_max_pct"] = 5.0 if loss_f else 0.0
    r["rtt_ms"] = {"min": round(rtt - 2, 3), "mean": round(rtt, 3), "p50": round(rtt, 3),
                   "p95": round(rtt + 3, 3), "p99": round(rtt + 4, 3), "max": round(rtt + 6, 3)}
    got = 3000 - lost
    if kind == "not_ready" and cls == "audio":
        # A hop re-marks EF to best effort on the way out (forward only).
        r["dscp_fwd"] = {"preserved_pct": 0.0, "received": {"0": got}}
        verdict = "fail"
        reasons = reasons + [f"DSCP {dscp} rewritten forward, {cls}"]
    else:
        r["dscp_fwd"] = {"preserved_pct": 100.0, "received": {str(dscp): got}}
    r["dscp_rev"] = {"preserved_pct": 100.0, "received": {str(dscp): got}}
    r.update(verdict=verdict, reasons=reasons)
    return r


def free_port():
    return pick_port(socket.SOCK_STREAM)


def post(url, token, lines):
    req = urllib.request.Request(url + "api/v1/records", data="\n".join(lines).encode() + b"\n",
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(req, timeout=60) as res:
        body = json.load(res)
    if len(body.get("stored", [])) + len(body.get("duplicates", [])) != len(lines):
        raise SystemExit(f"seed: collector stored {body} of {len(lines)} records")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="vr-browser-")
    db = os.path.join(tmp, "collector.db")
    tokens = {}
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(os.path.join(tmp, "collector.log"), "wb")
    conf = os.path.join(tmp, "collector.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    srv = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--db", db,
                            "--config", conf], stdout=log, stderr=log)
    # SIGTERM from the test unwinds through the finally below, wherever main is blocked.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        seed(binary, url, srv, tokens, tmp)
        print(f"listening {url}", flush=True)
        srv.wait()
    finally:
        if srv.poll() is None:
            srv.terminate()
            try:
                srv.wait(10)
            except subprocess.TimeoutExpired:
                srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def seed(binary, url, srv, tokens, tmp):
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "healthz", timeout=1).read()
            break
        except OSError:
            if srv.poll() is not None:
                raise SystemExit(f"seed: {binary} serve exited {srv.returncode}")
            time.sleep(0.1)
    # Tokens only once serve has created the database (token add never creates one).
    db = os.path.join(tmp, "collector.db")
    try:
        for site in SITES:
            out = subprocess.run([binary, "token", "add", "--site", site, "--db", db],
                                 capture_output=True, text=True, check=True).stdout.split()
            tokens[site] = out[-1]  # the token is printed once, last on stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"seed: {binary} token add failed: {e}")

    now = int(time.time()) // STEP_S * STEP_S
    silent_from = None
    for site, kind in SITES.items():
        rnd = random.Random(site)
        if kind == "silent":  # the data of a Ready site
            kind = "ready"
        end = now - 3 * DAY_S if kind == "no_data" else now
        count = 60 if kind == "no_data" else DAY_S // STEP_S
        lines = []
        for cls, dscp, profile in CLASSES:
            for n in range(count):
                t = end - (count - n) * STEP_S
                lines.append(json.dumps(record(site, kind, cls, dscp, profile, t, n, rnd)))
        if site == "hq":  # an audio path over Wi-Fi too: passing, with more jitter
            for n in range(count):
                r = record(site, kind, "audio", 46, "teams-audio", end - (count - n) * STEP_S, n,
                           rnd)
                r.update(id=f"{site}-agent-wifi-audio-{n}", link="wifi", interface="wlan0",
                         jitter_fwd_ms=8.0 + rnd.random(), jitter_rev_ms=6.0 + rnd.random())
                lines.append(json.dumps(r))
            lines.append(json.dumps(capacity_record(site, HQ_CAPACITY, now - 3 * 3600)))
            for n, (jit, loss, v) in enumerate([(3.1, 0.0, "pass"), (4.2, 0.1, "pass"),
                                                (12.5, 2.5, "fail")]):
                lines.append(json.dumps(capture_record(site, n, now - (n + 1) * 900, jit, loss,
                                                       v)))
        if site == "branch-oslo":
            lines.append(json.dumps(capacity_record(site, BRANCH_OSLO_CAPACITY, now - 7200)))
        for i in range(0, len(lines), BATCH):
            post(url, tokens[site], lines[i:i + BATCH])
        if SITES[site] == "silent":
            silent_from = time.monotonic()
    time.sleep(max(0.0, silent_from + SILENT_AFTER_S + 1 - time.monotonic()))


if __name__ == "__main__":
    main()
