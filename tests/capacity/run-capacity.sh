#!/usr/bin/env bash
# One capacity lab test: a private lab (tests/lab/lab.sh with its own prefix), a scenario, the
# reflector in hq, `voiceready-agent capacity` in branch, then check-capacity.py judges the record
# against what the lab enforces. Needs root; exits 77 (skip) without it.
#
# usage: run-capacity.sh NAME --agent PATH --profiles FILE [--out DIR]
#   NAME: bottleneck  2 Mbit/s HTB (lab scenario congested), teams-audio: capacity within
#                     +-15 % of the bottleneck / the per-call rate (binary search: --loss-stop 50)
#         priority    the same bottleneck with EF as a priority queue (congested-priority) and an
#                     iperf3 bulk flow: audio capacity still within +-15 % (default safety stop)
#         bleach      marks bleached before the bottleneck (congested-bleach) and the bulk flow:
#                     capacity falls, cause "marking"
#         max-rate    clean path, --max-rate 470k: nft counters on the probe flow never see more
#         loss-stop   10 % random loss (nft numgen): the ramp stops at the first step, loss_stop
#   --profiles FILE  common/profile.c: the packet size and pacing the expectation is computed from
# Output (agent JSON and stderr, nft counter samples, check report) stays in OUT/NAME.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab_sh=$here/../lab/lab.sh
prog=run-capacity
agent=${VR_AGENT:-}
profiles=""
out_root=""
name=""
while [ $# -gt 0 ]; do
    case $1 in
    --agent) agent=${2:?--agent needs a path}; shift 2 ;;
    --profiles) profiles=${2:?--profiles needs a path}; shift 2 ;;
    --out) out_root=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,19{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "$prog: unknown option \"$1\" (see --help)" >&2; exit 2 ;;
    *) [ -z "$name" ] || { echo "$prog: one test only" >&2; exit 2; }; name=$1; shift ;;
    esac
done
case $name in
bottleneck | priority | bleach | max-rate | loss-stop) ;;
*) echo "$prog: test \"$name\": use bottleneck, priority, bleach, max-rate or loss-stop" >&2
   exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "$prog: skipped: the lab needs root (network namespaces, nft, tc)"
    exit 77
fi
for tool in ip nft tc python3 ss iperf3; do
    command -v "$tool" >/dev/null || { echo "$prog: skipped: $tool is not installed"; exit 77; }
done
[ -x "$agent" ] || { echo "$prog: agent binary \"$agent\" not found: use --agent" >&2; exit 2; }
[ -r "$profiles" ] || { echo "$prog: --profiles \"$profiles\" not readable" >&2; exit 2; }

[ -n "$out_root" ] || out_root=$(mktemp -d /tmp/vr-capacity.XXXXXX)
out=$out_root/$name
rm -rf "$out"
mkdir -p "$out"
prefix="vrc$$-"
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
    "$lab_sh" down --prefix "$prefix" >/dev/null 2>&1 ||
        echo "$prog: 'lab.sh down --prefix $prefix' failed; remove the namespaces by hand" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() {
    local n=$1
    shift
    ip netns exec "$prefix$n" "$@"
}

wait_bound() {
    local n=$1 proto=$2 port=$3
    for _ in $(seq 1 50); do
        [ -n "$(in_ns "$n" ss -Hln"$proto" "sport = :$port")" ] && return 0
        sleep 0.1
    done
    echo "$prog: nothing listens on $proto/$port in $prefix$n" >&2
    return 1
}

# A run killed outright (e.g. a ctest timeout) cannot clean up: remove labs of dead runs.
for stale in $(ip netns list | awk '{print $1}' | sed -n 's/^vrc\([0-9][0-9]*\)-wan$/\1/p'); do
    if ! kill -0 "$stale" 2>/dev/null; then
        echo "$prog: removing the lab of a dead run: vrc$stale-"
        "$lab_sh" down --prefix "vrc$stale-" >/dev/null 2>&1 || true
    fi
done

agent_rc=0
run_capacity() {
    local limit=$1
    shift
    echo "$prog: voiceready-agent capacity $*"
    set +e
    timeout -k 3 "$limit" ip netns exec "${prefix}branch" "$agent" capacity "$@" --json \
        >"$out/agent.jsonl" 2>"$out/agent.stderr"
    agent_rc=$?
    set -e
    echo "$prog: agent exit $agent_rc, $(wc -l <"$out/agent.jsonl") records"
    [ ! -s "$out/agent.stderr" ] || sed 's/^/  agent: /' "$out/agent.stderr" | head -5
}

# Bulk UDP flow branch -> hq at twice the bottleneck: the best-effort queue stays full.
start_bulk() {
    in_ns hq iperf3 -s -1 -B 10.77.2.2 -p 5201 >"$out/iperf3-server.log" 2>&1 &
    pids+=($!)
    wait_bound hq t 5201
    in_ns branch iperf3 -c 10.77.2.2 -p 5201 -u -b 4M -l 1400 -t "$1" \
        >"$out/iperf3-client.log" 2>&1 &
    pids+=($!)
    sleep 2 # fill the queue before the ramp starts
}

# nft counters on the probe flow in wan (IP bytes: what --max-rate bounds), sampled every 250 ms
# into OUT/counters.txt as "mono_s fwd_bytes rev_bytes".
start_counters() {
    in_ns wan nft -f - <<NFT
table inet vrcap {
    counter probe_fwd { }
    counter probe_rev { }
    chain count_probes {
        type filter hook forward priority 10; policy accept;
        iifname "to-branch" udp dport 5004 counter name "probe_fwd"
        iifname "to-hq" udp sport 5004 counter name "probe_rev"
    }
}
NFT
    in_ns wan python3 "$here/sample-counters.py" >"$out/counters.txt" 2>"$out/sampler.stderr" &
    pids+=($!)
}

"$lab_sh" up --prefix "$prefix"
case $name in
bottleneck) "$lab_sh" scenario congested --prefix "$prefix" ;;
priority) "$lab_sh" scenario congested-priority --prefix "$prefix" ;;
bleach) "$lab_sh" scenario congested-bleach --prefix "$prefix" ;;
max-rate) "$lab_sh" scenario clean --prefix "$prefix" ;;
loss-stop) LAB_LOSS_PCT=10 "$lab_sh" scenario loss --prefix "$prefix" ;;
esac

in_ns hq "$agent" reflect --listen 10.77.2.2:5004 --quiet >"$out/reflector.log" 2>&1 &
pids+=($!)
wait_bound hq u 5004

check=(python3 "$here/check-capacity.py" "$name" --json "$out/agent.jsonl" --profiles "$profiles")
case $name in
bottleneck)
    # --loss-stop 50: let the binary search close on the bottleneck instead of the safety stop
    run_capacity 120 10.77.2.2:5004 --step 6s --interval 3s --loss-stop 50
    in_ns wan tc -s class show dev to-hq >"$out/tc-classes.txt"
    ;;
priority)
    start_bulk 120
    run_capacity 100 10.77.2.2:5004 --step 6s --interval 3s
    in_ns wan tc -s class show dev to-hq >"$out/tc-classes.txt"
    ;;
bleach)
    start_bulk 60
    run_capacity 60 10.77.2.2:5004 --step 6s --interval 3s
    ;;
max-rate)
    start_counters
    run_capacity 80 10.77.2.2:5004 --step 6s --interval 3s --max-rate 470k
    check+=(--counters "$out/counters.txt" --max-rate 470000)
    ;;
loss-stop)
    run_capacity 40 10.77.2.2:5004 --mix audio=2 --step 8s --interval 4s
    in_ns wan nft -j list counter inet vrlab loss_fwd >"$out/nft-loss.json"
    check+=(--step 8)
    ;;
esac

if "${check[@]}" --rc "$agent_rc" | tee "$out/check.txt"; then
    echo "$prog: $name passed (output in $out)"
else
    echo "$prog: $name FAILED (output in $out)"
    exit 1
fi
