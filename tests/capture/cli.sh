#!/bin/sh
# capture's command line: usage errors, a file that is not a capture, --duration on a file, the
# table output and its exit status, and the live-capture permission message (as nobody, when
# run as root). Usage: cli.sh AGENT PCAP_DIR
agent="$1"
pcaps="$2"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # expect STATUS PATTERN -- command...
    want="$1"; pat="$2"; shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: '$*' exit $got, expected $want"; cat "$tmp/err"; fail=1; return
    fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/out" "$tmp/err"; then
        echo "FAIL: '$*' output lacks '$pat'"; cat "$tmp/out" "$tmp/err"; fail=1; return
    fi
    echo "ok: $* -> $got"
}

expect 0 "usage:" -- "$agent" capture --help
expect 2 "exactly one of --interface" -- "$agent" capture
expect 2 "exactly one of --interface" -- "$agent" capture --read a --interface lo
expect 2 "unknown option" -- "$agent" capture --read x --bogus
expect 2 "PT=HZ" -- "$agent" capture --read x --clock-rate 300=8000
expect 2 "HZ must be" -- "$agent" capture --read x --clock-rate 96=abc
expect 2 "expected a pcap or pcapng" -- "$agent" capture --read "$pcaps/vlan.pcap.expect.json"
expect 2 "No such file" -- "$agent" capture --read "$tmp/none.pcap"
expect 2 "--filter" -- "$agent" capture --read "$pcaps/vlan.pcap" --filter "udp port nonsense"
# table: one row per stream and the overall line; two_calls has a failing stream
expect 1 "overall: fail — 4 streams (3 pass, 0 warn, 1 fail)" -- \
    "$agent" capture --read "$pcaps/two_calls.pcap"
expect 0 "overall: pass — 2 streams" -- "$agent" capture --read "$pcaps/vlan.pcap"
# the filter applies to files too: only the call on the relay port
expect 0 "overall: pass — 2 streams" -- \
    "$agent" capture --read "$pcaps/two_calls.pcap" --filter "udp port 3480"
# --duration cuts the file: the first call's 500 packets take 10 s, the second starts at 2 s
"$agent" capture --read "$pcaps/two_calls.pcap" --duration 1s --json >"$tmp/d.json"
n=$(grep -c '"type":"capture"' "$tmp/d.json")
p=$(sed -n 's/.*"ssrc":"0xa1a1a1a1".*"packets":\([0-9]*\),.*/\1/p' "$tmp/d.json")
if [ "$n" = 2 ] && [ "$p" = 50 ]; then echo "ok: --duration 1s -> 2 streams, 50 packets"
else echo "FAIL: --duration 1s gave $n streams, $p packets"; fail=1; fi
# --idle shorter than a gap splits nothing here (20 ms pacing) but must be accepted
expect 0 "" -- "$agent" capture --read "$pcaps/turn.pcap" --idle 200ms
expect 2 "at least 100ms" -- "$agent" capture --read "$pcaps/turn.pcap" --idle 10ms
# a call on hold for 3 s: one stream by default, two records with --idle 1s (100 packets each)
"$agent" capture --read "$pcaps/idle.pcap" --idle 1s --json >"$tmp/i.json"
n=$(grep -c '"packets":100,' "$tmp/i.json")
if [ "$n" = 2 ] && [ "$(wc -l <"$tmp/i.json")" = 2 ]; then echo "ok: --idle 1s splits the held call"
else echo "FAIL: --idle 1s: $(cat "$tmp/i.json")"; fail=1; fi
# bounded table: two streams fit, the other call's packets are dropped and counted
expect 1 "800 packets dropped: stream table full" -- \
    "$agent" capture --read "$pcaps/two_calls.pcap" --max-streams 2
# a flood of one-off RTP-looking flows cannot push a real stream out of a small table
"$agent" capture --read "$pcaps/junk.pcap" --max-streams 4 --json >"$tmp/j.json"
if [ "$(wc -l <"$tmp/j.json")" = 1 ] && grep -q '"ssrc":"0x77777777".*"packets":300,.*"lost":0,' "$tmp/j.json"; then
    echo "ok: --max-streams 4 among 700 junk flows keeps the real stream whole"
else echo "FAIL: junk.pcap --max-streams 4: $(cat "$tmp/j.json")"; fail=1; fi
# live without CAP_NET_RAW: one line naming setcap, exit 2
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$agent" capture --interface lo --duration 1s >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" = 2 ] && grep -q "setcap cap_net_raw,cap_net_admin+ep" "$tmp/err" &&
        [ "$(wc -l <"$tmp/err")" = 1 ]; then
        echo "ok: live capture as nobody -> 2, names setcap"
    else
        echo "FAIL: live capture as nobody: exit $got"; cat "$tmp/err"; fail=1
    fi
fi
exit $fail
