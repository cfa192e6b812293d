#!/usr/bin/env bash
# Sets where the client's receive stack runs on run.sh's veth pair, for the QUIC matrix. On a bare veth pair a
# datagram the server sends is received by the peer inside the server's own send call, on the server's core and
# charged to the server, and the client gets no GRO for datagrams that were not sent with GSO. Each fixture first
# undoes the others, so they can be applied in any order:
#   plain  the veth pair as run.sh made it
#   rps    RPS on the peer's receive queue: the peer's IP/UDP receive and the client's wake-up run on the client's core
#   gro    threaded NAPI with GRO on the peer, its kernel thread on the client's core, TSO off on the server's end
#          (so that AF_XDP's copy-mode packets are eligible for the peer's NAPI too): closer to a client NIC, which
#          coalesces back-to-back datagrams whatever the sender did
# usage: fixture.sh plain|rps|gro NAMESPACE SERVER_IF PEER_IF CLIENT_CPU
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 plain|rps|gro NAMESPACE SERVER_IF PEER_IF CLIENT_CPU" >&2; exit 2; }
fixture="$1" ns="$2" app="$3" peer="$4" cpu="$5"
in_ns() { ip netns exec "$ns" "$@"; }
mask=$(printf '%x' $((1 << cpu)))

# back to plain: threaded off before GRO off (GRO off removes the peer's NAPI), then the rest
in_ns sh -c "echo 0 > /sys/class/net/$peer/threaded" 2>/dev/null || true
in_ns ethtool -K "$peer" gro off >/dev/null
in_ns sh -c "echo 0 > /sys/class/net/$peer/queues/rx-0/rps_cpus"
ethtool -K "$app" tso on >/dev/null

case "$fixture" in
  plain) ;;
  rps)
    in_ns sh -c "echo $mask > /sys/class/net/$peer/queues/rx-0/rps_cpus"
    echo "RPS of $peer rx-0 to core $cpu" ;;
  gro)
    ethtool -K "$app" tso off >/dev/null
    in_ns ethtool -K "$peer" gro on >/dev/null
    in_ns sh -c "echo 1 > /sys/class/net/$peer/threaded"
    # the NAPI threads are named napi/<device>-<id>, cut to 15 characters
    pinned=0
    for pid in $(ps -e -o pid=,comm= | awk -v p="napi/${peer:0:10}" 'index($2, p) == 1 { print $1 }'); do
      taskset -p -c "$cpu" "$pid" >/dev/null
      pinned=$((pinned + 1))
    done
    [ "$pinned" -gt 0 ] || { echo "no NAPI thread of $peer found to pin" >&2; exit 1; }
    echo "GRO and threaded NAPI on $peer ($pinned thread(s) on core $cpu), TSO off on $app" ;;
  *) echo "unknown fixture '$fixture': plain, rps or gro" >&2; exit 2 ;;
esac
