#!/bin/sh
# Installs what voiceready needs to build, test and benchmark on Debian 12 (as root).
# Safe to run again: it only calls apt-get when a package is missing.
set -eu

PKGS="build-essential cmake pkg-config libuv1-dev libjansson-dev libcmocka-dev libpcap-dev
      libmicrohttpd-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libinih-dev libssl-dev
      python3 iproute2 nftables iperf3 irtt clang libclang-rt-14-dev clang-format procps
      chromium libnl-genl-3-dev tshark tcpdump"

top=$(cd "$(dirname "$0")/.." && pwd)

# The browser test's npm packages (playwright-core drives Debian's chromium; no browser download).
npm_deps() {
    if command -v npm >/dev/null 2>&1 && [ ! -d "$top/tests/browser/node_modules" ]; then
        npm ci --prefix "$top/tests/browser" --no-audit --no-fund --silent ||
            echo "install-deps: npm ci failed: the browser tests will be skipped" >&2
    fi
}

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    npm_deps
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root (sudo $0) or install them with apt-get" >&2
    exit 2
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
npm_deps
