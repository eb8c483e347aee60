#!/usr/bin/env python3
"""Reasons that read true, through the real pipe (issue 11 item 7).

usage: reasons_test.py COLLECTOR AGENT

The real agent (`voiceready-agent test --class audio,video --json`) runs against a real reflector
that answers only 10 probes a second, so that every interval of both classes fails. Checks:
  - the agent's verdict reasons count each class's intervals against that class's own intervals
    ("N of N audio intervals", N the audio interval records the agent printed), not against
    the intervals of every class;
  - the one episode's range runs from the first interval's start to the last one's end (with
    seconds when both fall in one minute), as computed here from the agent's own records;
  - the collector, fed the same records, words the site's reasons exactly as the agent did.
Exit 0 pass, 1 fail, 77 skip. Python standard library only.
"""
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from vrports import pick_port  # noqa: E402

ENDASH = "\u2013"


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok   " + what)


def fmt_range(a_ns, b_ns):
    """The rule of common/score.c fmt_span (same UTC day)."""
    a = datetime.datetime.fromtimestamp(a_ns // 10**9, datetime.timezone.utc)
    b = datetime.datetime.fromtimestamp(b_ns // 10**9, datetime.timezone.utc)
    if a.date() != b.date():
        f = "%Y-%m-%d %H:%M"
    elif (a.hour, a.minute) == (b.hour, b.minute):
        f = "%H:%M:%S"
    else:
        f = "%H:%M"
    return "%s%s%s UTC" % (a.strftime(f), ENDASH, b.strftime(f))


def rfc3339_ns(s):
    """"2026-12-04T04:20:01.123456789Z" -> ns since the epoch."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", s)
    if m is None:
        raise Fail("not an RFC 3339 UTC time: %r" % s)
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    frac = (m.group(2) or "").ljust(9, "0")
    return int(t.timestamp()) * 10**9 + int(frac or "0")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    collector, agent = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="vr-reasons-it-")
    procs = []
    try:
        rp = pick_port(socket.SOCK_DGRAM)
        refl = subprocess.Popen([agent, "reflect", "--listen", "127.0.0.1:%d" % rp,
                                 "--rate-limit", "10", "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(refl)
        time.sleep(0.3)
        r = subprocess.run([agent, "test", "127.0.0.1:%d" % rp, "--duration", "4s", "--interval",
                            "1s", "--class", "audio,video", "--json", "--quiet", "--site",
                            "reasons", "--agent", "reasons-a1"],
                           capture_output=True, text=True, timeout=60)
        refl.send_signal(signal.SIGINT)
        refl.wait(10)
        check(r.returncode == 1, "agent test exits 1 (not ready) on a lossy path (%d: %s)"
              % (r.returncode, r.stderr.strip()[:200]))
        recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        iv = [x for x in recs if x.get("type") == "interval"]
        verdicts = [x for x in recs if x.get("type") == "verdict"]
        check(len(verdicts) == 1 and verdicts[0].get("reasons"), "one verdict record with reasons")
        reasons = verdicts[0]["reasons"]
        by_cls = {c: [x for x in iv if x["class"] == c] for c in ("audio", "video")}
        check(all(by_cls.values()), "interval records of both classes (%s)"
              % {c: len(v) for c, v in by_cls.items()})
        check(all(x["verdict"] == "fail" for x in iv), "every interval failed")
        print("agent reasons:", json.dumps(reasons, ensure_ascii=False))
        pat = re.compile(r"^(.+), (audio|video), (.+), (\d+) of (\d+) (audio|video) intervals$")
        seen = set()
        for reason in reasons:
            m = pat.match(reason)
            check(m is not None and m.group(2) == m.group(6),
                  "reason names its class and counts that class's intervals: %s" % reason)
            cls, n, of = m.group(2), int(m.group(4)), int(m.group(5))
            check(of == len(by_cls[cls]),
                  "%s: out of the %d %s intervals, not of all %d" % (reason, len(by_cls[cls]),
                                                                    cls, len(iv)))
            if n == of:
                # every one failed: one episode, first start to last end
                ivs = sorted(by_cls[cls], key=lambda x: x["start"])
                a = rfc3339_ns(ivs[0]["start"])
                b = rfc3339_ns(ivs[-1]["start"]) + int(round(ivs[-1]["duration_s"] * 1e9))
                want = fmt_range(a, b)
                check(m.group(3).endswith(want) and "episodes" not in m.group(3),
                      "%s: one episode, %s (to the last interval's end)" % (reason, want))
                seen.add(cls)
        check(seen, "a reason covers every interval of its class")

        # the collector, fed the agent's own records, says the same words
        port = pick_port(socket.SOCK_STREAM)
        db = os.path.join(tmp, "c.db")
        tok = subprocess.run([collector, "token", "add", "--site", "reasons", "--db", db],
                             capture_output=True, text=True, timeout=30)
        check(tok.returncode == 0, "token add (%s)" % tok.stderr.strip()[:200])
        token = tok.stdout.strip()
        serve = subprocess.Popen([collector, "serve", "--listen", "127.0.0.1:%d" % port,
                                  "--db", db], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        procs.append(serve)

        def request(method, path, body=None, headers=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                c.request(method, path, body=body, headers=headers or {})
                resp = c.getresponse()
                return resp.status, resp.read()
            finally:
                c.close()

        deadline = time.time() + 10
        while True:
            try:
                if request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or serve.poll() is not None:
                raise Fail("collector did not come up")
            time.sleep(0.1)
        body = ("\n".join(json.dumps(x) for x in recs) + "\n").encode()
        st, data = request("POST", "/api/v1/records", body,
                           {"Content-Type": "application/x-ndjson",
                            "Authorization": "Bearer " + token})
        check(st == 200, "upload accepted (%d %s)" % (st, data[:200]))
        st, data = request("GET", "/api/v1/sites/reasons")
        check(st == 200, "site detail (%d)" % st)
        site = json.loads(data)
        print("collector reasons:", json.dumps(site.get("reasons"), ensure_ascii=False))
        check(site.get("reasons") == reasons, "the collector's reasons are the agent's, word for word")
        serve.send_signal(signal.SIGTERM)
        serve.wait(10)
        print("PASS reasons")
        return 0
    except Fail as e:
        print("FAIL " + str(e))
        return 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
