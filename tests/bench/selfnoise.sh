#!/usr/bin/env bash
# Self-noise benchmark: voiceready-agent vs irtt on loopback, one after the other, same rate
# (20 ms), payload (172 B) and duration. Prints a table; see README.md for the columns.
#
# usage: selfnoise.sh [--agent PATH] [--irtt PATH] [--duration 30s] [--keep]
#   --agent defaults to $VR_AGENT, else BUILD/agent/voiceready-agent for the first of
#   build-bench, build that exists next to this repository's sources.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=selfnoise.sh

command -v python3 >/dev/null || { echo "$prog: python3 is needed" >&2; exit 2; }
command -v irtt >/dev/null || { echo "$prog: irtt is needed (apt-get install irtt)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "$prog: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

args=("$@")
have_agent=no
duration=30s
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    --agent | --agent=*) have_agent=yes ;;
    --duration) duration=${args[i + 1]:-30s} ;;
    --duration=*) duration=${args[i]#--duration=} ;;
    -h | --help) exec python3 "$here/selfnoise.py" --help ;;
    esac
done
if [ $have_agent = no ]; then
    agent=${VR_AGENT:-}
    for b in build-bench build; do
        [ -n "$agent" ] && break
        [ -x "$repo/$b/agent/voiceready-agent" ] && agent=$repo/$b/agent/voiceready-agent
    done
    [ -n "$agent" ] || { echo "$prog: no agent binary: build it or pass --agent PATH" >&2; exit 2; }
    args+=(--agent "$agent")
fi

# Bound the whole run: two tools of DURATION each plus start, drain and slack.
dur_s=$(python3 -B -c "import sys; sys.path.insert(0, '$here'); import benchlib as b
print(int(b.parse_duration_s('$duration')))") || { echo "$prog: bad --duration" >&2; exit 2; }
limit=$((2 * dur_s + 120))

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

timeout -k 10 "$limit" python3 "$here/selfnoise.py" "${args[@]}" &
pid=$!
rc=0
wait "$pid" || rc=$?
pid=
[ $rc -eq 124 ] && echo "$prog: gave up after $limit s" >&2
exit $rc
