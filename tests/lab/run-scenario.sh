#!/usr/bin/env bash
# One lab test: build a private lab, apply a scenario, run the agent through it, judge the result
# against the truth the lab injected (check.py), tear everything down. Needs root; exits 77 (skip)
# without it.
#
# usage: run-scenario.sh NAME [--agent PATH] [--impair PATH] [--out DIR]
#   NAME: clean | loss | bleach | congested | congested-bleach | delay
#   env:  VR_AGENT, VR_IMPAIR, VR_LAB_OUT (default: a new /tmp/vr-lab.* directory)
# Output (agent JSON and stderr, nft counter, relay log, check.py report) stays in OUT/NAME.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog=run-scenario
agent=${VR_AGENT:-}
impair=${VR_IMPAIR:-}
out_root=${VR_LAB_OUT:-}
name=""
while [ $# -gt 0 ]; do
    case $1 in
    --agent) agent=${2:?--agent needs a path}; shift 2 ;;
    --impair) impair=${2:?--impair needs a path}; shift 2 ;;
    --out) out_root=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,9{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "$prog: unknown option \"$1\" (see --help)" >&2; exit 2 ;;
    *) [ -z "$name" ] || { echo "$prog: one scenario only" >&2; exit 2; }; name=$1; shift ;;
    esac
done
case $name in
clean | loss | bleach | congested | congested-bleach | delay) ;;
*) echo "$prog: scenario \"$name\": use clean, loss, bleach, congested, congested-bleach or delay" >&2
   exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "$prog: skipped: the lab needs root (network namespaces, nft, tc)"
    exit 77
fi
for tool in ip nft tc python3 ss; do
    command -v "$tool" >/dev/null || { echo "$prog: skipped: $tool is not installed"; exit 77; }
done
case $name in congested*) command -v iperf3 >/dev/null || { echo "$prog: skipped: iperf3 is not installed"; exit 77; } ;; esac
if [ -z "$agent" ] || [ ! -x "$agent" ]; then
    echo "$prog: agent binary \"$agent\" not found: set VR_AGENT or --agent" >&2
    exit 2
fi
if [ "$name" = delay ]; then
    if [ -z "$impair" ] || [ ! -x "$impair" ]; then
        echo "$prog: vr-impair \"$impair\" not found: set VR_IMPAIR or --impair" >&2
        exit 2
    fi
    export VR_IMPAIR=$impair
fi

[ -n "$out_root" ] || out_root=$(mktemp -d /tmp/vr-lab.XXXXXX)
out=$out_root/$name
rm -rf "$out"
mkdir -p "$out"
# A prefix of our own: runs (and a lab someone brought up by hand) never collide.
prefix="vrt$$-"
export LAB_STATE_DIR=$out/state

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
    "$here/lab.sh" down --prefix "$prefix" >/dev/null 2>&1 ||
        echo "$prog: 'lab.sh down --prefix $prefix' failed; remove the namespaces by hand" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lab() { "$here/lab.sh" "$@"; }
in_ns() {
    local n=$1
    shift
    ip netns exec "$prefix$n" "$@"
}

# Waits until NS has a socket bound to PROTO (u|t) PORT, up to 5 s.
wait_bound() {
    local n=$1 proto=$2 port=$3
    for _ in $(seq 1 50); do
        [ -n "$(in_ns "$n" ss -Hln"$proto" "sport = :$port")" ] && return 0
        sleep 0.1
    done
    echo "$prog: nothing listens on $proto/$port in $prefix$n" >&2
    return 1
}

# Runs the agent in branch; $1 = time limit in s, $2 = output stem, rest = arguments after
# "test". A hung agent is killed (status 124 or 137), which check.py reports as a failure.
agent_rc=0
run_agent() {
    local limit=$1 stem=$2
    shift 2
    echo "$prog: voiceready-agent test $*"
    set +e
    timeout -k 3 "$limit" ip netns exec "${prefix}branch" "$agent" test "$@" --json \
        >"$out/$stem.jsonl" 2>"$out/$stem.stderr"
    agent_rc=$?
    set -e
    echo "$prog: agent exit $agent_rc, $(wc -l <"$out/$stem.jsonl") records"
    [ ! -s "$out/$stem.stderr" ] || sed 's/^/  agent: /' "$out/$stem.stderr" | head -5
}

# Judges one run; failures are collected so that every run of the scenario is reported.
failed=0
judge() {
    local stem=$1
    shift
    python3 "$here/check.py" "$name" --json "$out/$stem.jsonl" --rc "$agent_rc" "$@" |
        tee "$out/$stem.check.txt" || failed=1
}

# Bulk flow branch -> hq through the bottleneck: UDP at twice the bottleneck keeps the
# best-effort queue full (TCP backs off and leaves it a third full: measured ~70 ms median RTT).
start_bulk() {
    ip netns exec "${prefix}hq" iperf3 -s -1 -B 10.77.2.2 -p 5201 >"$out/iperf3-server.log" 2>&1 &
    pids+=($!)
    wait_bound hq t 5201
    ip netns exec "${prefix}branch" iperf3 -c 10.77.2.2 -p 5201 -u -b 4M -l 1400 -t "$1" \
        >"$out/iperf3-client.log" 2>&1 &
    pids+=($!)
    sleep 3 # fill the queue before the agent starts
}

# A run killed outright (SIGKILL, e.g. a ctest timeout) cannot clean up: remove its leftovers.
for stale in $(ip netns list | awk '{print $1}' | sed -n 's/^vrt\([0-9][0-9]*\)-wan$/\1/p'); do
    if ! kill -0 "$stale" 2>/dev/null; then
        echo "$prog: removing the lab of a dead run: vrt$stale-"
        "$here/lab.sh" down --prefix "vrt$stale-" >/dev/null 2>&1 || true
    fi
done

lab up --prefix "$prefix"
lab scenario "$name" --prefix "$prefix"

ip netns exec "${prefix}hq" "$agent" reflect --listen 10.77.2.2:5004 --listen '[fd77:2::2]:5004' \
    >"$out/reflector.log" 2>&1 &
pids+=($!)
wait_bound hq u 5004

case $name in
clean)
    run_agent 35 agent 10.77.2.2:5004 --class all --duration 15s --interval 5s
    judge agent
    ;;
loss)
    run_agent 36 agent 10.77.2.2:5004 --class audio --calls 5 --duration 16s --interval 8s
    in_ns wan nft -j list counter inet vrlab loss_fwd >"$out/nft-counter.json"
    judge agent --nft "$out/nft-counter.json"
    ;;
bleach)
    run_agent 30 agent 10.77.2.2:5004 --class audio,video --duration 10s --interval 5s
    judge agent
    # The same over IPv6: the rewrite is a separate nft rule (ip6 dscp).
    run_agent 26 agent6 '[fd77:2::2]:5004' --class audio --duration 6s --interval 3s
    judge agent6 --classes audio
    ;;
congested)
    start_bulk 25
    run_agent 35 agent 10.77.2.2:5004 --class audio,besteffort --duration 15s --interval 5s
    in_ns wan tc -s class show dev to-hq >"$out/tc-classes.txt"
    judge agent
    ;;
congested-bleach)
    start_bulk 18
    run_agent 30 agent 10.77.2.2:5004 --class audio --duration 10s --interval 5s
    in_ns wan tc -s class show dev to-hq >"$out/tc-classes.txt"
    judge agent
    ;;
delay)
    run_agent 35 agent 10.77.1.1:6004 --class audio --duration 15s --interval 5s
    # Stop the relay so that it flushes its log, then judge against it.
    relay_pid=$(cat "$LAB_STATE_DIR/$prefix/impair.pid")
    kill -TERM "$relay_pid"
    for _ in $(seq 1 50); do
        kill -0 "$relay_pid" 2>/dev/null || break
        sleep 0.1
    done
    cp "$LAB_STATE_DIR/$prefix/impair.csv" "$out/impair.csv"
    judge agent --impair-log "$out/impair.csv"
    ;;
esac

if [ $failed -ne 0 ]; then
    echo "$prog: $name FAILED (output in $out)"
    exit 1
fi
echo "$prog: $name passed (output in $out)"
