#!/usr/bin/env bash
# voiceready network lab: three network namespaces joined by veth pairs, impairments in the middle.
#
#   ${P}branch  to-wan ──── to-branch  ${P}wan  to-hq ──── to-wan  ${P}hq
#   10.77.1.2                10.77.1.1          10.77.2.1           10.77.2.2
#   fd77:1::2                fd77:1::1          fd77:2::1           fd77:2::2
#
# "forward" is branch -> hq (the agent's probes), "reverse" is hq -> branch (the replies).
# Every impairment lives in ${P}wan. Needs root (ip netns, nft, tc). Test traffic stays inside
# these namespaces.
#
# usage: lab.sh up [--prefix P]              create the namespaces (default prefix "vr-")
#        lab.sh down [--prefix P]            stop what runs in them and delete them
#        lab.sh scenario NAME [--prefix P]   reset the wan, then apply NAME (list below)
#        lab.sh exec [--prefix P] branch|wan|hq CMD...
#        lab.sh show [--prefix P]            nft ruleset, qdisc and class counters in wan
#
# Scenarios (applied in ${P}wan; each one first removes the previous one):
#   clean             nothing
#   loss              nft drops LAB_LOSS_PCT % (default 3) of UDP to port 5004, forward only;
#                     read the truth from the named counter: nft list counter inet vrlab loss_fwd
#   bleach            nft rewrites DSCP to cs0 on the reverse path only (ECN bits kept)
#   congested         2 Mbit/s HTB on wan -> hq: EF (DSCP 46) in a priority class, everything
#                     else in a deep pfifo (LAB_BE_LIMIT packets, default 100); start a bulk flow
#                     yourself, e.g. lab.sh exec hq iperf3 -s -1 & lab.sh exec branch iperf3 -c
#                     10.77.2.2 -u -b 4M -t 30
#   congested-bleach  congested, plus DSCP rewritten to cs0 in wan's prerouting (forward path),
#                     before the bottleneck classifies it
#   congested-priority  the same 2 Mbit/s HTB, but EF is a low-latency queue: its assured rate is
#                     the whole bottleneck (best effort gets 8 kbit/s plus what EF leaves), so
#                     voice keeps the full 2 Mbit/s against a bulk flow
#   delay             vr-impair in wan: 10.77.1.1:6004 -> 10.77.2.2:5004 and
#                     [fd77:1::1]:6004 -> [fd77:2::2]:5004, 40 ms +- 3 ms forward,
#                     5 ms +- 0.5 ms reverse (uniform), seed LAB_SEED (default 42);
#                     logs in the state directory (printed)
#
# Environment: VR_IMPAIR (path of vr-impair), LAB_STATE_DIR (default /run/vr-lab).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${LAB_PREFIX:-vr-}
state_root=${LAB_STATE_DIR:-/run/vr-lab}
loss_pct=${LAB_LOSS_PCT:-3}
be_limit=${LAB_BE_LIMIT:-100}
seed=${LAB_SEED:-42}
bottleneck=2mbit
reflector_port=5004
relay_port=6004

die() {
    echo "$prog: $*" >&2
    exit 2
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

ns() { echo "${prefix}$1"; }
in_ns() {
    local n=$1
    shift
    ip netns exec "$(ns "$n")" "$@"
}
state_dir() { echo "$state_root/${prefix}"; }

check_prefix() {
    [[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$ ]] ||
        die "--prefix \"$prefix\": use 1-24 letters, digits, '-', '_' or '.', e.g. vr-"
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "needs root (ip netns, nft, tc): run it with sudo"
}

lab_exists() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$(ns wan)"
}

cmd_up() {
    need_root
    if lab_exists; then
        die "lab \"$prefix\" is already up; run '$prog down --prefix $prefix' first"
    fi
    mkdir -p "$(state_dir)"
    # A half-built lab is worse than none: undo everything if any step fails.
    trap 'echo "$prog: up failed, removing the partial lab" >&2; cmd_down >/dev/null 2>&1; exit 1' ERR
    local n
    for n in branch wan hq; do
        ip netns add "$(ns "$n")"
        in_ns "$n" ip link set lo up
    done
    # Create each pair directly inside its namespaces: no name clash in the root namespace.
    ip link add to-wan netns "$(ns branch)" type veth peer name to-branch netns "$(ns wan)"
    ip link add to-hq netns "$(ns wan)" type veth peer name to-wan netns "$(ns hq)"

    in_ns branch ip addr add 10.77.1.2/24 dev to-wan
    in_ns branch ip -6 addr add fd77:1::2/64 dev to-wan nodad
    in_ns wan ip addr add 10.77.1.1/24 dev to-branch
    in_ns wan ip -6 addr add fd77:1::1/64 dev to-branch nodad
    in_ns wan ip addr add 10.77.2.1/24 dev to-hq
    in_ns wan ip -6 addr add fd77:2::1/64 dev to-hq nodad
    in_ns hq ip addr add 10.77.2.2/24 dev to-wan
    in_ns hq ip -6 addr add fd77:2::2/64 dev to-wan nodad

    # HTB needs GSO off to shape small packets one by one (REFERENCE §7).
    local pair
    for pair in branch:to-wan wan:to-branch wan:to-hq hq:to-wan; do
        in_ns "${pair%%:*}" ip link set dev "${pair#*:}" gso_max_size 1500 gso_max_segs 1 up
    done

    # Static neighbours: under congestion an ARP or ND reply queued behind bulk traffic in the
    # bottleneck stalls every packet to that neighbour (seen as 0.5 s "reverse" delays and loss
    # on the unshaped path). Address resolution stays out of what the lab measures.
    local b_mac wb_mac wh_mac h_mac
    b_mac=$(in_ns branch cat /sys/class/net/to-wan/address)
    wb_mac=$(in_ns wan cat /sys/class/net/to-branch/address)
    wh_mac=$(in_ns wan cat /sys/class/net/to-hq/address)
    h_mac=$(in_ns hq cat /sys/class/net/to-wan/address)
    in_ns branch ip neigh replace 10.77.1.1 lladdr "$wb_mac" dev to-wan nud permanent
    in_ns branch ip -6 neigh replace fd77:1::1 lladdr "$wb_mac" dev to-wan nud permanent
    in_ns wan ip neigh replace 10.77.1.2 lladdr "$b_mac" dev to-branch nud permanent
    in_ns wan ip -6 neigh replace fd77:1::2 lladdr "$b_mac" dev to-branch nud permanent
    in_ns wan ip neigh replace 10.77.2.2 lladdr "$h_mac" dev to-hq nud permanent
    in_ns wan ip -6 neigh replace fd77:2::2 lladdr "$h_mac" dev to-hq nud permanent
    in_ns hq ip neigh replace 10.77.2.1 lladdr "$wh_mac" dev to-wan nud permanent
    in_ns hq ip -6 neigh replace fd77:2::1 lladdr "$wh_mac" dev to-wan nud permanent

    in_ns wan sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    in_ns branch ip route add default via 10.77.1.1
    in_ns branch ip -6 route add default via fd77:1::1
    in_ns hq ip route add default via 10.77.2.1
    in_ns hq ip -6 route add default via fd77:2::1
    trap - ERR
    echo "$prog: lab \"$prefix\" up: $(ns branch) 10.77.1.2 — $(ns wan) — $(ns hq) 10.77.2.2"
}

# Stops every process we started in the lab: relays recorded in the state dir, then whatever
# still runs inside our namespaces (nothing else can be inside them).
stop_processes() {
    local pids=() n p
    if [ -d "$(state_dir)" ]; then
        for p in "$(state_dir)"/*.pid; do
            [ -e "$p" ] || continue
            pids+=("$(cat "$p")")
            rm -f "$p"
        done
    fi
    for n in branch wan hq; do
        [ -e "/run/netns/$(ns "$n")" ] || continue
        while read -r p; do
            [ -n "$p" ] && pids+=("$p")
        done < <(ip netns pids "$(ns "$n")" 2>/dev/null)
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local alive
    for _ in $(seq 1 20); do
        alive=()
        for p in "${pids[@]}"; do
            if kill -0 "$p" 2>/dev/null; then alive+=("$p"); fi
        done
        [ ${#alive[@]} -gt 0 ] || return 0
        sleep 0.1
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

cmd_down() {
    need_root
    stop_processes
    local n
    for n in branch wan hq; do
        if [ -e "/run/netns/$(ns "$n")" ]; then
            ip netns del "$(ns "$n")" || echo "$prog: could not delete $(ns "$n")" >&2
        fi
    done
    rm -rf "$(state_dir)"
    echo "$prog: lab \"$prefix\" down"
}

find_impair() {
    if [ -n "${VR_IMPAIR:-}" ]; then
        [ -x "$VR_IMPAIR" ] || die "VR_IMPAIR=$VR_IMPAIR is not an executable"
        echo "$VR_IMPAIR"
        return
    fi
    local c
    for c in "$here"/../../build*/tests/tools/vr-impair; do
        [ -x "$c" ] && {
            echo "$c"
            return
        }
    done
    command -v vr-impair 2>/dev/null ||
        die "vr-impair not found: build it (cmake --build build) or set VR_IMPAIR=/path/to/vr-impair"
}

# Removes any scenario from wan: nft table, root qdisc, relays.
reset_wan() {
    in_ns wan nft delete table inet vrlab 2>/dev/null || true
    in_ns wan tc qdisc del dev to-hq root 2>/dev/null || true
    local p
    for p in "$(state_dir)"/impair*.pid; do
        [ -e "$p" ] || continue
        kill -TERM "$(cat "$p")" 2>/dev/null || true
        rm -f "$p"
    done
}

apply_loss() {
    if ! [[ $loss_pct =~ ^[0-9]+$ ]] || [ "$loss_pct" -gt 100 ]; then
        die "LAB_LOSS_PCT=$loss_pct: expected a whole percentage 0-100"
    fi
    in_ns wan nft -f - <<EOF
table inet vrlab {
    counter loss_fwd { }
    chain forward_loss {
        type filter hook forward priority 0; policy accept;
        iifname "to-branch" oifname "to-hq" udp dport $reflector_port numgen random mod 100 < $loss_pct counter name "loss_fwd" drop
    }
}
EOF
}

apply_bleach_reverse() {
    in_ns wan nft -f - <<EOF
table inet vrlab {
    chain reverse_bleach {
        type filter hook forward priority 0; policy accept;
        iifname "to-hq" oifname "to-branch" ip dscp set cs0
        iifname "to-hq" oifname "to-branch" ip6 dscp set cs0
    }
}
EOF
}

# Prerouting runs before the egress qdisc classifies, so the bottleneck sees cs0.
apply_bleach_forward_pre() {
    in_ns wan nft -f - <<EOF
table inet vrlab {
    chain forward_bleach_pre {
        type filter hook prerouting priority -150; policy accept;
        iifname "to-branch" ip dscp set cs0
        iifname "to-branch" ip6 dscp set cs0
    }
}
EOF
}

# $1/$2: assured rates of the EF and best-effort classes (default 1mbit each).
apply_congested() {
    [[ $be_limit =~ ^[0-9]+$ ]] || die "LAB_BE_LIMIT=$be_limit: expected a packet count"
    local dev=to-hq ef_rate=${1:-1mbit} be_rate=${2:-1mbit}
    in_ns wan tc qdisc add dev $dev root handle 1: htb default 20
    in_ns wan tc class add dev $dev parent 1: classid 1:1 htb rate $bottleneck ceil $bottleneck
    # EF: served first (prio 0) with a guaranteed share; best effort gets the rest.
    in_ns wan tc class add dev $dev parent 1:1 classid 1:10 htb rate "$ef_rate" ceil $bottleneck prio 0
    in_ns wan tc class add dev $dev parent 1:1 classid 1:20 htb rate "$be_rate" ceil $bottleneck prio 1
    in_ns wan tc qdisc add dev $dev parent 1:10 handle 10: pfifo limit 100
    in_ns wan tc qdisc add dev $dev parent 1:20 handle 20: pfifo limit "$be_limit"
    # DSCP 46 = TOS 0xb8 under mask 0xfc (ECN ignored); IPv6 traffic class sits at bits 20-27.
    in_ns wan tc filter add dev $dev parent 1: protocol ip prio 1 u32 \
        match ip dsfield 0xb8 0xfc flowid 1:10
    in_ns wan tc filter add dev $dev parent 1: protocol ipv6 prio 2 u32 \
        match u32 0x0b800000 0x0fc00000 at 0 flowid 1:10
}

start_relay() {
    local name=$1 listen=$2 upstream=$3 bin
    bin=$(find_impair)
    local log
    log="$(state_dir)/$name.csv"
    rm -f "$log"
    # setsid: the relay outlives this script (for use by hand) until 'down' or the next scenario.
    setsid ip netns exec "$(ns wan)" "$bin" --listen "$listen" --upstream "$upstream" \
        --fwd-delay 40ms --fwd-var uniform:3ms --rev-delay 5ms --rev-var uniform:0.5ms \
        --seed "$seed" --log "$log" </dev/null >"$(state_dir)/$name.stderr" 2>&1 &
    echo $! >"$(state_dir)/$name.pid"
    for _ in $(seq 1 50); do
        [ -s "$log" ] && {
            echo "$prog: relay $listen -> $upstream, log $log"
            return 0
        }
        kill -0 "$(cat "$(state_dir)/$name.pid")" 2>/dev/null || break
        sleep 0.1
    done
    cat "$(state_dir)/$name.stderr" >&2
    die "vr-impair did not start ($listen -> $upstream)"
}

cmd_scenario() {
    local name=$1
    case $name in
    clean | loss | bleach | congested | congested-bleach | congested-priority | delay) ;;
    *) die "unknown scenario \"$name\": use clean, loss, bleach, congested, congested-bleach, congested-priority or delay" ;;
    esac
    need_root
    lab_exists || die "lab \"$prefix\" is not up; run '$prog up --prefix $prefix' first"
    mkdir -p "$(state_dir)"
    reset_wan
    case $name in
    clean) ;;
    loss) apply_loss ;;
    bleach) apply_bleach_reverse ;;
    congested) apply_congested ;;
    congested-bleach)
        apply_bleach_forward_pre
        apply_congested
        ;;
    congested-priority) apply_congested $bottleneck 8kbit ;;
    delay)
        start_relay impair "10.77.1.1:$relay_port" "10.77.2.2:$reflector_port"
        start_relay impair6 "[fd77:1::1]:$relay_port" "[fd77:2::2]:$reflector_port"
        ;;
    esac
    echo "$name" >"$(state_dir)/scenario"
    echo "$prog: scenario $name applied in $(ns wan)"
}

cmd_show() {
    need_root
    lab_exists || die "lab \"$prefix\" is not up"
    echo "scenario: $(cat "$(state_dir)/scenario" 2>/dev/null || echo none)"
    in_ns wan nft list ruleset
    in_ns wan tc -s qdisc show dev to-hq
    in_ns wan tc -s class show dev to-hq
}

[ $# -ge 1 ] || {
    usage >&2
    exit 2
}
cmd=$1
shift
args=()
while [ $# -gt 0 ]; do
    case $1 in
    --prefix)
        [ $# -ge 2 ] || die "--prefix needs a value, e.g. --prefix vr-"
        prefix=$2
        shift 2
        ;;
    --prefix=*)
        prefix=${1#--prefix=}
        shift
        ;;
    *)
        args+=("$1")
        shift
        if [ "$cmd" = exec ] && [ ${#args[@]} -ge 1 ]; then
            args+=("$@") # everything after the namespace belongs to the command
            break
        fi
        ;;
    esac
done
check_prefix

case $cmd in
up)
    [ ${#args[@]} -eq 0 ] || die "up: unexpected argument \"${args[0]}\""
    cmd_up
    ;;
down)
    [ ${#args[@]} -eq 0 ] || die "down: unexpected argument \"${args[0]}\""
    cmd_down
    ;;
scenario)
    [ ${#args[@]} -eq 1 ] || die "scenario: name one of clean, loss, bleach, congested, congested-bleach, congested-priority, delay"
    cmd_scenario "${args[0]}"
    ;;
exec)
    [ ${#args[@]} -ge 2 ] || die "exec: usage: $prog exec [--prefix P] branch|wan|hq CMD..."
    case ${args[0]} in
    branch | wan | hq) ;;
    *) die "exec: namespace \"${args[0]}\": use branch, wan or hq" ;;
    esac
    need_root
    lab_exists || die "lab \"$prefix\" is not up; run '$prog up --prefix $prefix' first"
    exec ip netns exec "$(ns "${args[0]}")" "${args[@]:1}"
    ;;
show)
    cmd_show
    ;;
-h | --help | help)
    usage
    ;;
*)
    die "unknown command \"$cmd\": use up, down, scenario, exec or show (--help for details)"
    ;;
esac
