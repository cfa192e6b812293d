#!/usr/bin/env bash
# Reproduces every figure in docs/performance.md on a fresh Debian machine (run as root, from anywhere):
#   installs what is missing, builds the Java module and the C programs, builds its own network namespace
#   and veth pair, runs the end-to-end matrix and the JMH microbenchmarks, writes the results into
#   docs/performance.md, and removes every namespace, link and bpffs pin it made, on failure too.
#
# Environment (all optional):
#   ROUNDS=5        rounds; each round runs every receiver once, in turn (A B C D E, A B C D E, ...)
#   DURATION=1.5    seconds measured per cell (each flood runs 0.8 s longer: ramp-up and drain stay outside)
#   WARMUP=1        seconds per warm-up flow when a receiver starts (3 flows, not recorded)
#   LATENCY_RATE=20000   datagrams/s for the echo round-trip measurement
#   GEN_MODE=udp|packet  skip the generator selection and use this one
#   RECEIVERS=c,quicxdp17,quicxdp25,nio,netty   a subset, by id
#   MICRO=1         run the JMH microbenchmarks (0: skip)
#   JAVA25=/path/to/java   the second JDK for the quic-xdp receiver (default: an installed Temurin 25)
#   UPDATE_DOCS=1   write the results into docs/performance.md (0: only into benchmarks/target/results)
# Quick look: ROUNDS=1 DURATION=1 MICRO=0 benchmarks/run.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
COMMAND_LINE="$(env | grep -E '^(ROUNDS|DURATION|WARMUP|LATENCY_RATE|GEN_MODE|RECEIVERS|MICRO)=' | sort | tr '\n' ' ')benchmarks/run.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh needs root: it creates a network namespace, a veth pair and an XDP program" >&2
  exit 1
fi

# --- what the machine needs ------------------------------------------------------------------------
need=()
for pkg in gcc make libc6-dev libxdp-dev libbpf-dev iproute2 ethtool util-linux maven openjdk-17-jdk-headless; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
JAVA17="${JAVA17:-$(ls -d /usr/lib/jvm/java-17-openjdk-*/bin/java 2>/dev/null | head -1)}"
JAVA25="${JAVA25:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -1 || true)}"
[ -x "$JAVA17" ] || { echo "no JDK 17 found" >&2; exit 1; }
[ -n "$JAVA25" ] || echo "no Temurin 25 found (set JAVA25=...): the quic-xdp receiver runs on Java 17 only"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
if [ "$(nproc)" -lt 2 ]; then
  echo "needs two cores: the generator and the receiver are pinned to different ones" >&2
  exit 1
fi

# --- build ---------------------------------------------------------------------------------------
echo "building"
(cd "$ROOT" && JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA17")")")" \
  mvn -B -q -pl benchmarks -am package -DskipTests)
make -s -C "$HERE/native" OUT="$HERE/target/native"
CP="$HERE/target/classes:$HERE/target/lib/*"

# --- our own network, removed on exit ------------------------------------------------------------
ID="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
NS="qxb-$ID"
APP="qxba$ID"
PEER="qxbp$ID"
PIN_DIR="/sys/fs/bpf/qxbench-$ID"
RESULTS="$HERE/target/results"
RUNNER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null; then
    kill "$RUNNER_PID" 2>/dev/null || true
    wait "$RUNNER_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  ip link show "$APP" >/dev/null 2>&1 && ip link del "$APP" 2>/dev/null || true
  rm -rf "$PIN_DIR"
  echo "removed namespace $NS, link $APP, pins under $PIN_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a /24 of 198.18.0.0/15 nothing on this machine uses
used="$(ip -o addr show)"
for attempt in $(seq 1 256); do
  SUBNET=$(( $(od -An -N2 -tu2 /dev/urandom) % 256 ))
  echo "$used" | grep -q " 198\.19\.$SUBNET\." || break
done
APP_IP4="198.19.$SUBNET.1"
PEER_IP4="198.19.$SUBNET.2"
HEX=$(printf '%x' $((0xb00 + SUBNET)))
APP_IP6="fd00:198:18:$HEX::1"
PEER_IP6="fd00:198:18:$HEX::2"

echo "network: namespace $NS, $APP ($APP_IP4, $APP_IP6) <-> $PEER ($PEER_IP4, $PEER_IP6)"
ip netns add "$NS"
ip link add "$APP" type veth peer name "$PEER" netns "$NS"
sysctl -q -w "net.ipv6.conf.$APP.accept_dad=0"
ip netns exec "$NS" sysctl -q -w "net.ipv6.conf.$PEER.accept_dad=0"
ip addr add "$APP_IP4/24" dev "$APP"
ip -6 addr add "$APP_IP6/64" dev "$APP" nodad
ip link set "$APP" up
ip -n "$NS" addr add "$PEER_IP4/24" dev "$PEER"
ip -n "$NS" -6 addr add "$PEER_IP6/64" dev "$PEER" nodad
ip -n "$NS" link set lo up
ip -n "$NS" link set "$PEER" up
# veth would otherwise hand over UDP frames whose checksum holds only the pseudo-header sum
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null
APP_MAC="$(cat "/sys/class/net/$APP/address")"
mkdir -p "$PIN_DIR" "$RESULTS"

# --- end to end ----------------------------------------------------------------------------------
export BENCH_NS="$NS" BENCH_APP_IF="$APP" BENCH_PEER_IF="$PEER" BENCH_APP_MAC="$APP_MAC" \
  BENCH_APP_IP4="$APP_IP4" BENCH_PEER_IP4="$PEER_IP4" BENCH_APP_IP6="$APP_IP6" BENCH_PEER_IP6="$PEER_IP6" \
  BENCH_PIN="$PIN_DIR/xsks" BENCH_NATIVE="$HERE/target/native" BENCH_CLASSPATH="$CP" \
  BENCH_JAVA17="$JAVA17" BENCH_JAVA25="$JAVA25" BENCH_OUTPUT="$RESULTS/end-to-end.md" \
  BENCH_LOGS="$RESULTS/logs" BENCH_COMMAND="$COMMAND_LINE"
rm -rf "$RESULTS/logs"
"$JAVA17" --enable-native-access=ALL-UNNAMED -cp "$CP" io.quicxdp.bench.BenchRunner &
RUNNER_PID=$!
wait "$RUNNER_PID"
RUNNER_PID=""

# --- microbenchmarks -----------------------------------------------------------------------------
if [ "${MICRO:-1}" != "0" ]; then
  echo "JMH microbenchmarks (pinned to core 1)"
  taskset -c 1 "$JAVA17" -cp "$CP" org.openjdk.jmh.Main -wi 2 -w 1 -i 3 -r 1 -f 1 \
    -rf text -rff "$RESULTS/jmh.txt" >"$RESULTS/logs/jmh.log" 2>&1
fi

# --- docs/performance.md -------------------------------------------------------------------------
{
  cat "$RESULTS/end-to-end.md"
  if [ -f "$RESULTS/jmh.txt" ] && [ "${MICRO:-1}" != "0" ]; then
    echo "#### JMH microbenchmarks (Java 17, pinned to core 1; ns per operation)"
    echo
    echo '```'
    cat "$RESULTS/jmh.txt"
    echo '```'
    echo
  fi
} >"$RESULTS/results.md"
DOC="$ROOT/docs/performance.md"
if [ "${UPDATE_DOCS:-1}" != "0" ] && [ -f "$DOC" ] && grep -q '<!-- results:begin -->' "$DOC"; then
  awk -v results="$RESULTS/results.md" '
    /<!-- results:begin -->/ { print; while ((getline line < results) > 0) print line; skip = 1; next }
    /<!-- results:end -->/ { skip = 0 }
    !skip { print }' "$DOC" >"$DOC.new" && mv "$DOC.new" "$DOC"
  echo "results written into $DOC"
else
  echo "results in $RESULTS/results.md"
fi
