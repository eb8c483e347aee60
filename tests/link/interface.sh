#!/usr/bin/env bash
# link lab: `--interface IF` (and the daemon's `interface = IF`) really send through IF, and the
# records name IF and its link kind. Two network namespaces joined by two veth pairs:
#
#   ${P}agent  path-a 10.93.1.2 ──── ra 10.93.1.1  ${P}refl   reflector on 10.93.9.1:5004 (lo)
#              path-b 10.93.2.2 ──── rb 10.93.2.1
#
# The agent's routing table prefers path-a (metric 10) over path-b (metric 20) towards
# 10.93.9.1, so a run bound to path-b proves that the binding, not the route, chose the path.
# nftables counters in ${P}refl count the probes that arrive on ra and on rb: the truth.
# veth has no hardware beneath it, so its link kind is "other" (agent/link.h); "wifi" needs
# hardware this machine lacks (unit-tested with recorded nl80211 messages instead).
#
# usage: interface.sh AGENT CASE      CASE: bind | default | daemon | nosuch
# Needs root (ip netns, nft) except for nosuch; exits 77 (skipped) without it.
set -euo pipefail

agent=${1:?usage: interface.sh AGENT bind|default|daemon|nosuch}
case_=${2:?usage: interface.sh AGENT bind|default|daemon|nosuch}
prog=${0##*/}
P="vrlk$$-"
A="${P}agent"
R="${P}refl"
work=$(mktemp -d /tmp/vr-link-XXXXXX)
pids=()

fail() {
    echo "$prog $case_: FAIL: $*" >&2
    exit 1
}

cleanup() {
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
    done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$R" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --interface with a name that does not exist: one line on stderr naming it, exit 2, no output.
# Needs no root and no namespace.
if [ "$case_" = nosuch ]; then
    set +e
    "$agent" test 127.0.0.1:5004 --interface nosuch0 --duration 1s >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "exit status $rc, want 2"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$work/err")"
    grep -q 'nosuch0' "$work/err" || fail "stderr does not name the interface: $(cat "$work/err")"
    grep -q "ip link" "$work/err" || fail "stderr gives no fix: $(cat "$work/err")"
    [ ! -s "$work/out" ] || fail "stdout not empty"
    msg=$(cat "$work/err")
    for bad in "" "../eth0" "a-name-of-16-chr"; do
        set +e
        "$agent" test 127.0.0.1:5004 --interface "$bad" >/dev/null 2>"$work/err"
        rc=$?
        set -e
        [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] ||
            fail "--interface \"$bad\": exit $rc, stderr: $(cat "$work/err")"
    done
    echo "$prog nosuch: ok: $msg"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "$prog: needs root (ip netns, nft); skipped"
    exit 77
fi
for tool in ip nft python3; do
    command -v "$tool" >/dev/null || {
        echo "$prog: $tool not found; skipped"
        exit 77
    }
done

ip netns add "$A"
ip netns add "$R"
ina() { ip netns exec "$A" "$@"; }
inr() { ip netns exec "$R" "$@"; }
for n in "$A" "$R"; do
    # no IPv6 chatter (router solicitations, MLD) on the counted links
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$n" link set lo up
done
ip link add path-a netns "$A" type veth peer name ra netns "$R"
ip link add path-b netns "$A" type veth peer name rb netns "$R"
ip -n "$A" addr add 10.93.1.2/24 dev path-a
ip -n "$A" addr add 10.93.2.2/24 dev path-b
ip -n "$R" addr add 10.93.1.1/24 dev ra
ip -n "$R" addr add 10.93.2.1/24 dev rb
ip -n "$R" addr add 10.93.9.1/32 dev lo
for d in path-a path-b; do ip -n "$A" link set "$d" up; done
for d in ra rb; do ip -n "$R" link set "$d" up; done
ip -n "$A" route add 10.93.9.1/32 via 10.93.1.1 dev path-a metric 10
ip -n "$A" route add 10.93.9.1/32 via 10.93.2.1 dev path-b metric 20
# replies to 10.93.2.2 come in on path-b while the best route back to 10.93.9.1 is path-a
ina sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.path-a.rp_filter=0 \
    net.ipv4.conf.path-b.rp_filter=0
inr nft -f - <<'EOF'
table inet vrlink {
    counter via_a {}
    counter via_b {}
    chain input {
        type filter hook input priority 0; policy accept;
        iifname "ra" udp dport 5004 counter name "via_a"
        iifname "rb" udp dport 5004 counter name "via_b"
    }
}
EOF

counter() {
    inr nft -j list counter inet vrlink "$1" |
        python3 -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}

# `ip netns exec` execs the program, so $! is the reflector itself (a shell function would
# leave a subshell's pid, and kill would miss the reflector)
ip netns exec "$R" "$agent" reflect --listen 10.93.9.1:5004 --quiet &
pids+=($!)
for _ in $(seq 50); do
    inr ss -Hlun 'sport = :5004' | grep -q 10.93.9.1 && break
    sleep 0.1
done

# Checks the JSON Lines in $1: every interval and summary record names interface $2 with link
# kind "other" and a null "wifi"; prints the probes the summaries say were sent.
check_records() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
path, want = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(path) if l.strip()]
ivs = [r for r in recs if r.get("type") in ("interval", "summary")]
if not any(r["type"] == "interval" for r in ivs) or not any(r["type"] == "summary" for r in ivs):
    sys.exit(f"no interval or no summary records in {path}")
for r in ivs:
    if r.get("interface") != want or r.get("link") != "other" or r.get("wifi", 0) is not None:
        sys.exit(f"{r['type']} record: interface {r.get('interface')!r} link {r.get('link')!r} "
                 f"wifi {r.get('wifi', 'absent')!r}, want {want!r}, 'other', null")
    if r.get("received", 0) == 0:
        sys.exit(f"{r['type']} record: nothing came back through {want}")
print(sum(r["sent"] for r in ivs if r["type"] == "summary"))
EOF
}

# One `test` run; $1: the interface that must carry the probes, $2..: extra options.
run_test() {
    local via=$1 other rc sent a0 b0 a1 b1 got idle
    shift
    other=$([ "$via" = path-a ] && echo path-b || echo path-a)
    a0=$(counter via_a)
    b0=$(counter via_b)
    set +e
    ina "$agent" test 10.93.9.1:5004 --duration 3s --interval 1s --json --quiet "$@" \
        >"$work/$via.jsonl" 2>"$work/$via.err"
    rc=$?
    set -e
    [ "$rc" -le 1 ] || fail "test $*: exit $rc: $(cat "$work/$via.err")"
    a1=$(counter via_a)
    b1=$(counter via_b)
    sent=$(check_records "$work/$via.jsonl" "$via") || fail "test $*: $sent"
    if [ "$via" = path-a ]; then got=$((a1 - a0)) idle=$((b1 - b0)); else got=$((b1 - b0)) idle=$((a1 - a0)); fi
    # every probe on the chosen path (plus the few final count queries), none on the other
    [ "$sent" -ge 100 ] || fail "test $*: only $sent probes sent"
    [ "$got" -ge "$sent" ] && [ "$got" -le $((sent + 20)) ] ||
        fail "test $*: $got probes arrived through $via, the agent sent $sent"
    [ "$idle" -eq 0 ] || fail "test $*: $idle probes arrived through $other"
    echo "$prog: test ${*:-(no --interface)}: $sent probes sent, $got arrived via $via, $idle via $other;" \
        "records: interface $via, link other"
}

case "$case_" in
bind)
    run_test path-b --interface path-b # against the routing table's choice
    run_test path-a --interface path-a
    ;;
default)
    run_test path-a # no binding: the route's interface, found from the source address
    ;;
daemon)
    # interface = path-b in a [target]; the collector URL leads nowhere, so the records stay in
    # the spool, where they are read back.
    mkdir -p "$work/spool"
    cat >"$work/agent.conf" <<EOF
[agent]
name = link-lab
site = lab
[collector]
url = http://127.0.0.1:9
token = t
spool_dir = $work/spool
[continuous]
interval = 1s
[target refl]
host = 10.93.9.1:5004
classes = audio
interface = path-b
EOF
    a0=$(counter via_a)
    b0=$(counter via_b)
    ip netns exec "$A" "$agent" run --config "$work/agent.conf" >"$work/daemon.log" 2>&1 &
    dpid=$!
    pids+=("$dpid")
    for _ in $(seq 100); do
        cat "$work"/spool/*.jsonl 2>/dev/null | grep -q '"type":"interval"' && break
        sleep 0.1
    done
    sleep 1
    kill -TERM "$dpid"
    wait "$dpid" || true
    a1=$(counter via_a)
    b1=$(counter via_b)
    cat "$work"/spool/*.jsonl >"$work/daemon.jsonl" 2>/dev/null || true
    python3 - "$work/daemon.jsonl" <<'EOF' || fail "daemon records: $(tail -3 "$work/daemon.log")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ivs = [r for r in recs if r.get("type") == "interval"]
if not ivs:
    sys.exit("no interval record in the spool")
bad = [r for r in ivs if r.get("interface") != "path-b" or r.get("link") != "other"]
if bad:
    sys.exit(f"record with interface {bad[0].get('interface')!r} link {bad[0].get('link')!r}")
EOF
    [ $((b1 - b0)) -ge 50 ] || fail "daemon: only $((b1 - b0)) probes arrived through path-b"
    [ $((a1 - a0)) -eq 0 ] || fail "daemon: $((a1 - a0)) probes arrived through path-a"
    echo "$prog: daemon interface = path-b: $((b1 - b0)) probes via path-b, 0 via path-a;" \
        "$(grep -c '"type":"interval"' "$work/daemon.jsonl") interval records name path-b"
    ;;
*)
    fail "unknown case (bind, default, daemon, nosuch)"
    ;;
esac
