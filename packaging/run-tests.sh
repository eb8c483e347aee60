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
ctest --test-dir "$top/build-ci" --output-on-failure -j"$jobs"

echo "== clang build with ASan+UBSan and libFuzzer"
CC=clang cmake -S "$top" -B "$top/build-asan" -DVR_WERROR=ON -DVR_SANITIZE=ON -DVR_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$top/build-asan" -j"$jobs" >/dev/null
# the no-loss test's 5-minute collector outage already ran above; 30 s here
VR_NOLOSS_DOWN_S=30 ctest --test-dir "$top/build-asan" --output-on-failure -j"$jobs" \
    -L 'unit|integration|fuzz'
