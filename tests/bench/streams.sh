#!/usr/bin/env bash
# Streams benchmark: `voiceready-agent test --class all --calls N` against a local reflector for
# each N (default 1, 25, 100, 250: 4 to 1,000 concurrent 50 packets/s streams), one N at a
# time, plus the loopback floor of a plain C UDP echo (udp_floor) in the same run. Prints a
# table; see README.md for the rows.
#
# usage: streams.sh [--agent PATH] [--floor PATH] [--duration 20s] [--calls 1,25,100,250]
#                   [--no-pin] [--keep]
#   --agent defaults to $VR_AGENT, else BUILD/agent/voiceready-agent for the first of
#   build-bench, build that exists in this repository; --floor defaults to BUILD/tests/bench/
#   udp_floor of the same build, else udp_floor.c is compiled with $CC (default cc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=streams.sh

command -v python3 >/dev/null || { echo "$prog: python3 is needed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "$prog: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

args=("$@")
have_agent=no have_floor=no
duration=20s calls=1,25,100,250
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    --agent | --agent=*) have_agent=yes ;;
    --floor | --floor=*) have_floor=yes ;;
    --duration) duration=${args[i + 1]:-20s} ;;
    --duration=*) duration=${args[i]#--duration=} ;;
    --calls) calls=${args[i + 1]:-} ;;
    --calls=*) calls=${args[i]#--calls=} ;;
    -h | --help) exec python3 "$here/streams.py" --help ;;
    esac
done
build=
if [ $have_agent = no ]; then
    agent=${VR_AGENT:-}
    for b in build-bench build; do
        [ -n "$agent" ] && break
        if [ -x "$repo/$b/agent/voiceready-agent" ]; then
            agent=$repo/$b/agent/voiceready-agent
            build=$repo/$b
        fi
    done
    [ -n "$agent" ] || { echo "$prog: no agent binary: build it or pass --agent PATH" >&2; exit 2; }
    args+=(--agent "$agent")
fi
if [ $have_floor = no ] && [ -n "$build" ] && [ -x "$build/tests/bench/udp_floor" ]; then
    args+=(--floor "$build/tests/bench/udp_floor")
fi

# Bound the whole run: each N takes DURATION plus start and drain; the floor takes ~2 s.
dur_s=$(python3 -B -c "import sys; sys.path.insert(0, '$here'); import benchlib as b
print(int(b.parse_duration_s('$duration')))") || { echo "$prog: bad --duration" >&2; exit 2; }
n_calls=$(tr ',' '\n' <<<"$calls" | grep -c .)
limit=$((n_calls * (dur_s + 50) + 120))

pid=
# shellcheck disable=SC2317 # invoked by the traps
cleanup() {
    trap - EXIT INT TERM HUP
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null # the python driver stops its own children
        wait "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

timeout -k 10 "$limit" python3 "$here/streams.py" "${args[@]}" &
pid=$!
rc=0
wait "$pid" || rc=$?
pid=
[ $rc -eq 124 ] && echo "$prog: gave up after $limit s" >&2
exit $rc
