"""Shared helpers of the benchmarks in tests/bench/ (python3 standard library only).

Every measured program runs under /usr/bin/time -v (a ~2 MB C program):
- CPU: the time process is reaped with os.wait4, whose rusage covers it and its reaped child
  (RUSAGE_BOTH): user + system time of all the program's threads to the microsecond (time's
  own share is about a millisecond).
- Peak RSS: "Maximum resident set size" of time's -v report (the program's ru_maxrss). Not
  wait4's ru_maxrss: Linux carries the high-water mark across fork and exec, so anything forked
  from this ~15 MB python reports at least 15 MB; forked from time it starts from ~2 MB.
Signals go to the measured program itself, not to time.

Every child is registered; kill_all() (run at exit and on SIGINT/SIGTERM/SIGHUP) stops whatever
is still running, so no benchmark leaves a process behind.
"""

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIME = "/usr/bin/time"
_live = []


class Child:
    """A child process with its exit status and rusage once reaped."""

    def __init__(self, name, argv, stdout=None, stderr=None, cpu=None, time_log=None):
        self.name = name
        self.argv = argv
        self.time_log = time_log
        self._own_log = time_log is None
        self.rc = None
        self.utime = self.stime = 0.0
        self.maxrss_kib = 0
        self.wall = 0.0
        self.timed_out = False
        pre = None
        if cpu is not None:
            def pre():
                os.sched_setaffinity(0, {cpu})
        self.t0 = time.monotonic()
        if time_log is None:
            fd, self.time_log = tempfile.mkstemp(prefix="vr-bench-time.")
            os.close(fd)
        self.proc = subprocess.Popen([TIME, "-v", "-o", self.time_log] + list(argv),
                                     stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                     preexec_fn=pre)
        self.pid = self.proc.pid  # the time wrapper
        _live.append(self)
        self.target = self._find_target()  # the measured program

    def _find_target(self):
        path = f"/proc/{self.pid}/task/{self.pid}/children"
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                with open(path) as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except OSError:
                return None  # time is gone already
            time.sleep(0.002)
        return None

    def _signal(self, sig):
        for pid in (self.target, self.pid) if sig == signal.SIGKILL else (self.target or self.pid,):
            if pid is None:
                continue
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def poll(self):
        """Reaps the child if it has exited; True once reaped."""
        if self.rc is not None:
            return True
        pid, status, ru = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self._reaped(status, ru)
        return True

    def _reaped(self, status, ru):
        self.wall = time.monotonic() - self.t0
        self.rc = os.waitstatus_to_exitcode(status)
        self.utime, self.stime = ru.ru_utime, ru.ru_stime
        self.maxrss_kib = None
        try:
            with open(self.time_log) as f:
                for line in f:
                    if "Maximum resident set size (kbytes):" in line:
                        self.maxrss_kib = int(line.rsplit(":", 1)[1])
        except (OSError, ValueError):
            pass
        if self._own_log:
            try:
                os.unlink(self.time_log)
            except OSError:
                pass
        self.proc.returncode = self.rc  # keep Popen from waiting on a reaped pid
        if self in _live:
            _live.remove(self)

    def wait(self, timeout):
        """Waits up to timeout seconds; on timeout sets timed_out, stops the child (SIGTERM,
        then SIGKILL after 5 s) and still reaps it. Returns the exit code."""
        deadline = time.monotonic() + timeout
        while not self.poll():
            if time.monotonic() >= deadline:
                self.timed_out = True
                self.stop()
                break
            time.sleep(0.05)
        return self.rc

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after grace seconds; reaps. Returns the exit code."""
        if self.poll():
            return self.rc
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while not self.poll():
            if time.monotonic() >= deadline:
                self._signal(signal.SIGKILL)
                pid, status, ru = os.wait4(self.pid, 0)
                self._reaped(status, ru)
                break
            time.sleep(0.02)
        return self.rc

    @property
    def cpu(self):
        return self.utime + self.stime

    def vm_hwm_kib(self):
        """Peak RSS so far of the measured program from /proc (None once gone)."""
        try:
            with open(f"/proc/{self.target}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None


def kill_all():
    for c in list(_live):
        try:
            c.stop(grace=2.0)
        except ChildProcessError:
            pass


def _on_signal(signum, frame):
    kill_all()
    sys.exit(128 + signum)


def install_cleanup():
    atexit.register(kill_all)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)


_workdirs = []


def workdir(prefix):
    """A temporary directory removed by remove_workdirs() unless keep_workdir() was called."""
    d = tempfile.mkdtemp(prefix=prefix)
    _workdirs.append(d)
    return d


def keep_workdir(d):
    if d in _workdirs:
        _workdirs.remove(d)


def remove_workdirs():
    import shutil
    while _workdirs:
        shutil.rmtree(_workdirs.pop(), ignore_errors=True)


def free_udp_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def udp_bound(port):
    """True when some socket is bound to UDP port on IPv4 or IPv6 (from /proc/net/udp*)."""
    want = ":%04X" % port
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    local = line.split()[1]
                    if local.endswith(want):
                        return True
        except OSError:
            pass
    return False


def wait_bound(port, child, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if udp_bound(port):
            return True
        if child.poll():
            return False
        time.sleep(0.02)
    return False


def udp_counters():
    """System-wide UDP counters (this network namespace) from /proc/net/snmp."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))


def parse_duration_s(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text.strip())
    if not m:
        raise ValueError(f"bad duration {text!r} (e.g. 30s, 2m)")
    v = float(m.group(1))
    return v * {"ms": 1e-3, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def percentile(sorted_vals, q):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_vals:
        return None
    k = max(1, min(len(sorted_vals), int(q * len(sorted_vals) + 0.999999)))
    return sorted_vals[k - 1]


def read_jsonl(path):
    import json
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def machine_line():
    u = os.uname()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return (f"{u.nodename}: Linux {u.release}, {os.cpu_count()} CPUs, "
            f"load average {load} at start")


def mb(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def fmt(v, digits=1, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return f"{v:,}{unit}"
    return f"{v:,.{digits}f}{unit}"


def print_table(header, rows, notes=()):
    """rows: lists of cells (strings); the first column is left-aligned, others right."""
    table = [header] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(r):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        return "  ".join(cells).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    for n in notes:
        print(n)
