#!/usr/bin/env bash
# `trace` command-line errors: each gives one line on stderr naming the problem and exit 2.
# No network traffic leaves loopback; needs no root (as root, no_cap drops CAP_NET_RAW first).
#
# usage: cli.sh CASE AGENT    CASE: usage | no_cap | setcap
#   setcap (root only, else skipped): the README's way to run without root works: a copy of the
#   agent with `setcap cap_net_raw+ep`, run as user nobody, traces a reflector on loopback.
set -uo pipefail
case_name=${1:?case}
agent=${2:?agent path}
fail=0

expect() { # expect DESCRIPTION REGEX CMD...: exit 2 and exactly one stderr line matching REGEX
    local what=$1 re=$2 err rc
    shift 2
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [[ $rc -ne 2 || $(wc -l <<<"$err") -ne 1 ]] || ! grep -Eq -- "$re" <<<"$err"; then
        echo "FAIL: $what: exit $rc, stderr: $err"
        fail=1
    else
        echo "ok: $what: $err"
    fi
}

case $case_name in
usage)
    expect "no host" "needs exactly one HOST" "$agent" trace
    expect "two hosts" "needs exactly one HOST" "$agent" trace 127.0.0.1 127.0.0.2
    expect "unknown option" 'unknown option.*--bogus' "$agent" trace 127.0.0.1 --bogus
    expect "bad class" '--class "voice"' "$agent" trace 127.0.0.1 --class voice
    expect "max-hops 0" '--max-hops "0"' "$agent" trace 127.0.0.1 --max-hops 0
    expect "max-hops 65" '--max-hops "65"' "$agent" trace 127.0.0.1 --max-hops 65
    expect "probes 11" '--probes "11"' "$agent" trace 127.0.0.1 --probes 11
    expect "bad timeout" '--timeout "5x"' "$agent" trace 127.0.0.1 --timeout 5x
    expect "timeout too long" '--timeout "1h"' "$agent" trace 127.0.0.1 --timeout 1h
    expect "bad port" '127.0.0.1:99999' "$agent" trace 127.0.0.1:99999
    expect "unknown host" 'no-such-host.invalid' "$agent" trace no-such-host.invalid
    out=$("$agent" trace --help)
    rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q -- '--max-hops' <<<"$out"; then
        echo "FAIL: --help: exit $rc"
        fail=1
    fi
    ;;
no_cap)
    # shellcheck disable=SC2016 # the backquotes and $( are literal text of the message
    re='^[^ ]+: trace needs CAP_NET_RAW to capture ICMP: run as root or `sudo setcap cap_net_raw,cap_net_admin\+ep \$\(command -v voiceready-agent\)`$'
    if [[ $(id -u) -eq 0 ]]; then
        command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
        # root without CAP_NET_RAW, and an unprivileged user
        expect "root without CAP_NET_RAW" "$re" \
            setpriv --bounding-set=-net_raw --inh-caps=-net_raw "$agent" trace 127.0.0.1
        if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$agent"; then
            expect "user nobody" "$re" \
                setpriv --reuid=65534 --regid=65534 --clear-groups "$agent" trace 127.0.0.1
        fi
    else
        expect "unprivileged user" "$re" "$agent" trace 127.0.0.1
    fi
    ;;
setcap)
    if [[ $(id -u) -ne 0 ]] || ! command -v setcap >/dev/null || ! command -v setpriv >/dev/null; then
        echo "SKIP: needs root, setcap and setpriv"
        exit 77
    fi
    dir=$(mktemp -d /tmp/vrtr-setcap.XXXXXX)
    refl_pid=
    trap '[[ -n $refl_pid ]] && kill "$refl_pid" 2>/dev/null; rm -rf "$dir"' EXIT
    chmod 755 "$dir"
    cp "$agent" "$dir/voiceready-agent"
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    if ! as_nobody test -x "$dir/voiceready-agent"; then
        echo "SKIP: user nobody cannot run binaries from $dir"
        exit 77
    fi
    # without the capability: the one-line error
    expect "nobody, no file capability" 'needs CAP_NET_RAW' \
        as_nobody "$dir/voiceready-agent" trace 127.0.0.1
    setcap cap_net_raw+ep "$dir/voiceready-agent" || exit 1
    port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # setpriv execs the agent, so $! is the reflector itself (a function would fork a subshell)
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$dir/voiceready-agent" reflect --listen "127.0.0.1:$port" >/dev/null 2>&1 &
    refl_pid=$!
    sleep 0.3
    out=$(as_nobody "$dir/voiceready-agent" trace "127.0.0.1:$port" --timeout 300ms 2>&1)
    rc=$?
    echo "$out"
    if [[ $rc -ne 0 ]] || ! grep -Eq '^ +1  127\.0\.0\.1 +[0-9.]+(ns|µs|ms|s)  EF \(46\) +reflector$' <<<"$out"; then
        echo "FAIL: nobody with cap_net_raw: exit $rc, expected the reflector at hop 1 with EF"
        fail=1
    else
        echo "ok: nobody with cap_net_raw traces the loopback reflector"
    fi
    ;;
*)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
exit $fail
