#!/usr/bin/env bash
# Reproduces every figure in docs/performance.md on a fresh Debian machine (run as root, from anywhere):
#   installs what is missing, builds the Java module and the C programs, builds its own network namespace
#   and veth pair, runs the UDP end-to-end matrix, the QUIC/HTTP/3 matrix and the JMH microbenchmarks, writes
#   the results and their charts (PNG, in docs/performance/) into docs/performance.md, and removes every
#   namespace, link and bpffs pin it made, on failure too.
#
# Environment (all optional):
#   UDP=1 QUIC=1 MICRO=1   which parts run (0: skip); each part replaces only its own section of the doc
#   ROUNDS=5        UDP rounds; each round runs every receiver once, in turn (A B C D E, A B C D E, ...)
#   DURATION=1.5    seconds measured per cell (each flood runs 0.8 s longer: ramp-up and drain stay outside)
#   WARMUP=1        seconds per warm-up flow when a receiver starts (3 flows, not recorded)
#   LATENCY_RATE=20000   datagrams/s for the echo round-trip measurement
#   GEN_MODE=udp|packet  skip the generator selection and use this one
#   RECEIVERS=c,quicxdp17,quicxdp25,nio,netty   a subset, by id
#   QUIC_ROUNDS=3   QUIC rounds; each starts every HTTP/3 server in turn, warms it up and runs every cell, IPv4 and
#                   IPv6, under every fixture
#   QUIC_DURATION=3 seconds measured per QUIC cell (after a 1 s ramp)
#   QUIC_FIXTURES=rps,gro   where the client's receive stack runs (fixture.sh): rps, gro, plain; the order
#                   alternates between rounds
#   QUIC_CELLS=handshakes,requests,streams,bulk1,bulk8,paced,latency   a subset of the QUIC cells, by id
#   QUIC_CHECK_CELLS=requests,streams,bulk1,bulk8,paced   the cells also run under the fixtures after the first
#   QUIC_PACED_RATE=20   MB/s the paced bulk cell reads at, the same for every server
#   QUIC_LATENCY_RATE=2000   requests/s offered in the QUIC latency cell
#   QUIC_WARMUP=1 QUIC_WARMUP_ROUNDS=6 QUIC_JIT_QUIET=0.02   warm-up rounds of QUIC_WARMUP s per cell (after its
#                   1 s ramp) until the JIT threads take at most QUIC_JIT_QUIET of a round's CPU (two rounds at least)
#   QUIC_NETTY_ALLOCATOR=adaptive   io.netty.allocator.type of every Java HTTP/3 server
#   QUIC_SERVERS=xdp,xdp-gso,epoll,nio,webflux-xdp,webflux-epoll,ngtcp2   a subset of the HTTP/3 servers, by id
#   QUIC_PROFILER=jfr|async   profile each Java HTTP/3 server into target/results/logs: JFR (Java frames), or
#                   async-profiler (Java, native and kernel frames; fetched from Maven Central), collapsed stacks
#   JAVA25=/path/to/java   the second JDK for the quic-xdp receiver (default: an installed Temurin 25)
#   UPDATE_DOCS=1   write the results and charts into docs/ (0: only into benchmarks/target/results)
# Quick look: ROUNDS=1 DURATION=1 MICRO=0 benchmarks/run.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
COMMAND_LINE="$(env | grep -E '^(UDP|QUIC|MICRO|ROUNDS|DURATION|WARMUP|LATENCY_RATE|GEN_MODE|RECEIVERS|QUIC_[A-Z_]+)=' \
  | sort | tr '\n' ' ')benchmarks/run.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh needs root: it creates a network namespace, a veth pair and an XDP program" >&2
  exit 1
fi

# --- what the machine needs ------------------------------------------------------------------------
need=()
for pkg in gcc make libc6-dev libxdp-dev libbpf-dev iproute2 ethtool util-linux procps maven \
  openjdk-17-jdk-headless openssl ngtcp2-server unzip fonts-dejavu-core; do
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

# --- UDP end to end -----------------------------------------------------------------------------
export BENCH_NS="$NS" BENCH_APP_IF="$APP" BENCH_PEER_IF="$PEER" BENCH_APP_MAC="$APP_MAC" \
  BENCH_APP_IP4="$APP_IP4" BENCH_PEER_IP4="$PEER_IP4" BENCH_APP_IP6="$APP_IP6" BENCH_PEER_IP6="$PEER_IP6" \
  BENCH_PIN="$PIN_DIR/xsks" BENCH_NATIVE="$HERE/target/native" BENCH_CLASSPATH="$CP" \
  BENCH_JAVA17="$JAVA17" BENCH_JAVA25="$JAVA25" BENCH_OUTPUT="$RESULTS/end-to-end.md" \
  BENCH_LOGS="$RESULTS/logs" BENCH_COMMAND="$COMMAND_LINE"
rm -rf "$RESULTS/logs" "$RESULTS/end-to-end.md" "$RESULTS/quic.md" "$RESULTS/jmh.md" "$RESULTS/charts"
run_java() {
  "$JAVA17" --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -cp "$CP" "$@" &
  RUNNER_PID=$!
  wait "$RUNNER_PID"
  RUNNER_PID=""
}
if [ "${UDP:-1}" != "0" ]; then
  run_java io.quicxdp.bench.BenchRunner
fi

# --- QUIC and HTTP/3 -----------------------------------------------------------------------------
if [ "${QUIC:-1}" != "0" ]; then
  # the same files and certificate for every server, ngtcp2's included
  QUIC_FILES="$RESULTS/quic-files"
  rm -rf "$QUIC_FILES" && mkdir -p "$QUIC_FILES/htdocs"
  head -c 100 /dev/urandom >"$QUIC_FILES/htdocs/small"
  head -c $((16 * 1024 * 1024)) /dev/urandom >"$QUIC_FILES/htdocs/bulk"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -keyout "$QUIC_FILES/key.pem" -out "$QUIC_FILES/cert.pem" 2>/dev/null
  if [ "${QUIC_PROFILER:-}" = "async" ]; then
    (cd "$ROOT" && mvn -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.6 \
      -DoutputDirectory="$QUIC_FILES")
    unzip -q -o -j "$QUIC_FILES/async-profiler-4.6.jar" linux-x64/libasyncProfiler.so -d "$QUIC_FILES"
    export BENCH_ASYNC_PROFILER="$QUIC_FILES/libasyncProfiler.so"
  fi
  export BENCH_GTLSSERVER="$(command -v gtlsserver || true)" BENCH_QUIC_PIN="$PIN_DIR/quic-xsks" \
    BENCH_HTDOCS="$QUIC_FILES/htdocs" BENCH_TLS_KEY="$QUIC_FILES/key.pem" BENCH_TLS_CERT="$QUIC_FILES/cert.pem" \
    BENCH_QUIC_OUTPUT="$RESULTS/quic.md" BENCH_FIXTURE_SCRIPT="$HERE/fixture.sh"
  run_java io.quicxdp.bench.QuicBenchRunner
fi

# --- microbenchmarks -----------------------------------------------------------------------------
if [ "${MICRO:-1}" != "0" ]; then
  echo "JMH microbenchmarks (pinned to core 1)"
  mkdir -p "$RESULTS/logs"
  taskset -c 1 "$JAVA17" -cp "$CP" org.openjdk.jmh.Main -wi 2 -w 1 -i 3 -r 1 -f 1 -prof gc \
    -rf text -rff "$RESULTS/jmh.txt" >"$RESULTS/logs/jmh.log" 2>&1
  {
    echo "### JMH microbenchmarks: run of $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "- command: \`$COMMAND_LINE\`; Java 17, pinned to core 1; \`-wi 2 -w 1 -i 3 -r 1 -f 1 -prof gc\`"
    echo "- avgt: ns per operation; gc.alloc.rate.norm: bytes allocated per operation"
    echo
    echo '```'
    grep -v -E 'gc\.(alloc\.rate |count|time|churn)' "$RESULTS/jmh.txt"
    echo '```'
    echo
  } >"$RESULTS/jmh.md"
fi

# --- docs/performance.md -------------------------------------------------------------------------
# each part that ran gets its charts (PNG, linked under its tables) and replaces the section between its own
# markers; its charts replace the part's old ones in docs/performance/
DOC="$ROOT/docs/performance.md"
CHARTS="$RESULTS/charts"
replace_section() {
  local name="$1" file="$2"
  [ -f "$file" ] || return 0
  run_java io.quicxdp.bench.chart.ChartMain "$file" "$CHARTS" performance "$name"
  if [ "${UPDATE_DOCS:-1}" = "0" ] || ! grep -q "<!-- $name:begin -->" "$DOC"; then
    echo "$name results in $file, charts in $CHARTS"
    return 0
  fi
  mkdir -p "$ROOT/docs/performance"
  rm -f "$ROOT/docs/performance/$name"-*.png
  cp "$CHARTS/$name"-*.png "$ROOT/docs/performance/" 2>/dev/null || true
  awk -v results="$file" -v begin="<!-- $name:begin -->" -v end="<!-- $name:end -->" '
    $0 == begin { print; while ((getline line < results) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$DOC" >"$DOC.new" && mv "$DOC.new" "$DOC"
  echo "$name results written into $DOC"
}
replace_section results "$RESULTS/end-to-end.md"
replace_section quic-results "$RESULTS/quic.md"
replace_section jmh-results "$RESULTS/jmh.md"
