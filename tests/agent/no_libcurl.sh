#!/bin/sh
# agent.no_libcurl: `run` on a machine without libcurl says so in one line and exits 2.
# libcurl is loaded only when the daemon starts its uploader (agent/curlfn.h); here every
# libcurl build the loader tries is hidden behind /dev/null in a private mount namespace.
# Needs root (unshare -m, mount); exits 77 (skipped) otherwise.
# usage: no_libcurl.sh AGENT
set -u
agent=$1
[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || exit 77
work=$(mktemp -d /tmp/vr-nocurl.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/agent.conf" <<CONF
[agent]
name = a1
site = s1
[collector]
url = http://127.0.0.1:9
token = t
spool_dir = $work/spool
[target hq]
host = 127.0.0.1:9
classes = audio
CONF
unshare -m sh -c '
    for l in libcurl.so.4 libcurl-gnutls.so.4 libcurl-nss.so.4; do
        p=$(ldconfig -p | awk -v l="$l" "\$1 == l { print \$NF; exit }")
        [ -n "$p" ] && { mount --bind /dev/null "$p" || exit 77; }
    done
    exec timeout 20 "$0" run --config "$1"' "$agent" "$work/agent.conf" \
    >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" = 77 ] && exit 77
cat "$work/err"
fail=0
[ "$rc" = 2 ] || { echo "FAIL: exit $rc, expected 2"; fail=1; }
[ "$(wc -l <"$work/err")" = 1 ] || { echo "FAIL: expected one line on stderr"; fail=1; }
grep -q 'cannot load libcurl (libcurl.so.4)' "$work/err" || { echo "FAIL: no libcurl named"; fail=1; }
grep -q 'apt-get install libcurl4' "$work/err" || { echo "FAIL: no package named"; fail=1; }
[ -s "$work/out" ] && { echo "FAIL: unexpected stdout"; fail=1; }
[ "$fail" = 0 ] && echo "ok: one line, exit 2"
exit "$fail"
