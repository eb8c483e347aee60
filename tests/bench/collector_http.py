#!/usr/bin/env python3
"""Collector HTTP benchmark: ingest over HTTP/1.1 into a real `voiceready-collector serve`, the
site queries with a day of 1,000 sites loaded, and the agent-to-collector end-to-end delay.
Prints a table; see README.md ("collector_http.py") for the rows. Python standard library only.

usage: collector_http.py [--collector PATH] [--agent PATH] [--sites 1000] [--per-site 5760]
                         [--batch 500] [--clients 2] [--measure 1000000] [--load-budget 180]
                         [--calls 100] [--e2e 30s] [--keep]
  --collector / --agent default to $VR_COLLECTOR / $VR_AGENT, else the first of build-bench,
  build of this repository that has them (build Release: the figures mean little otherwise).
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

HOST = "127.0.0.1"
INTERVAL_S = 15  # the data set: 24 h of 15 s intervals per site
MARKERS = ("@@AGENT@@", "@@SITE@@", "@@ID@@", "@@START@@")


def find_binary(env, sub, name):
    if os.environ.get(env):
        return os.environ[env]
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    for b in ("build-bench", "build"):
        p = os.path.join(repo, b, sub, name)
        if os.access(p, os.X_OK):
            return p
    sys.exit(f"collector_http.py: no {name}: build it or pass --{sub}")


def free_tcp_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rfc3339_ms(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int(round(t * 1000)) % 1000:03d}Z"


def parse_rfc3339(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# ---- templates: real records of one `agent test` run, with holes for agent/site/id/start ----

def make_templates(agent, work):
    port = bl.free_udp_port()
    refl = bl.Child("reflect", [agent, "reflect", "--listen", f"{HOST}:{port}", "--quiet"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not bl.wait_bound(port, refl):
        sys.exit("collector_http.py: the reflector did not start")
    out = os.path.join(work, "template.jsonl")
    with open(out, "w") as f:
        subprocess.run([agent, "test", f"{HOST}:{port}", "--duration", "4s", "--interval", "1s",
                        "--class", "all", "--json", "--quiet"], stdout=f,
                       stderr=subprocess.DEVNULL, timeout=30)
    refl.stop()
    recs = [r for r in bl.read_jsonl(out) if r.get("type") == "interval"]
    audio = [r for r in recs if r.get("class") == "audio"]
    if not audio:
        sys.exit("collector_http.py: `agent test` produced no audio interval records")
    templates = []
    for r in audio:
        r = dict(r)
        r["agent"], r["site"], r["id"], r["start"] = MARKERS
        r["duration_s"] = float(INTERVAL_S)
        text = json.dumps(r, separators=(",", ":"))
        # split into literal parts around the four holes, in the order they occur
        parts, order, rest = [], [], text
        while True:
            hits = [(rest.find('"' + m + '"'), i) for i, m in enumerate(MARKERS)
                    if rest.find('"' + m + '"') >= 0]
            if not hits:
                break
            pos, i = min(hits)
            parts.append(rest[:pos + 1])
            order.append(i)
            rest = rest[pos + 1 + len(MARKERS[i]):]
        parts.append(rest)
        templates.append((parts, order))
    return templates, len(json.dumps(audio[0], separators=(",", ":"))) + 1


def record_line(tmpl, agent_name, site, rid, start):
    parts, order = tmpl
    vals = (agent_name, site, rid, start)
    out = [parts[0]]
    for k, i in enumerate(order):
        out.append(vals[i])
        out.append(parts[k + 1])
    return "".join(out)


def batch_body(templates, site_idx, b, batch, per_site, base_t):
    """Batch b of site site_idx: its records b*batch.. of one agent run started at base_t."""
    site = f"site{site_idx:04d}"
    agent_name = f"a{site_idx:04d}"
    t0_ms = int(base_t * 1000)
    lines = []
    for k in range(b * batch, min(per_site, (b + 1) * batch)):
        rid = f"{agent_name}-c0{t0_ms}-audio-{k}"
        start = rfc3339_ms(base_t + k * INTERVAL_S)
        lines.append(record_line(templates[k % len(templates)], agent_name, site, rid, start))
    return ("\n".join(lines) + "\n").encode(), len(lines)


# ---- client processes ----

def post_all(conn, jobs, tokens, lat):
    """POSTs (site_idx, body, n) jobs on one persistent connection; returns records stored."""
    stored = 0
    for site_idx, body, n in jobs:
        t = time.perf_counter()
        conn.request("POST", "/api/v1/records", body,
                     {"Authorization": "Bearer " + tokens[site_idx],
                      "Content-Type": "application/x-ndjson"})
        r = conn.getresponse()
        data = r.read()
        lat.append(time.perf_counter() - t)
        if r.status != 200:
            raise RuntimeError(f"POST: HTTP {r.status}: {data[:200]!r}")
        stored += len(json.loads(data)["stored"])
    return stored


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def client_main(w, args, port, templates, tokens, base_t, rounds_measured, rounds_total,
                deadline, ready, go, measured_done, results):
    try:
        sites = range(w, args.sites, args.clients)
        pre = [(s, *batch_body(templates, s, b, args.batch, args.per_site, base_t))
               for b in range(rounds_measured) for s in sites]
        ready.wait()
        go.wait()
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        lat = []
        c0, t0 = cpu_s(), time.monotonic()
        stored = post_all(conn, [(s, body, n) for s, body, n in pre], tokens, lat)
        results.put(("measured", w, stored, lat, cpu_s() - c0, t0, time.monotonic()))
        del pre
        # no client starts loading the rest before all have posted the measured part: the
        # collector's CPU and the wall time of the ingest figure are then the measured part's alone
        measured_done.wait()
        conn.close()  # it may have idled past the collector's timeout meanwhile
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        # the rest of the day, built on the fly, round by round while the budget lasts
        lat2, stored2, done_rounds = [], 0, rounds_measured
        c0, t1 = cpu_s(), time.monotonic()
        for b in range(rounds_measured, rounds_total):
            if time.monotonic() >= deadline.value:
                break
            jobs = [(s, *batch_body(templates, s, b, args.batch, args.per_site, base_t))
                    for s in sites]
            stored2 += post_all(conn, jobs, tokens, lat2)
            done_rounds = b + 1
        results.put(("load", w, stored2, lat2, cpu_s() - c0, t1, time.monotonic(), done_rounds))
        conn.close()
    except Exception as e:  # reported to the parent, which prints it
        results.put(("error", w, repr(e)))


# ---- helpers of the parent ----

def get(conn, path):
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t
    if r.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {r.status}: {data[:200]!r}")
    return dt, data


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(port, child, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll():
            return False
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=1)
            get(c, "/healthz")
            c.close()
            return True
        except (OSError, RuntimeError):
            time.sleep(0.05)
    return False


def add_token(collector, site, db):
    out = subprocess.run([collector, "token", "add", "--site", site, "--db", db], check=True,
                         capture_output=True, text=True).stdout
    return out.split()[-1]


def ms(v):
    return "n/a" if v is None else f"{v * 1000:.1f} ms"


def e2e_delay(args, collector_port, collector, db, work):
    """Agent daemon, 1 s continuous intervals, for args.e2e seconds; polls the intervals."""
    site = "e2e"
    token = add_token(collector, site, db)
    rport = bl.free_udp_port()
    conf = os.path.join(work, "agent.conf")
    with open(conf, "w") as f:
        f.write(f"[agent]\nname = e2e\nsite = {site}\n[collector]\n"
                f"url = http://{HOST}:{collector_port}\ntoken = {token}\n"
                f"spool_dir = {work}/spool\n[continuous]\ninterval = 1s\n"
                f"[target t]\nhost = {HOST}:{rport}\nclasses = audio,video,sharing,besteffort\n")
    refl = bl.Child("reflect", [args.agent, "reflect", "--listen", f"{HOST}:{rport}", "--quiet"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bl.wait_bound(rport, refl)
    alog = open(os.path.join(work, "agent.log"), "w")
    agent = bl.Child("agent", [args.agent, "run", "--config", conf], stdout=alog, stderr=alog)
    conn = http.client.HTTPConnection(HOST, collector_port, timeout=30)
    seen = {}  # (class, t) -> wall time first seen
    end = time.monotonic() + bl.parse_duration_s(args.e2e)
    while time.monotonic() < end:
        tick = time.monotonic()
        try:
            _, data = get(conn, f"/api/v1/sites/{site}/intervals?since=10m")
            now = time.time()
            for s in json.loads(data).get("series", []):
                for p in s.get("points", []):
                    key = (s.get("class"), p["t"])
                    if key not in seen:
                        seen[key] = now
        except RuntimeError:
            pass  # 404 until the first record arrives
        time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
    conn.close()
    agent.stop()
    refl.stop()
    alog.close()
    delays = sorted(w - (parse_rfc3339(t) + 1.0) for (c, t), w in seen.items())
    return delays


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collector")
    ap.add_argument("--agent")
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--per-site", type=int, default=5760)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--measure", type=int, default=1_000_000,
                    help="records in pre-built batches, the ingest figure (whole rounds)")
    ap.add_argument("--load-budget", type=float, default=180.0,
                    help="seconds for loading the data set (measured part included)")
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--e2e", default="30s")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.collector = args.collector or find_binary("VR_COLLECTOR", "collector",
                                                   "voiceready-collector")
    args.agent = args.agent or find_binary("VR_AGENT", "agent", "voiceready-agent")
    bl.install_cleanup()
    work = bl.workdir("vr-bench-http.")
    if args.keep:
        bl.keep_workdir(work)
    db = os.path.join(work, "collector.db")
    print(bl.machine_line())
    print(f"collector {args.collector}\nagent {args.agent}\nwork {work}", flush=True)

    templates, rec_bytes = make_templates(args.agent, work)

    port = free_tcp_port()
    clog = open(os.path.join(work, "collector.log"), "w")
    col = bl.Child("collector", [args.collector, "serve", "--listen", f"{HOST}:{port}",
                                 "--db", db], stdout=clog, stderr=clog)
    if not wait_http(port, col):
        sys.exit(f"collector_http.py: the collector did not start (see {work}/collector.log)")
    # serve created the database; token add only opens an existing one.
    t = time.monotonic()
    tokens = [add_token(args.collector, f"site{i:04d}", db) for i in range(args.sites)]
    token_s = time.monotonic() - t

    # one agent run per site covering the 24 h before now: the newest interval ends now
    base_t = time.time() - args.per_site * INTERVAL_S
    per_round = args.sites * args.batch
    rounds_total = -(-args.per_site // args.batch)
    rounds_measured = max(1, min(rounds_total, args.measure // per_round))
    ready = mp.Barrier(args.clients + 1)
    measured_done = mp.Barrier(args.clients)
    go = mp.Event()
    results = mp.Queue()
    t_build = time.monotonic()
    deadline = mp.Value("d", 0.0)  # set when the clock starts
    procs = [mp.Process(target=client_main,
                        args=(w, args, port, templates, tokens, base_t, rounds_measured,
                              rounds_total, deadline, ready, go, measured_done, results))
             for w in range(args.clients)]
    for p in procs:
        p.start()
    ready.wait()
    build_s = time.monotonic() - t_build
    srv0 = proc_cpu_s(col.target)
    deadline.value = time.monotonic() + args.load_budget
    go.set()
    got = {}
    while len(got) < 2 * args.clients:
        r = results.get(timeout=args.load_budget + 600)
        if r[0] == "error":
            sys.exit(f"collector_http.py: client {r[1]}: {r[2]}")
        got[(r[0], r[1])] = r
        if r[0] == "measured" and all(("measured", w) in got for w in range(args.clients)):
            srv_measured = proc_cpu_s(col.target) - srv0
    srv_load = proc_cpu_s(col.target) - srv0
    for p in procs:
        p.join()
    meas = [got[("measured", w)] for w in range(args.clients)]
    load = [got[("load", w)] for w in range(args.clients)]
    m_stored = sum(r[2] for r in meas)
    m_lat = sorted(x for r in meas for x in r[3])
    m_t0, m_t1 = min(r[5] for r in meas), max(r[6] for r in meas)
    m_wall = m_t1 - m_t0
    m_cpu = [r[4] for r in meas]
    l_stored = m_stored + sum(r[2] for r in load)
    l_lat = sorted(m_lat + [x for r in load for x in r[3]])
    l_wall = max(r[6] for r in load) - m_t0
    l_cpu = [r[4] + m for r, m in zip(load, m_cpu)]
    rounds_loaded = min(r[7] for r in load)
    per_site_loaded = min(args.per_site, rounds_loaded * args.batch)

    # queries with the data set loaded
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    q_sites, n_sites_seen = [], 0
    for _ in range(args.calls):
        dt, data = get(conn, "/api/v1/sites")
        q_sites.append(dt)
    n_sites_seen = len(json.loads(data)["sites"])
    q_site, intervals_seen = [], []
    rnd = random.Random(1)
    for _ in range(args.calls):
        s = rnd.randrange(args.sites)
        dt, data = get(conn, f"/api/v1/sites/site{s:04d}?window=24h")
        q_site.append(dt)
        intervals_seen.append(sum(c.get("intervals", 0) for c in json.loads(data)["classes"]))
    conn.close()
    q_sites.sort()
    q_site.sort()
    db_bytes = sum(os.path.getsize(db + ext) for ext in ("", "-wal", "-shm")
                   if os.path.exists(db + ext))

    delays = e2e_delay(args, port, args.collector, db, work)
    col.stop()
    clog.close()

    P = bl.percentile
    rows = [
        ["sites / tokens", f"{args.sites:,} (token add: {token_s:.1f} s)", ""],
        ["record size (NDJSON line)", f"{rec_bytes:,} B", "real audio interval, cloned"],
        ["batch / clients", f"{args.batch} records, {args.clients} "
         f"processes, 1 keep-alive connection each", ""],
        ["ingest, first records (pre-built)", f"{m_stored:,} in {m_wall:.1f} s",
         f"{m_stored / m_wall:,.0f} records/s (target >= 50,000)"],
        ["  POST p50 / p95", f"{ms(P(m_lat, .5))} / {ms(P(m_lat, .95))}", ""],
        ["  CPU collector", f"{srv_measured:.1f} s", f"{100 * srv_measured / m_wall:.0f} % of one core"],
        ["  CPU clients", " + ".join(f"{c:.1f}" for c in m_cpu) + " s",
         " + ".join(f"{100 * c / m_wall:.0f}" for c in m_cpu) + " % of one core"],
        ["ingest, whole load (built on the fly)", f"{l_stored:,} in {l_wall:.1f} s",
         f"{l_stored / l_wall:,.0f} records/s"],
        ["  POST p50 / p95", f"{ms(P(l_lat, .5))} / {ms(P(l_lat, .95))}", ""],
        ["  CPU collector / clients", f"{srv_load:.1f} s / " + " + ".join(f"{c:.1f}" for c in l_cpu) + " s",
         f"{100 * srv_load / l_wall:.0f} % / " + " + ".join(f"{100 * c / l_wall:.0f}" for c in l_cpu) + " % of one core"],
        ["data set loaded", f"{l_stored:,} records",
         f"{args.sites:,} sites x {per_site_loaded:,} intervals of 15 s "
         f"({per_site_loaded * INTERVAL_S / 3600:.1f} h)"],
        ["GET /api/v1/sites p50 / p95", f"{ms(P(q_sites, .5))} / {ms(P(q_sites, .95))}",
         f"{n_sites_seen:,} sites listed; target p95 < 50 ms"],
        ["GET /api/v1/sites/{site}?window=24h p50 / p95", f"{ms(P(q_site, .5))} / {ms(P(q_site, .95))}",
         f"{min(intervals_seen):,}..{max(intervals_seen):,} intervals in window; target p95 < 100 ms"],
        ["DB size (main + WAL)", f"{db_bytes / 1e9:.2f} GB",
         f"{db_bytes / 1e6 / (l_stored / 1e6):,.0f} MB per million records"],
        ["end-to-end delay p50 / p95", f"{ms(P(delays, .5))} / {ms(P(delays, .95))}",
         f"{len(delays)} records, interval end -> visible via GET (100 ms polls), "
         f"max {ms(delays[-1] if delays else None)}"],
    ]
    print()
    bl.print_table(["row", "value", "note"], rows,
                   notes=(f"batch bodies pre-built in {build_s:.1f} s before the clock started; "
                          f"collector exit {col.rc}",))
    if not args.keep:
        bl.remove_workdirs()



if __name__ == "__main__":
    main()
