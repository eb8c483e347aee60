#!/bin/sh
# The main job on one machine: build voiceready, start a collector (embedded SQLite), create an
# agent token, start a reflector and an agent daemon on loopback, wait for the first scored
# intervals, print the site verdict and the dashboard URL, and keep running until Ctrl-C.
# Usage: packaging/demo.sh [--once]     (--once: print the verdict and stop everything)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
once=0
[ "${1:-}" = "--once" ] && once=1

"$top/packaging/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
agent="$build/agent/voiceready-agent"
collector="$build/collector/voiceready-collector"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
work=$(mktemp -d /tmp/voiceready-demo.XXXXXX)
http_port=$(free_port)
refl_port=$(free_port)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$collector" serve --listen "127.0.0.1:$http_port" --db "$work/voiceready.db" \
    >"$work/collector.log" 2>&1 &
pids="$pids $!"
# serve creates the database; token add only opens an existing one.
n=0
until [ -e "$work/voiceready.db" ] && "$collector" token list --db "$work/voiceready.db" >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -lt 100 ] || { echo "demo: the collector did not start (see $work/collector.log)" >&2; exit 1; }
    sleep 0.1
done
token=$("$collector" token add --site demo --db "$work/voiceready.db" 2>/dev/null | tail -n 1)
"$agent" reflect --listen "127.0.0.1:$refl_port" --quiet &
pids="$pids $!"
cat >"$work/agent.conf" <<CONF
[agent]
name = demo-agent
site = demo
[collector]
url = http://127.0.0.1:$http_port
token = $token
spool_dir = $work/spool
[continuous]
interval = 5s
[target loopback]
host = 127.0.0.1:$refl_port
classes = all
CONF
"$agent" run --config "$work/agent.conf" >"$work/agent.log" 2>&1 &
pids="$pids $!"

echo "voiceready demo: collector on 127.0.0.1:$http_port, reflector on 127.0.0.1:$refl_port,"
echo "agent daemon testing audio, video, sharing and best effort every 5 s (files in $work)."
echo "Waiting for the first scored intervals ..."
i=0
until "$collector" report --db "$work/voiceready.db" --format json 2>/dev/null |
    grep -q '"intervals": *[1-9]'; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then
        echo "no results after 30 s; logs:" >&2
        tail -n 5 "$work/agent.log" "$work/collector.log" >&2
        exit 2
    fi
    sleep 0.5
done
sleep 6 # one more interval, so the site has a few to judge
echo
"$collector" report --db "$work/voiceready.db" || true
echo
echo "Dashboard: http://127.0.0.1:$http_port/    API: http://127.0.0.1:$http_port/api/v1/sites"
[ "$once" -eq 1 ] && exit 0
echo "Running until Ctrl-C (the agent keeps testing and uploading)."
wait
