#!/usr/bin/env bash
# The trace lab: five network namespaces in a chain, a reflector at the end.
#
#   ${P}branch eth0 ── eth0 ${P}r1 eth1 ── eth0 ${P}r2 eth1 ── eth0 ${P}r3 eth1 ── eth0 ${P}hq
#   10.0.1.1     10.0.1.2  10.0.12.1   10.0.12.2  10.0.23.2  10.0.23.3  10.0.34.3   10.0.34.4
#   fd00:1::1    fd00:1::2 fd00:12::1  fd00:12::2 fd00:23::2 fd00:23::3 fd00:34::3  fd00:34::4
#
# Seen from branch, r1 is hop 1, r2 hop 2, r3 hop 3 and hq (the reflector) hop 4. Routers
# answer from the address facing branch (the route back), so r2 is 10.0.12.2 and r3 10.0.23.3.
# ICMP rate limits are off in every namespace so that fast probing never silences a router,
# and IPv6 duplicate address detection is off so that addresses work at once.
#
# usage: chain.sh up P AGENT       create the chain with namespace prefix P, start
#                                  `AGENT reflect` in ${P}hq (its log: /tmp/${P}reflect.log)
#        chain.sh down P           stop the reflector, delete the namespaces
#        chain.sh rewrite P on|teams|ingress|off  r2 rewrites DSCP to cs0 in its forward hook,
#                                  branch -> hq only (IPv4 and IPv6, ECN bits kept); "teams":
#                                  only UDP from Teams client ports 50000-50059; "ingress": in
#                                  its prerouting hook instead (what arrives from branch)
#        chain.sh silence P on|off [R]  router R (default r1) drops the ICMP time-exceeded
#                                  messages it sends
#        chain.sh exec P NS CMD... run CMD in ${P}NS
# Needs root (ip netns, nft). Traffic stays inside these namespaces.
set -euo pipefail

prog=${0##*/}
die() {
    echo "$prog: $*" >&2
    exit 2
}

in_ns() {
    local n=$1
    shift
    ip netns exec "${P}$n" "$@"
}

# sysctl that may not exist on older kernels (e.g. net.ipv6.icmp.ratemask)
try_sysctl() {
    local n=$1
    shift
    in_ns "$n" sysctl -qw "$@" >/dev/null 2>&1 || true
}

link() { # link NS_A IF_A NS_B IF_B
    ip link add "$2" netns "${P}$1" type veth peer name "$4" netns "${P}$3"
    in_ns "$1" ip link set "$2" up
    in_ns "$3" ip link set "$4" up
}

addr() { # addr NS IF V4/24 V6/64
    in_ns "$1" ip addr add "$3" dev "$2"
    in_ns "$1" ip -6 addr add "$4" dev "$2" nodad
}

up() {
    local agent=$1
    for n in branch r1 r2 r3 hq; do
        ip netns add "${P}$n"
        in_ns $n ip link set lo up
        in_ns $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        in_ns $n sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0
        in_ns $n sysctl -qw net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000
        in_ns $n sysctl -qw net.ipv6.icmp.ratelimit=0
        try_sysctl $n net.ipv6.icmp.ratemask=
        case $n in r*)
            in_ns $n sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
            ;;
        esac
    done
    link branch eth0 r1 eth0
    link r1 eth1 r2 eth0
    link r2 eth1 r3 eth0
    link r3 eth1 hq eth0
    addr branch eth0 10.0.1.1/24 fd00:1::1/64
    addr r1 eth0 10.0.1.2/24 fd00:1::2/64
    addr r1 eth1 10.0.12.1/24 fd00:12::1/64
    addr r2 eth0 10.0.12.2/24 fd00:12::2/64
    addr r2 eth1 10.0.23.2/24 fd00:23::2/64
    addr r3 eth0 10.0.23.3/24 fd00:23::3/64
    addr r3 eth1 10.0.34.3/24 fd00:34::3/64
    addr hq eth0 10.0.34.4/24 fd00:34::4/64
    in_ns branch ip route add default via 10.0.1.2
    in_ns branch ip -6 route add default via fd00:1::2
    in_ns r1 ip route add default via 10.0.12.2
    in_ns r1 ip -6 route add default via fd00:12::2
    in_ns r2 ip route add 10.0.1.0/24 via 10.0.12.1
    in_ns r2 ip route add 10.0.34.0/24 via 10.0.23.3
    in_ns r2 ip -6 route add fd00:1::/64 via fd00:12::1
    in_ns r2 ip -6 route add fd00:34::/64 via fd00:23::3
    in_ns r3 ip route add default via 10.0.23.2
    in_ns r3 ip -6 route add default via fd00:23::2
    in_ns hq ip route add default via 10.0.34.3
    in_ns hq ip -6 route add default via fd00:34::3

    # ip netns exec execs the agent, so $! is the reflector itself (in_ns, a function, would
    # fork a subshell and $! would name that instead)
    ip netns exec "${P}hq" "$agent" reflect >"/tmp/${P}reflect.log" 2>&1 &
    echo $! >"/tmp/${P}reflect.pid"
    # ready when both listeners (IPv4 and IPv6) are bound
    for _ in $(seq 1 50); do
        if [[ $(in_ns hq ss -Hlun 2>/dev/null | grep -c ':5004 ') -ge 2 ]]; then
            return 0
        fi
        sleep 0.1
    done
    die "the chain did not come up (reflector log: /tmp/${P}reflect.log)"
}

down() {
    local pidf="/tmp/${P}reflect.pid" pids
    if [[ -f $pidf ]]; then
        kill "$(cat "$pidf")" 2>/dev/null || true
        rm -f "$pidf"
    fi
    # anything else still running inside these namespaces was started here too; a process left
    # in a deleted namespace would keep it (and its veths) alive
    for n in branch r1 r2 r3 hq; do
        pids=$(ip netns pids "${P}$n" 2>/dev/null || true)
        for pid in $pids; do
            kill "$pid" 2>/dev/null || true
        done
    done
    for n in branch r1 r2 r3 hq; do
        ip netns del "${P}$n" 2>/dev/null || true
    done
    rm -f "/tmp/${P}reflect.log"
}

rewrite() {
    local match="" hook=forward dir='iifname "eth0" oifname "eth1"'
    in_ns r2 nft delete table inet vrtrace 2>/dev/null || true
    case $1 in
    on) ;;
    teams) match="udp sport 50000-50059" ;; # a port-based policy: only Teams media
    ingress)                                # on arrival, before r2's own TTL check
        hook=prerouting
        dir='iifname "eth0"'
        ;;
    *) return 0 ;;
    esac
    in_ns r2 nft -f - <<EOF
table inet vrtrace {
    chain rewrite_hook {
        type filter hook $hook priority 0; policy accept;
        $dir $match ip dscp set cs0
        $dir $match ip6 dscp set cs0
    }
}
EOF
}

silence() {
    local r=${2:-r1}
    in_ns "$r" nft delete table inet vrtrace_silent 2>/dev/null || true
    [[ $1 == on ]] || return 0
    in_ns "$r" nft -f - <<'EOF'
table inet vrtrace_silent {
    chain output_hook {
        type filter hook output priority 0; policy accept;
        icmp type time-exceeded drop
        icmpv6 type time-exceeded drop
    }
}
EOF
}

[[ $# -ge 2 ]] || die "usage: $prog up|down|rewrite|silence|exec PREFIX ..."
cmd=$1
P=$2
shift 2
case $cmd in
up) up "${1:?agent path}" ;;
down) down ;;
rewrite) rewrite "${1:?on, teams, ingress or off}" ;;
silence) silence "${1:?on or off}" "${2:-r1}" ;;
exec)
    n=$1
    shift
    in_ns "$n" "$@"
    ;;
*) die "unknown command $cmd" ;;
esac
