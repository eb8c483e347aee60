#!/usr/bin/env bash
# One trace lab case: builds the chain (chain.sh), runs `trace` from branch to the reflector in
# hq, and checks the table and the JSON record against what the lab does.
#
# usage: run-case.sh CASE AGENT
#   CASE = FAMILY-KIND, FAMILY v4 or v6, KIND:
#     ef, af41, af21  r2 rewrites to cs0 in its forward hook: the rewrite is named between hop 2
#                     (r2, whose own quote still shows the sent mark: its TTL check runs before
#                     the forward hook) and hop 3 (r3, which received cs0); exit 1
#     clean           no rule: every hop and the reflector see the mark; exit 0
#     silent          rewrite on, and r1 drops its time-exceeded messages: hop 1 is silent,
#                     the segment is still hop 2 - hop 3; exit 1
#     silent2         rewrite on, and r2 itself is silent: the segment is reported as the range
#                     hop 1 (r1) - hop 3 (r3); exit 1
#     ingress         r2 rewrites in its prerouting hook, before its TTL check: r2's own quote
#                     shows cs0, so the segment is hop 1 (r1) - hop 2 (r2); exit 1
#     teams           r2 rewrites only UDP from Teams ports (a port-based policy): without
#                     --teams-ports no rewrite (exit 0), with it the segment hop 2 - hop 3
# Exit 0 pass, 1 fail, 77 skipped (not root, or no ip/nft/python3).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case_name=${1:?case}
agent=${2:?agent path}

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: the trace lab needs root (network namespaces, nftables)"
    exit 77
fi
for tool in ip nft python3 ss; do
    command -v $tool >/dev/null || {
        echo "SKIP: $tool not installed"
        exit 77
    }
done

family=${case_name%%-*}
kind=${case_name#*-}
P="vrtr$$-"
chain() { "$here/chain.sh" "$1" "$P" "${@:2}"; }
trap 'chain down' EXIT INT TERM

case $family in
v4) target=10.0.34.4 r2=10.0.12.2 r3=10.0.23.3 r1=10.0.1.2 ;;
v6) target=fd00:34::4 r2=fd00:12::2 r3=fd00:23::3 r1=fd00:1::2 ;;
*)
    echo "unknown family in $case_name"
    exit 2
    ;;
esac
case $kind in
ef | clean | silent | silent2 | teams | ingress) class=audio sent=46 name=EF ;;
af41) class=video sent=34 name=AF41 ;;
af21) class=sharing sent=18 name=AF21 ;;
*)
    echo "unknown case $case_name"
    exit 2
    ;;
esac

chain up "$agent" || exit 1
case $kind in
clean) ;;
teams) chain rewrite teams ;;
ingress) chain rewrite ingress ;;
*) chain rewrite on ;;
esac
[[ $kind == silent ]] && chain silence on r1
[[ $kind == silent2 ]] && chain silence on r2
from=2 from_addr=$r2 to=3 to_addr=$r3
[[ $kind == silent2 ]] && from=1 from_addr=$r1
[[ $kind == ingress ]] && from=1 from_addr=$r1 to=2 to_addr=$r2

fail=0
check() { # check DESCRIPTION CONDITION-RC
    if [[ $2 -ne 0 ]]; then
        echo "FAIL: $1"
        fail=1
    else
        echo "ok: $1"
    fi
}

if [[ $kind == teams ]]; then
    # the ephemeral source port is not matched by the policy: the mark survives
    out=$(chain exec branch "$agent" trace "$target" --class $class --timeout 500ms 2>&1)
    rc=$?
    echo "$out"
    check "without --teams-ports: exit 0, got $rc" $((rc != 0))
    grep -q "^no rewrite: $name arrived unchanged at the reflector" <<<"$out"
    check "without --teams-ports: no rewrite" $?
    set -- --teams-ports
else
    set --
fi

# 1. the table
out=$(chain exec branch "$agent" trace "$target" --class $class --timeout 500ms "$@" 2>&1)
rc=$?
echo "$out"
if [[ $kind == clean ]]; then
    check "text: exit 0 (mark survives), got $rc" $((rc != 0))
    grep -q "^no rewrite: $name arrived unchanged at the reflector (hop 4, $target)" <<<"$out"
    check "text: says no rewrite at the reflector" $?
else
    check "text: exit 1 (rewritten), got $rc" $((rc != 1))
    grep -qF "$name rewritten to CS0 between hop $from ($from_addr) and hop $to ($to_addr)" <<<"$out"
    check "text: names the segment hop $from ($from_addr) - hop $to ($to_addr)" $?
fi
if [[ $kind == silent* ]]; then
    n=1
    [[ $kind == silent2 ]] && n=2
    grep -Eq "^ +$n  \* +\* +- +silent" <<<"$out"
    check "text: hop $n shown silent" $?
fi

# 2. the JSON record
json=$(chain exec branch "$agent" trace "$target" --class $class --timeout 500ms --json "$@")
rc=$?
echo "$json"
expect_rc=1
[[ $kind == clean ]] && expect_rc=0
check "json: exit $expect_rc, got $rc" $((rc != expect_rc))
if ! python3 - "$json" "$kind" "$family" "$sent" "$target" "$r1" "$r2" "$r3" <<'EOF'
import json, sys
rec, kind, family, sent, target, r1, r2, r3 = sys.argv[1:]
sent = int(sent)
r = json.loads(rec)
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
want(r["type"] == "trace" and r["schema"] == 1, "type/schema")
want(r["family"] == ("ipv4" if family == "v4" else "ipv6"), "family")
want(r["dscp_sent"] == sent, "dscp_sent")
want(r["reached"] is True, "reached")
hops = r["hops"]
want(len(hops) == 4, "4 hops, got %d" % len(hops))
if len(hops) == 4:
    addrs = [h["address"] for h in hops]
    want(addrs == [None if kind == "silent" else r1, None if kind == "silent2" else r2, r3,
                   target], "addresses %s" % addrs)
    seen = [h["dscp"] for h in hops]
    if kind == "clean":
        expect = [sent] * 4
    else:
        expect = [None if kind == "silent" else sent, None if kind == "silent2" else sent, 0, 0]
        if kind == "ingress":
            expect = [sent, 0, 0, 0]
    want(seen == expect, "dscp per hop %s, want %s" % (seen, expect))
    for h in hops:
        if h["address"] is not None:
            want(isinstance(h["rtt_ms"], float) and 0 <= h["rtt_ms"] < 1000, "rtt %s" % h)
    want(hops[3]["reflector"] is True, "hop 4 is the reflector")
if kind == "clean":
    want(r["rewrite"] is None, "rewrite null")
else:
    f = (1, r1) if kind in ("silent2", "ingress") else (2, r2)
    t = (2, r2) if kind == "ingress" else (3, r3)
    want(r["rewrite"] == {"from_hop": f[0], "from_address": f[1], "to_hop": t[0],
                          "to_address": t[1], "dscp_from": sent, "dscp_to": 0},
         "rewrite %s" % r["rewrite"])
for b in bad:
    print("FAIL: json:", b)
if not bad:
    print("ok: json record matches the lab")
sys.exit(1 if bad else 0)
EOF
then
    fail=1
fi
exit $fail
