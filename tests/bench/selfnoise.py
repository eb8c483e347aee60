#!/usr/bin/env python3
"""Self-noise on loopback: voiceready-agent (test + reflect) and irtt (client + server) side by
side, one after the other, at the same rate (one stream, 20 ms), UDP payload (172 bytes, the
g711 profile) and duration. DESIGN.md §7: median RTT, mean IPDV and mean/p99 send-timer error
all lower than irtt's; timer error p99 under 100 us on an idle machine. Prints a table; never
fails on the numbers (exit 0), exits 2 when a tool cannot be run. See README.md."""

import argparse
import json
import os
import re
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

PAYLOAD = 172  # g711 profile: 160 B of audio + 12 B RTP header
INTERVAL_NS = 20_000_000


def run_agent(agent, dur_s, work):
    port = bl.free_udp_port()
    rlog = open(os.path.join(work, "agent-reflector.log"), "w")
    refl = bl.Child("reflector", [agent, "reflect", "--listen", f"127.0.0.1:{port}"],
                    stdout=rlog, stderr=rlog, time_log=os.path.join(work, "agent-reflector.time"))
    if not bl.wait_bound(port, refl):
        sys.exit(f"selfnoise: the reflector did not start (see {rlog.name})")
    out_path = os.path.join(work, "agent.jsonl")
    with open(out_path, "w") as out, open(os.path.join(work, "agent-test.log"), "w") as err:
        test = bl.Child("agent", [agent, "test", f"127.0.0.1:{port}", "--duration",
                                  f"{dur_s:g}s", "--interval", "15s", "--class", "audio",
                                  "--profile", "g711", "--json", "--quiet"],
                        stdout=out, stderr=err, time_log=os.path.join(work, "agent-test.time"))
        test.wait(dur_s + 30)
    refl.stop()
    rlog.close()
    if test.timed_out or test.rc not in (0, 1):
        sys.exit(f"selfnoise: the agent test failed (exit {test.rc}, timed out "
                 f"{test.timed_out}); output in {work}")
    recs = bl.read_jsonl(out_path)
    summ = [r for r in recs if r.get("type") == "summary"]
    verd = [r for r in recs if r.get("type") == "verdict"]
    if len(summ) != 1 or len(verd) != 1:
        sys.exit(f"selfnoise: expected one summary and one verdict in {out_path}")
    s, v = summ[0], verd[0]
    de = v["sender"]["deadline_error_us"]
    return {
        "sent": s["sent"], "received": s["received"],
        "rtt_p50": s["rtt_ms"]["p50"] * 1e3, "rtt_p99": s["rtt_ms"]["p99"] * 1e3,
        "rtt_min": s["rtt_ms"]["min"] * 1e3,
        "ipdv_fwd": s["ipdv_fwd_ms"]["mean"] * 1e3, "ipdv_rev": s["ipdv_rev_ms"]["mean"] * 1e3,
        "send_mean": de["mean"], "send_p99": de["p99"], "send_max": de["max"],
        "timer_mean": None, "timer_max": None,
        "overruns": v["sender"]["overruns"],
        "client": test, "server": refl,
    }


def parse_rfc3339_ns(text):
    """Go's RFC 3339 with nanoseconds -> Unix ns (datetime keeps only microseconds)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        return None
    from datetime import datetime
    base = datetime.fromisoformat(m.group(1) + ("+00:00" if m.group(3) == "Z" else m.group(3)))
    frac = (m.group(2) or "0").ljust(9, "0")[:9]
    return int(base.timestamp()) * 1_000_000_000 + int(frac)


def run_irtt(irtt, dur_s, work):
    port = bl.free_udp_port()
    slog = open(os.path.join(work, "irtt-server.log"), "w")
    srv = bl.Child("irtt-server", [irtt, "server", "-b", f"127.0.0.1:{port}"],
                   stdout=slog, stderr=slog, time_log=os.path.join(work, "irtt-server.time"))
    if not bl.wait_bound(port, srv):
        sys.exit(f"selfnoise: irtt server did not start (see {slog.name})")
    out_path = os.path.join(work, "irtt.json")
    with open(os.path.join(work, "irtt-client.log"), "w") as err:
        cli = bl.Child("irtt-client", [irtt, "client", "-Q", "-i", "20ms", "-d", f"{dur_s:g}s",
                                       "-l", str(PAYLOAD), "--fill=rand", "--dscp=0xb8", "-o",
                                       out_path, f"127.0.0.1:{port}"],
                       stdout=err, stderr=err, time_log=os.path.join(work, "irtt-client.time"))
        cli.wait(dur_s + 30)
    srv.stop()
    slog.close()
    if cli.timed_out or cli.rc != 0:
        sys.exit(f"selfnoise: irtt client failed (exit {cli.rc}); output in {work}")
    with open(out_path) as f:
        d = json.load(f)
    st, rts = d["stats"], d["round_trips"]

    rtt = sorted(rt["delay"]["rtt"] for rt in rts if "rtt" in rt.get("delay", {}))
    ipdv_s = [abs(rt["ipdv"]["send"]) for rt in rts if "send" in rt.get("ipdv", {})]
    ipdv_r = [abs(rt["ipdv"]["receive"]) for rt in rts if "receive" in rt.get("ipdv", {})]

    # Send error: client send stamp (taken just before the send call) minus its absolute slot
    # start + k * interval, k the nearest slot; the origin is the recorded start time (wall),
    # carried over to the monotonic clock through the first packet's two stamps.
    sends = [rt["timestamps"]["client"]["send"] for rt in rts]
    start_wall = parse_rfc3339_ns(st["start_time"])
    offset0 = sends[0]["wall"] - start_wall if start_wall is not None else 0
    origin = sends[0]["monotonic"] - offset0
    errs = []
    for s in sends:
        rel = s["monotonic"] - origin
        k = round(rel / INTERVAL_NS)
        errs.append(abs(rel - k * INTERVAL_NS))
    errs.sort()
    return {
        "sent": st["packets_sent"], "received": st["packets_received"],
        "rtt_p50": st["rtt"]["median"] / 1e3,
        "rtt_p99": bl.percentile(rtt, 0.99) / 1e3, "rtt_min": st["rtt"]["min"] / 1e3,
        "ipdv_fwd": sum(ipdv_s) / len(ipdv_s) / 1e3, "ipdv_rev": sum(ipdv_r) / len(ipdv_r) / 1e3,
        "send_mean": sum(errs) / len(errs) / 1e3, "send_p99": bl.percentile(errs, 0.99) / 1e3,
        "send_max": errs[-1] / 1e3,
        "timer_mean": st["timer_error"]["mean"] / 1e3, "timer_max": st["timer_error"]["max"] / 1e3,
        "overruns": st.get("timer_misses"),
        "client": cli, "server": srv,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agent", required=True, help="voiceready-agent binary")
    ap.add_argument("--irtt", default=shutil.which("irtt") or "irtt", help="irtt binary")
    ap.add_argument("--duration", default="30s", help="per tool (default 30s)")
    ap.add_argument("--keep", action="store_true", help="keep the raw outputs")
    a = ap.parse_args()
    dur_s = bl.parse_duration_s(a.duration)
    if dur_s < 2:
        sys.exit("selfnoise: --duration must be at least 2s")
    if not (os.access(a.agent, os.X_OK) and shutil.which(a.irtt)):
        print(f"selfnoise: need an executable agent ({a.agent}) and irtt ({a.irtt})",
              file=sys.stderr)
        return 2
    bl.install_cleanup()
    work = bl.workdir("vr-selfnoise.")
    if a.keep:
        bl.keep_workdir(work)
    print(bl.machine_line())
    print(f"one stream, 20 ms pacing, {PAYLOAD} B UDP payload, {dur_s:g} s per tool, "
          "127.0.0.1, agent first then irtt")
    ag = run_agent(a.agent, dur_s, work)
    time.sleep(1.0)
    ir = run_irtt(a.irtt, dur_s, work)

    def lower(key):
        x, y = ag[key], ir[key]
        if x is None or y is None:
            return ""
        return "agent" if x < y else ("irtt" if y < x else "tie")

    def cpu(c):
        return f"{c.cpu:.2f} s ({100 * c.cpu / dur_s:.1f} %)"

    rows = [
        ["packets sent / received", f"{ag['sent']} / {ag['received']}",
         f"{ir['sent']} / {ir['received']}", ""],
        ["RTT median (us)", bl.fmt(ag["rtt_p50"]), bl.fmt(ir["rtt_p50"]), lower("rtt_p50")],
        ["RTT min / p99 (us)", f"{ag['rtt_min']:.1f} / {ag['rtt_p99']:.1f}",
         f"{ir['rtt_min']:.1f} / {ir['rtt_p99']:.1f}", lower("rtt_p99")],
        ["mean |IPDV| forward (us)", bl.fmt(ag["ipdv_fwd"]), bl.fmt(ir["ipdv_fwd"]),
         lower("ipdv_fwd")],
        ["mean |IPDV| reverse (us)", bl.fmt(ag["ipdv_rev"]), bl.fmt(ir["ipdv_rev"]),
         lower("ipdv_rev")],
        ["send error mean (us)", bl.fmt(ag["send_mean"]), bl.fmt(ir["send_mean"]),
         lower("send_mean")],
        ["send error p99 (us)  [target < 100]", bl.fmt(ag["send_p99"]), bl.fmt(ir["send_p99"]),
         lower("send_p99")],
        ["send error max (us)", bl.fmt(ag["send_max"]), bl.fmt(ir["send_max"]),
         lower("send_max")],
        ["irtt timer_error mean / max (us)", "n/a",
         f"{ir['timer_mean']:.1f} / {ir['timer_max']:.1f}", ""],
        ["late sends (agent > 1 ms; irtt misses)", str(ag["overruns"]), str(ir["overruns"]), ""],
        ["CPU user+sys, client (% of a core)", cpu(ag["client"]), cpu(ir["client"]), ""],
        ["CPU user+sys, server", cpu(ag["server"]), cpu(ir["server"]), ""],
        ["peak RSS client / server (MB)",
         f"{bl.mb(ag['client'].maxrss_kib)} / {bl.mb(ag['server'].maxrss_kib)}",
         f"{bl.mb(ir['client'].maxrss_kib)} / {bl.mb(ir['server'].maxrss_kib)}", ""],
    ]
    print()
    bl.print_table(["metric", "agent+reflector", "irtt client+server", "lower"], rows)
    print("""
What each number is (all on 127.0.0.1, one probe in flight every 20 ms):
- RTT: agent = summary rtt_ms p50/min/p99 = (T4 - T1) - (T3 - T2), T1 read just before send(),
  T2/T4 kernel receive stamps (SO_TIMESTAMPNS/SO_TIMESTAMPING), T3 read just before the
  reflector's sendmmsg(); p50/p99 interpolated in a log-linear histogram (+-0.4 %).
  irtt = stats.rtt.median/min (exact) and the p99 of round_trips[].delay.rtt = (client receive -
  client send) - (server send - server receive), all four user-space time.Now() stamps (client
  send before Write, receive after Read; server send after WriteTo returns).
- mean |IPDV|: agent = ipdv_fwd_ms/ipdv_rev_ms .mean, |difference of one-way transit times of
  consecutive probes| (forward T2 - T1, reverse T4 - T3). irtt = mean of |round_trips[].ipdv.send|
  and |.receive| (same definition, on its user-space stamps; consecutive seqnos only).
- send error: how late the probe left against its absolute slot. agent = verdict
  sender.deadline_error_us (clock read just before send() minus the deadline t0 + k * 20 ms;
  it sleeps to 500 us before and spins, so never early). irtt = |client send stamp (read just
  before the send call) - (start_time + k * 20 ms)| from round_trips[], k the nearest slot.
- irtt timer_error = irtt's own stats.timer_error: |wake-up - target| of its sleep (comp timer),
  mean and max only (irtt keeps no percentiles). The agent has no separate wake-up figure.
- CPU = user + system time of the process over its whole life (all threads; os.wait4 rusage
  of its /usr/bin/time wrapper), and as a share of one core over the test duration; client =
  `agent test` / irtt client, server = `agent reflect` / irtt server (both idle outside the
  test). Peak RSS = "Maximum resident set size" of /usr/bin/time -v (the program's VmHWM).
- agent sends EF (audio class, g711 profile); irtt is given --dscp=0xb8 to match; --fill=rand.""")
    if a.keep:
        print(f"raw outputs kept in {work}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        bl.kill_all()
        bl.remove_workdirs()
