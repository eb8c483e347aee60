#!/bin/sh
# Builds voiceready and runs every test: unit, integration (loopback: agent, collector API, the
# daemon's no-loss test), browser (the dashboard in Debian's chromium), the network-namespace lab
# (needs root; skipped otherwise), fuzz replay; then an ASan+UBSan build with clang for the
# unit, integration and fuzz tests, and the clang-format check. Usage: packaging/run-tests.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$top/packaging/install-deps.sh"

echo "== format check"
find "$top/common" "$top/agent" "$top/collector" "$top/tests" -name '*.[ch]' \
    -not -path '*/node_modules/*' -print0 |
    xargs -0 clang-format --dry-run --Werror

echo "== gcc build (warnings are errors)"
cmake -S "$top" -B "$top/build-ci" -DVR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build-ci" -j"$jobs" >/dev/null
# The no-loss test spends most of its 6 minutes waiting out a 5-minute collector outage with one
# light agent running: it runs beside the rest instead of after it. The lab tests (serial among
# themselves, timing-sensitive) tolerate that load; a CPU-heavy test beside them would not.
ctest --test-dir "$top/build-ci" --output-on-failure -R '^daemon\.noloss$' \
    >"$top/build-ci/noloss.log" 2>&1 &
noloss=$!
rc=0
ctest --test-dir "$top/build-ci" --output-on-failure -j"$jobs" -E '^daemon\.noloss$' || rc=1
if ! wait "$noloss"; then
    cat "$top/build-ci/noloss.log"
    rc=1
fi
tail -n 3 "$top/build-ci/noloss.log"
[ "$rc" -eq 0 ] || { echo "run-tests: gcc build: tests failed" >&2; exit 1; }

echo "== clang build with ASan+UBSan and libFuzzer"
CC=clang cmake -S "$top" -B "$top/build-asan" -DVR_WERROR=ON -DVR_SANITIZE=ON -DVR_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$top/build-asan" -j"$jobs" >/dev/null
# the no-loss test's 5-minute collector outage already ran above; 30 s here
VR_NOLOSS_DOWN_S=30 ctest --test-dir "$top/build-asan" --output-on-failure -j"$jobs" \
    -L 'unit|integration|fuzz'
