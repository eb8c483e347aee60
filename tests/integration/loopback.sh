#!/usr/bin/env bash
# Loopback integration tests of the real agent binary: no root, no network beyond 127.0.0.1.
#
# usage: loopback.sh CASE AGENT [JSON_CONTRACT_CHECKER]
#   loopback        reflector + 6 s test of all classes: JSON contract (DESIGN.md §5, checked by
#                   ../shared/checks/json-contract.py --expect-ready when present), verdict ready,
#                   and each class's DSCP (46/34/18/0) arriving intact in both directions
#   no_reflector    test against a port where nothing listens: exit 2, one stderr line
#   unknown_option  test with an unknown option: exit 2, one stderr line
#   port_in_use     reflect on a port another reflector holds: exit 2, one stderr line
#   reflect_listening  reflect names each address it listens on, as bound, in its start line
#   interrupt       test stopped by SIGINT: exit 130 (SIGTERM 143), "Verdict: Interrupted after N of 20 s", never
#                   a bare verdict; with --json the verdict record has sender.interrupted true
#   short_options   the real binary takes one meaning per letter: -d duration, -i interval,
#                   -I interface in test, capture and trace (--device still a long alias)
#   progress        live progress on a terminal (a pty) never counts past the end (2/2 s) while
#                   the test waits for late replies (a rate-limited reflector loses most)
set -euo pipefail

case_name=${1:?usage: loopback.sh CASE AGENT [CHECKER]}
agent=${2:?usage: loopback.sh CASE AGENT [CHECKER]}
checker=${3:-}
prog="loopback.sh $case_name"
[ -x "$agent" ] || { echo "$prog: agent \"$agent\" is not an executable" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$prog: skipped: python3 is not installed"; exit 77; }

work=$(mktemp -d /tmp/vr-loopback.XXXXXX)
pids=()
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    if [ $rc -eq 0 ]; then
        rm -rf "$work"
    else
        echo "$prog: output kept in $work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "FAIL $*"
    exit 1
}

# A UDP port free right now on 127.0.0.1 (the kernel picks it).
free_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a reflector on 127.0.0.1:$1 (and any further reflect options) and waits until it is
# bound.
start_reflector() {
    local port=$1
    shift
    "$agent" reflect --listen "127.0.0.1:$port" "$@" >"$work/reflector.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 50); do
        if python3 - "$port" <<'EOF'; then return 0; fi
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)  # taken: the reflector is up
sys.exit(1)
EOF
        kill -0 "${pids[-1]}" 2>/dev/null || fail "reflector exited: $(cat "$work/reflector.log")"
        sleep 0.1
    done
    fail "reflector did not bind 127.0.0.1:$port within 5 s"
}

# Runs the agent with a time limit; sets rc, elapsed_ms; stdout/stderr in $work/out, $work/err.
run() {
    local limit=$1
    shift
    local t0 t1
    t0=$(date +%s%N)
    set +e
    timeout -k 3 "$limit" "$agent" "$@" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    t1=$(date +%s%N)
    elapsed_ms=$(((t1 - t0) / 1000000))
}

# Exit 2 with exactly one non-empty line on stderr (DESIGN.md §4). How long it took is printed,
# not judged: the run's time limit only catches a hang.
expect_usage_error() {
    local what=$1
    local lines
    lines=$(grep -c . "$work/err" || true)
    [ "$rc" -ne 124 ] || fail "$what: still running after the time limit"
    [ "$rc" -eq 2 ] || fail "$what: exit $rc, want 2; stderr: $(head -3 "$work/err")"
    [ "$lines" -eq 1 ] || fail "$what: $lines stderr lines, want 1: $(head -5 "$work/err")"
    echo "ok   $what: exit 2 after ${elapsed_ms} ms: $(cat "$work/err")"
}

case $case_name in
loopback)
    port=$(free_port)
    start_reflector "$port"
    run 40 test "127.0.0.1:$port" --duration 6s --interval 3s --class all --json
    [ "$rc" -eq 0 ] || fail "test exited $rc, want 0 (ready); stderr: $(head -3 "$work/err")"
    echo "ok   test exit 0 after ${elapsed_ms} ms, $(wc -l <"$work/out") records"
    if [ -n "$checker" ] && [ -f "$checker" ]; then
        python3 "$checker" --expect-ready <"$work/out" || fail "JSON contract ($checker)"
    else
        echo "skip JSON contract: checker \"$checker\" not found"
    fi
    python3 - "$work/out" <<'EOF'
import json, sys
want = {"audio": "46", "video": "34", "sharing": "18", "besteffort": "0"}
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sums = {r.get("class"): r for r in recs if r.get("type") == "summary"}
bad = 0
for cls, dscp in want.items():
    s = sums.get(cls)
    if s is None:
        print(f"FAIL no summary for {cls}"); bad += 1; continue
    for d in ("dscp_fwd", "dscp_rev"):
        got = (s.get(d) or {}).get("received") or {}
        ok = set(got) == {dscp} and got[dscp] > 0
        print(f"{'ok  ' if ok else 'FAIL'} {cls} {d}.received {json.dumps(got)}, want only {dscp}")
        bad += not ok
verdicts = [r for r in recs if r.get("type") == "verdict"]
ok = len(verdicts) == 1 and verdicts[0].get("verdict") == "ready"
print(f"{'ok  ' if ok else 'FAIL'} verdict {verdicts[-1].get('verdict') if verdicts else None}")
sys.exit(1 if bad or not ok else 0)
EOF
    ;;
no_reflector)
    port=$(free_port)
    run 15 test "127.0.0.1:$port" --duration 6s --json
    expect_usage_error "test against 127.0.0.1:$port with no reflector"
    [ ! -s "$work/out" ] || echo "note: stdout had $(wc -l <"$work/out") lines"
    ;;
unknown_option)
    run 10 test 127.0.0.1:5004 --no-such-option --json
    expect_usage_error "test --no-such-option"
    ;;
port_in_use)
    port=$(free_port)
    start_reflector "$port"
    run 10 reflect --listen "127.0.0.1:$port"
    expect_usage_error "reflect on 127.0.0.1:$port held by another reflector"
    ;;
reflect_listening)
    port=$(free_port)
    start_reflector "$port" --listen "[::1]:$port"
    want="reflector listening on 127.0.0.1:$port and [::1]:$port (UDP"
    for _ in $(seq 1 20); do
        grep -qF "$want" "$work/reflector.log" && break
        sleep 0.1
    done
    grep -qF "$want" "$work/reflector.log" ||
        fail "reflect start line: want \"$want\", got: $(cat "$work/reflector.log")"
    echo "ok   $(cat "$work/reflector.log")"
    ;;
interrupt)
    port=$(free_port)
    start_reflector "$port"
    for mode in table json term; do
        extra=()
        sig=INT want=130
        [ "$mode" = json ] && extra=(--json)
        [ "$mode" = term ] && sig=TERM want=143
        set +e
        "$agent" test "127.0.0.1:$port" --duration 20s --interval 1s "${extra[@]}" \
            >"$work/out" 2>"$work/err" &
        tpid=$!
        sleep 2.5
        kill -"$sig" "$tpid"
        wait "$tpid"
        rc=$?
        set -e
        [ "$rc" -eq "$want" ] ||
            fail "$mode: SIG$sig: exit $rc, want $want; stderr: $(head -3 "$work/err")"
        if [ "$mode" = term ]; then
            grep -q '^Verdict: Interrupted after' "$work/out" || fail "term: no interrupted verdict"
            echo "ok   SIGTERM: exit 143, $(grep Verdict "$work/out")"
        elif [ "$mode" = table ]; then
            grep -qE '^Verdict: Interrupted after [0-9]+ of 20 s \(partial: (Ready|At risk|Not ready) on [0-9]+ interval' \
                "$work/out" || fail "table: no interrupted verdict: $(grep Verdict "$work/out")"
            ! grep -qE '^Verdict: (Ready|At risk|Not ready)' "$work/out" ||
                fail "table: a bare verdict: $(grep Verdict "$work/out")"
            echo "ok   table: exit 130, $(grep Verdict "$work/out")"
        else
            python3 - "$work/out" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v = [r for r in recs if r.get("type") == "verdict"]
ok = len(v) == 1 and v[0]["sender"]["interrupted"] is True
print(f"{'ok  ' if ok else 'FAIL'} json: verdict record sender.interrupted: "
      f"{v[0]['sender']['interrupted'] if v else None}")
sums = [r for r in recs if r.get("type") == "summary"]
short = bool(sums) and all(r["duration_s"] < 20 for r in sums)
print(f"{'ok  ' if short else 'FAIL'} json: summaries cover what was measured: "
      f"{[r['duration_s'] for r in sums]}")
sys.exit(0 if ok and short else 1)
EOF
        fi
    done
    ;;
short_options)
    # each run stops on a later value error: the letters before it were taken with their meaning
    run 10 test -d 1s -i 1s -I no-such-if0 127.0.0.1:9
    expect_usage_error "test -d 1s -i 1s -I no-such-if0"
    grep -q -- '--interface "no-such-if0"' "$work/err" || fail "test -I is not --interface"
    run 10 capture -I lo -r /nonexistent.pcap
    expect_usage_error "capture -I lo -r FILE"
    grep -q 'exactly one of --interface IF or --read FILE' "$work/err" ||
        fail "capture -I is not --interface"
    run 10 capture -i lo
    expect_usage_error "capture -i (interval has no meaning there)"
    run 10 trace -I lo --max-hops 0 127.0.0.1
    expect_usage_error "trace -I lo --max-hops 0"
    grep -q -- '--max-hops' "$work/err" || fail "trace -I refused"
    run 10 trace --device lo --max-hops 0 127.0.0.1
    expect_usage_error "trace --device lo --max-hops 0"
    grep -q -- '--max-hops' "$work/err" || fail "trace --device (alias) refused"
    run 10 trace -d lo 127.0.0.1
    expect_usage_error "trace -d (duration has no meaning there)"
    ;;
progress)
    port=$(free_port)
    start_reflector "$port" --rate-limit 10
    python3 - "$agent" "127.0.0.1:$port" >"$work/progress" <<'EOF' || fail "progress: $(cat "$work/progress")"
import os, re, subprocess, sys
m, s = os.openpty()  # stderr on a terminal: the live progress line is on
p = subprocess.Popen([sys.argv[1], "test", sys.argv[2], "--duration", "2s", "--interval", "1s"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
buf = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
p.wait(timeout=30)
frames = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+) s", buf.decode(errors="replace"))]
print("frames:", frames)
ok = bool(frames) and all(a <= b for a, b in frames) and frames[-1] == (2, 2)
print("ok  " if ok else "FAIL", "progress counts to 2/2 s and never past it")
sys.exit(0 if ok else 1)
EOF
    cat "$work/progress"
    ;;
*)
    echo "$prog: unknown case (see the usage at the top)" >&2
    exit 2
    ;;
esac
