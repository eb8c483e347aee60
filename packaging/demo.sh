#!/bin/sh
# The main job on one machine: build voiceready, start a reflector on loopback, run a 30-second
# test of every class against it and print the verdict table. Usage: packaging/demo.sh [SECONDS]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
secs="${1:-30}"
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))

"$top/packaging/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
agent="$build/agent/voiceready-agent"

"$agent" reflect --listen "127.0.0.1:$port" --quiet &
refl=$!
trap 'kill $refl 2>/dev/null; wait $refl 2>/dev/null' EXIT INT TERM
sleep 0.3

echo "voiceready demo: reflector on 127.0.0.1:$port, ${secs}-second test of audio, video, sharing and"
echo "the unmarked best-effort control (on a real site, run the reflector at HQ or the cloud edge)."
rc=0
"$agent" test "127.0.0.1:$port" --duration "${secs}s" --class all --site demo || rc=$?
echo
echo "exit status $rc (0 ready, 1 at risk or not ready, 2 error)"
