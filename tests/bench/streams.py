#!/usr/bin/env python3
"""Concurrent streams on loopback: `voiceready-agent test --class all --calls N` against a
local reflector, one N at a time (4 classes x N streams of 50 packets/s each), plus the round-
trip floor of a plain C UDP echo (udp_floor) in the same run. DESIGN.md §7 targets: 1,000
streams on one core with zero self-inflicted loss; agent RSS under 10 MB at 100 streams; the
loopback round trip within 2x of the floor. Prints a table; never fails on the numbers (exit 0),
exits 2 when a program cannot be run. See README.md."""

import argparse
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

PPS_PER_STREAM = 50
CLASSES = 4


def udp_drops(port):
    """(drops of the socket bound to local port, sum of drops of sockets connected to it)."""
    want = ":%04X" % port
    local = remote = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[1].endswith(want):
                        local += int(p[-1])
                    elif p[2].endswith(want):
                        remote += int(p[-1])
        except OSError:
            pass
    return local, remote


def run_floor(floor, work):
    out = subprocess.run([floor, "-n", "2000", "-i", "1000", "-s", "172"], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"streams: udp_floor failed: {out.stderr.strip()}")
    res = {}
    for line in out.stdout.splitlines():
        m = re.match(r"floor (raw|stamped) n=\d+ (.*)", line)
        if m:
            res[m.group(1)] = {k: float(v) for k, v in
                               (kv.split("=") for kv in m.group(2).split())}
        elif line.startswith("floor probes="):
            res["lost"] = int(re.search(r"lost=(\d+)", line).group(1))
    with open(os.path.join(work, "floor.txt"), "w") as f:
        f.write(out.stdout)
    return res


def run_one(agent, calls, dur_s, pin, work):
    tag = f"n{calls}"
    port = bl.free_udp_port()
    rlog = open(os.path.join(work, f"{tag}-reflector.log"), "w")
    refl = bl.Child("reflector", [agent, "reflect", "--listen", f"127.0.0.1:{port}"],
                    stdout=rlog, stderr=rlog, cpu=0 if pin else None,
                    time_log=os.path.join(work, f"{tag}-reflector.time"))
    if not bl.wait_bound(port, refl):
        sys.exit(f"streams: the reflector did not start (see {rlog.name})")
    snmp0 = bl.udp_counters()
    out_path = os.path.join(work, f"{tag}.jsonl")
    agent_drops = 0
    with open(out_path, "w") as out, open(os.path.join(work, f"{tag}-test.log"), "w") as err:
        test = bl.Child("agent", [agent, "test", f"127.0.0.1:{port}", "--duration", f"{dur_s:g}s",
                                  "--class", "all", "--calls", str(calls), "--json", "--quiet"],
                        stdout=out, stderr=err, cpu=1 if pin else None,
                        time_log=os.path.join(work, f"{tag}-test.time"))
        # sample the agent's sockets' drop counters while they exist (every 0.5 s)
        deadline = time.monotonic() + dur_s + 40
        while not test.poll():
            if time.monotonic() >= deadline:
                test.timed_out = True
                test.stop()
                break
            agent_drops = max(agent_drops, udp_drops(port)[1])
            time.sleep(0.5)
    refl_drops = udp_drops(port)[0]
    refl.stop()
    rlog.close()
    snmp1 = bl.udp_counters()
    with open(rlog.name) as f:
        m = re.search(r"(\d+) probes answered, (\d+) malformed, (\d+) rate-limited, "
                      r"(\d+) send errors", f.read())
    refl_stats = tuple(map(int, m.groups())) if m else None

    r = {"calls": calls, "streams": CLASSES * calls, "test": test, "refl": refl,
         "refl_stats": refl_stats, "refl_drops": refl_drops, "agent_drops": agent_drops,
         "rcvbuf_errors": snmp1["RcvbufErrors"] - snmp0["RcvbufErrors"],
         "sndbuf_errors": snmp1["SndbufErrors"] - snmp0["SndbufErrors"], "ok": False}
    try:
        recs = bl.read_jsonl(out_path)
    except ValueError:
        recs = []
    summ = [x for x in recs if x.get("type") == "summary"]
    verd = [x for x in recs if x.get("type") == "verdict"]
    if test.timed_out or test.rc not in (0, 1) or len(summ) != CLASSES or len(verd) != 1:
        return r
    v = verd[0]
    r.update(ok=True, verdict=v["verdict"],
             sent=sum(s["sent"] for s in summ), received=sum(s["received"] for s in summ),
             refl_rx=sum(s.get("reflector_received", s["received"]) for s in summ),
             late=sum(s["late"] for s in summ), dups=sum(s["duplicates"] for s in summ),
             overruns=v["sender"]["overruns"], send_errors=v["sender"]["send_errors"],
             de=v["sender"]["deadline_error_us"],
             rtt_p50={s["class"]: s["rtt_ms"]["p50"] * 1e3 for s in summ},
             rtt_p99={s["class"]: s["rtt_ms"]["p99"] * 1e3 for s in summ},
             lost_by_class={s["class"]: s["sent"] - s["received"] for s in summ})
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agent", required=True, help="voiceready-agent binary")
    ap.add_argument("--floor", help="udp_floor binary (default: built from udp_floor.c)")
    ap.add_argument("--duration", default="20s", help="per N (default 20s)")
    ap.add_argument("--calls", default="1,25,100,250",
                    help="comma list of calls per class (default 1,25,100,250)")
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="do not pin the agent to CPU 1 and the reflector to CPU 0")
    ap.add_argument("--keep", action="store_true", help="keep the raw outputs")
    a = ap.parse_args()
    dur_s = bl.parse_duration_s(a.duration)
    calls = [int(x) for x in a.calls.split(",") if x]
    if dur_s < 2 or not calls or min(calls) < 1:
        sys.exit("streams: need --duration >= 2s and calls >= 1")
    if a.pin and os.cpu_count() < 2:
        a.pin = False
    if not os.access(a.agent, os.X_OK):
        print(f"streams: no executable agent at {a.agent}", file=sys.stderr)
        return 2
    bl.install_cleanup()
    work = bl.workdir("vr-streams.")
    if a.keep:
        bl.keep_workdir(work)
    floor = a.floor
    if not floor:
        floor = os.path.join(work, "udp_floor")
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udp_floor.c")
        cc = os.environ.get("CC", "cc")
        if subprocess.run([cc, "-O2", "-std=c11", "-D_GNU_SOURCE", "-o", floor, src,
                           "-lpthread"]).returncode != 0:
            print("streams: cannot build udp_floor.c; pass --floor PATH", file=sys.stderr)
            return 2

    print(bl.machine_line())
    print(f"{dur_s:g} s per N, 127.0.0.1, classes audio+video+sharing+besteffort with their "
          f"default profiles (100/1200/300/100 B), {PPS_PER_STREAM} packets/s per stream; "
          + ("agent pinned to CPU 1, reflector to CPU 0" if a.pin else "not pinned"))
    fl = run_floor(floor, work)
    results = []
    for n in calls:
        print(f"... N={n} ({CLASSES * n} streams)", file=sys.stderr, flush=True)
        results.append(run_one(a.agent, n, dur_s, a.pin, work))
        time.sleep(1.0)

    def col(fn):
        cells = []
        for r in results:
            if not r["ok"] and fn not in (cpu_agent, cpu_refl, rss_agent, rss_refl, status):
                cells.append("-")
            else:
                cells.append(fn(r))
        return cells

    def status(r):
        t = r["test"]
        if t.timed_out:
            return "HANG (killed)"
        if not r["ok"]:
            return f"FAILED exit {t.rc}"
        return f"{r['verdict']} (exit {t.rc})"

    def cpu(c):
        return f"{c.cpu:.2f} s {100 * c.cpu / dur_s:.0f}%"

    def cpu_agent(r):
        return cpu(r["test"])

    def cpu_refl(r):
        return cpu(r["refl"])

    def rss_agent(r):
        return bl.mb(r["test"].maxrss_kib)

    def rss_refl(r):
        return bl.mb(r["refl"].maxrss_kib)

    def lost(r):
        n = r["sent"] - r["received"]
        return f"{n:,} ({100 * n / r['sent']:.3f}%)" if r["sent"] else "0"

    def by_class(r):
        return " ".join(f"{k[0]}{v}" for k, v in r["lost_by_class"].items() if v) or "0"

    floor_raw = fl["raw"]["p50_us"]
    floor_st = fl["stamped"]["p50_us"]
    rows = [
        ["streams (4 classes x N)"] + [f"{r['streams']:,}" for r in results],
        ["status (verdict)"] + col(status),
        ["expected packets/s each way"] + [f"{r['streams'] * PPS_PER_STREAM:,}" for r in results],
        ["sent packets/s"] + col(lambda r: f"{r['sent'] / dur_s:,.0f}"),
        ["received packets/s (replies)"] + col(lambda r: f"{r['received'] / dur_s:,.0f}"),
        ["lost = sent - replied (self-inflicted)"] + col(lost),
        ["  forward (never reached reflector)"] + col(lambda r: f"{r['sent'] - r['refl_rx']:,}"),
        ["  reverse (reply never came back)"] + col(lambda r: f"{r['refl_rx'] - r['received']:,}"),
        ["  by class (a/v/s/b)"] + col(by_class),
        ["  late replies (> 3 s, counted lost)"] + col(lambda r: f"{r['late']:,}"),
        ["kernel drops: reflector socket"] + [f"{r['refl_drops']:,}" for r in results],
        ["kernel drops: agent sockets (sampled)"] + [f"{r['agent_drops']:,}" for r in results],
        ["kernel UDP RcvbufErrors (system, delta)"] + [f"{r['rcvbuf_errors']:,}"
                                                        for r in results],
        ["send errors / overruns (> 1 ms late)"] + col(
            lambda r: f"{r['send_errors']:,} / {r['overruns']:,}"),
        ["deadline error mean / p99 / max (us)"] + col(
            lambda r: f"{r['de']['mean']:.1f} / {r['de']['p99']:.0f} / {r['de']['max']:.0f}"),
        ["RTT p50 audio / worst class (us)"] + col(
            lambda r: f"{r['rtt_p50']['audio']:.0f} / {max(r['rtt_p50'].values()):.0f}"),
        ["RTT p99 worst class (us)"] + col(lambda r: f"{max(r['rtt_p99'].values()):.0f}"),
        ["RTT p50 audio / floor p50 (raw)"] + col(
            lambda r: f"{r['rtt_p50']['audio'] / floor_raw:.2f}x"),
        ["CPU agent user+sys (% of a core)"] + col(cpu_agent),
        ["CPU reflector user+sys"] + col(cpu_refl),
        ["peak RSS agent (MB)"] + col(rss_agent),
        ["peak RSS reflector (MB)"] + col(rss_refl),
    ]
    print()
    bl.print_table(["N (calls per class)"] + [str(r["calls"]) for r in results], rows)
    print(f"""
floor (udp_floor, same run: 2,000 ping-pongs of 172 B over 127.0.0.1, one every 1 ms, echo
thread in the same process; lost {fl.get('lost', '?')}):
  raw      T4 - T1, user space to user space:   min {fl['raw']['min_us']:.1f}  p50 {floor_raw:.1f}  p99 {fl['raw']['p99_us']:.1f} us
  stamped  (T4k - T1) - (T3 - T2k) as the agent: min {fl['stamped']['min_us']:.1f}  p50 {floor_st:.1f}  p99 {fl['stamped']['p99_us']:.1f} us

targets (DESIGN.md §7):
  1,000 streams on one core, zero self-inflicted loss -> column N=250: lost 0 and agent CPU <= 100%
  agent RSS < 10 MB at 100 streams                     -> column N=25: peak RSS agent
  loopback RTT within 2x of the floor                  -> RTT p50 audio / floor p50 (raw) <= 2.00x
    (raw floor = what REFERENCE.md §8 measured; the agent's RTT formula excludes both wake-ups,
     so the stamped floor is the like-for-like one: agent p50 audio at the lightest N is
     {results[0]['rtt_p50']['audio'] / floor_st if results[0]['ok'] else float('nan'):.1f}x it)""")
    print("""
What the rows are: sent/received/lost/late from the agent's summary records (sum of the 4
classes; forward = sent - reflector_received, reverse = the rest). Kernel drops: the "drops"
column of /proc/net/udp for the reflector's socket (read before it stops) and summed over the
agent's sockets (sampled every 0.5 s while they exist); RcvbufErrors = system-wide counter of
datagrams dropped for a full receive buffer over the run (other traffic on the host counts too).
Deadline error / overruns / send errors: the verdict record's "sender" (time just before send()
minus the absolute deadline). RTT from the summaries (agent JSON has 1 us resolution). CPU =
user + system of all threads over the process's life (os.wait4 rusage of its /usr/bin/time
wrapper), % = of one core over the test duration. Peak RSS = /usr/bin/time -v maximum RSS.""")
    if a.keep:
        print(f"raw outputs kept in {work}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        bl.kill_all()
        bl.remove_workdirs()
