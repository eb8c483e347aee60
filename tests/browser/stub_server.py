#!/usr/bin/env python3
"""Stand-in for `voiceready-collector serve` for the dashboard test, until the real server exists.

Serves collector/web as static files and the read API of collector/API.md with a seeded,
deterministic data set:
  hq            Ready      every interval passes
  branch-lyon   At risk    jitter spikes in the morning peak (about 3 % of intervals fail)
  branch-oslo   Not ready  loss in the afternoon peak, and DSCP EF rewritten to 0 forward on audio
  depot-quiet   No data    no interval in the window
With --extra-sites N it adds N generated sites (for the 1,000-site list check).

Usage: stub_server.py [--port 0] [--web DIR] [--extra-sites N]
Prints "listening http://127.0.0.1:PORT/" on stdout once it accepts connections.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import urllib.parse
from functools import lru_cache
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

STEP_S = 15
DAY_S = 86400
TARGET = "reflector-1.example:5004"
CLASSES = [("audio", 46), ("video", 34)]
# DESIGN §6 client thresholds.
RTT_MAX_MS, LOSS_MAX_PCT, JITTER_MAX_MS = 100.0, 1.0, 30.0

NOW = int(dt.datetime.now(dt.timezone.utc).timestamp()) // STEP_S * STEP_S


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hhmm(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M")


def hour_of(t):
    return (t % DAY_S) / 3600.0


SEEDED = {
    "hq": {"kind": "ready"},
    "branch-lyon": {"kind": "at_risk"},
    "branch-oslo": {"kind": "not_ready"},
    "depot-quiet": {"kind": "no_data"},
    "depot-silent": {"kind": "silent"},  # measured Ready, but its agent stopped 6 h ago
    "depot-new": {"kind": "never_reported"},  # configured, never reported
}
SILENT_S = 6 * 3600


def point(kind, cls, t, rnd):
    """One interval's metrics for a site of the given kind."""
    h = hour_of(t)
    base_rtt = 18.0 if cls == "audio" else 19.0
    p = {
        "rtt_ms": base_rtt + 3 * math.sin(t / 3000.0) + rnd.random() * 2,
        "jitter_fwd_ms": 2.0 + rnd.random() * 1.5,
        "jitter_rev_ms": 1.5 + rnd.random() * 1.2,
        "loss_fwd_pct": 0.0 if rnd.random() < 0.9 else 0.13,
        "loss_rev_pct": 0.0 if rnd.random() < 0.95 else 0.13,
    }
    if kind == "at_risk" and 9.0 <= h < 10.0 and rnd.random() < 0.7:
        p["jitter_fwd_ms"] = 32.0 + rnd.random() * 14  # Wi-Fi contention at the morning peak
    if kind == "not_ready":
        p["rtt_ms"] += 40
        if 13.0 <= h < 15.0:
            p["loss_fwd_pct"] = 1.5 + rnd.random() * 2.5  # congested uplink in the peak
            p["rtt_ms"] += 30 + rnd.random() * 20
    p["rtt_p95_ms"] = p["rtt_ms"] * 1.3
    # A rough E-model shape: enough for a plausible chart.
    loss = max(p["loss_fwd_pct"], p["loss_rev_pct"])
    p["mos"] = max(1.0, min(4.4, 4.4 - 0.012 * p["rtt_ms"] / 2 - 0.35 * loss
                            - 0.01 * p["jitter_fwd_ms"]))
    reasons = []
    if p["loss_fwd_pct"] >= LOSS_MAX_PCT:
        reasons.append(f"loss {p['loss_fwd_pct']:.1f} % forward, {cls}")
    if p["jitter_fwd_ms"] >= JITTER_MAX_MS:
        reasons.append(f"jitter {p['jitter_fwd_ms']:.1f} ms forward, {cls}")
    if p["rtt_ms"] >= RTT_MAX_MS:
        reasons.append(f"RTT {p['rtt_ms']:.0f} ms, {cls}")
    p["verdict"] = "fail" if reasons else "pass"
    for k in list(p):
        if isinstance(p[k], float):
            p[k] = round(p[k], 3)
    return p, reasons


@lru_cache(maxsize=None)
def site_data(name):
    kind = SEEDED[name]["kind"]
    rnd = random.Random(name)  # deterministic per site
    series, classes, failing = [], [], []
    marks_rewritten = False
    if kind == "never_reported":
        return {"kind": kind, "series": [], "classes": [], "failing": [], "last_seen": None,
                "marks_rewritten": False}
    if kind == "silent":  # the data of a Ready site: its figures stay visible
        kind = "ready"
    if kind == "no_data":
        return {"kind": kind, "series": [], "classes": [], "failing": [],
                "last_seen": NOW - 3 * DAY_S, "marks_rewritten": False}
    for cls, dscp in CLASSES:
        pts = []
        for t in range(NOW - DAY_S + STEP_S, NOW + 1, STEP_S):
            p, reasons = point(kind, cls, t, rnd)
            pts.append(dict(t=iso(t), **p))
            if reasons:
                failing.append({"start": iso(t), "class": cls, "target": TARGET,
                                "verdict": "fail", "reasons": reasons, "_t": t})
        passed = sum(1 for p in pts if p["verdict"] == "pass")

        def mean(field):
            return round(sum(p[field] for p in pts) / len(pts), 3)

        rewrite = kind == "not_ready" and cls == "audio"
        marks_rewritten |= rewrite
        fwd_seen = {str(dscp): 120} if rewrite else {str(dscp): 431000}
        if rewrite:
            fwd_seen["0"] = 430880  # a hop re-marks EF to best effort on the way out
        classes.append({
            "class": cls, "target": TARGET, "link": "wired" if kind != "at_risk" else "wifi",
            "dscp": dscp, "intervals": len(pts), "passed": passed,
            "loss_fwd_pct": mean("loss_fwd_pct"), "loss_rev_pct": mean("loss_rev_pct"),
            "rtt_ms_mean": mean("rtt_ms"), "jitter_fwd_ms": mean("jitter_fwd_ms"),
            "jitter_rev_ms": mean("jitter_rev_ms"), "mos": mean("mos"),
            "dscp_fwd_preserved_pct": round(100.0 * fwd_seen[str(dscp)] / sum(fwd_seen.values()), 2),
            "dscp_rev_preserved_pct": 100.0,
            "dscp_fwd_seen": fwd_seen, "dscp_rev_seen": {str(dscp): 431000},
        })
        series.append({"class": cls, "target": TARGET, "points": pts})
    failing.sort(key=lambda f: f["_t"], reverse=True)
    return {"kind": SEEDED[name]["kind"], "series": series, "classes": classes, "failing": failing,
            "last_seen": NOW - 7, "marks_rewritten": marks_rewritten}


def failing_reason(d):
    """The DESIGN §6 style reason for the failing intervals: metric, class, when, how many."""
    if not d["failing"]:
        return None
    first, last = d["failing"][-1], d["failing"][0]
    metric = first["reasons"][0].split(",")[0]
    # counted against that class's intervals, as common/score.c words it
    total = sum(c["intervals"] for c in d["classes"] if c["class"] == first["class"])
    return (f"{metric}, {first['class']}, {hhmm(first['_t'])}–{hhmm(last['_t'] + STEP_S)} UTC, "
            f"{len(d['failing'])} of {total} {first['class']} intervals")


def dscp_reason(d):
    for c in d["classes"]:
        if c["dscp_fwd_preserved_pct"] < 99:
            return (f"DSCP {c['dscp']} rewritten forward, {c['class']}: "
                    f"{c['dscp_fwd_preserved_pct']:.1f} % kept")
    return None


def summary(name):
    if name not in SEEDED:
        # Generated site: a synthetic row, so that 1,000 of them cost nothing to list.
        n = int(name.rsplit("-", 1)[1])
        verdict = ["ready", "ready", "ready", "at_risk", "not_ready", "no_data"][n % 6]
        score = {"ready": 99.8, "at_risk": 96.5, "not_ready": 80.0 + n % 10, "no_data": None}
        reason = {"at_risk": f"jitter 35.0 ms forward, audio, 09:{n % 60:02d}–10:00 UTC",
                  "not_ready": f"loss {1 + n % 5}.2 % forward, video, 13:00–15:00 UTC"}
        return {"site": name, "verdict": verdict, "score_pct": score[verdict], "intervals": 11520,
                "passed": 11000, "worst_reason": reason.get(verdict),
                "last_seen": iso(NOW - (n * 37) % 5000), "agents": 1, "marks_rewritten": False}
    d = site_data(name)
    total = sum(c["intervals"] for c in d["classes"])
    passed = sum(c["passed"] for c in d["classes"])
    if total == 0:
        verdict, score = "no_data", None
    else:
        score = round(100.0 * passed / total, 1)
        verdict = ("ready" if score >= 99 and not d["marks_rewritten"]
                   else "at_risk" if score >= 95 else "not_ready")
    reasons = [r for r in (failing_reason(d), dscp_reason(d)) if r]
    liveness, upload = "live", d["last_seen"]
    if d["kind"] == "silent":
        liveness, upload, verdict = "silent", NOW - SILENT_S, "silent"
        reasons.insert(0, f"no results since {hhmm(upload)} UTC, 6 h ago")
    if d["kind"] == "never_reported":
        liveness, upload = "never_reported", None
        reasons = ["never reported"]
    return {"site": name, "verdict": verdict, "score_pct": score, "intervals": total,
            "passed": passed, "worst_reason": reasons[0] if reasons else None,
            "last_seen": iso(d["last_seen"]) if d["last_seen"] else None,
            "agents": 1 if total else 0, "liveness": liveness,
            "last_upload": iso(upload) if upload else None,
            "marks_rewritten": d["marks_rewritten"], "_reasons": reasons}


def agent_list(name, s):
    if s["last_upload"] is None:
        return []
    return [{"agent": f"{name}-agent", "version": "0.9.0", "last_upload": s["last_upload"],
             "spool_records": 0, "quarantined": 0, "clock_sync": "synced", "links": ["wired"],
             "liveness": "silent" if s["liveness"] == "silent" else "live"}]


class Handler(SimpleHTTPRequestHandler):
    sites = list(SEEDED)

    def log_message(self, fmt, *args):  # quiet: the test prints what matters
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        if parts[:3] == ["api", "v1", "sites"]:
            return self.api(parts[3:])
        if url.path == "/healthz":
            return self.send_json(200, {"status": "ok", "db": "ok"})
        return super().do_GET()

    def api(self, rest):
        if not rest:
            rank = {"not_ready": 0, "silent": 1, "at_risk": 2, "ready": 3, "no_data": 4}
            sites = sorted(({k: v for k, v in summary(n).items() if k != "_reasons"}
                            for n in self.sites),
                           key=lambda s: (rank[s["verdict"]], s["site"]))
            return self.send_json(200, {"generated": iso(NOW), "window_s": DAY_S, "sites": sites})
        name = rest[0]
        if name not in SEEDED:  # generated sites have a list row only
            return self.send_json(404, {"error": f"unknown site \"{name}\": see GET /api/v1/sites"})
        d = site_data(name)
        if len(rest) == 1:
            s = summary(name)
            reasons = s.pop("_reasons")
            failing = [{k: v for k, v in f.items() if k != "_t"} for f in d["failing"][:100]]
            return self.send_json(200, {**s, "reasons": reasons, "classes": d["classes"],
                                        "failing": failing, "agent_list": agent_list(name, s)})
        if rest[1:] == ["intervals"]:
            return self.send_json(200, {"site": name, "series": d["series"]})
        return self.send_json(404, {"error": "unknown path"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--web", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "..", "collector", "web"))
    ap.add_argument("--extra-sites", type=int, default=0)
    args = ap.parse_args()
    Handler.sites = list(SEEDED) + [f"site-{i:04d}" for i in range(args.extra_sites)]
    web = os.path.abspath(args.web)

    class WebHandler(Handler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=web, **kw)

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), WebHandler)
    print(f"listening http://127.0.0.1:{srv.server_address[1]}/", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
