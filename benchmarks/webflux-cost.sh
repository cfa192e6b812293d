#!/usr/bin/env bash
# What a WebFlux request over HTTP/3 through the starter costs, against the raw Netty HTTP/3 server of the
# benchmarks (QuicServerMain) on the same XDP transport (docs/http3.md, "What a request costs"). Run as root.
#
# One veth pair with one queue, the reference XDP program redirecting the port into a pinned XSKMAP (built
# and held by CostSandbox, from the datapath's test fixtures), one server at a time on it; ngtcp2's gtlsclient
# in the peer namespace sends BATCH requests for a 100-byte body on one connection, many streams in flight,
# again and again. The server's event loop runs alone on core 0; the rest of the JVM, the client and the
# peer's receive processing (RPS) on core 1. Each server warms up (WARMUP requests, and on, BATCH at a time,
# until its JIT compiler threads take under 1% of its CPU or ten batches more), then is measured over REQUESTS:
#   cpu/req     process CPU per request, all threads (from /proc/PID/task/*/schedstat)
#   loop/req    the event loop thread alone; user and system apart (from .../stat)
#   jit/req     the C1 and C2 compiler threads (near 0 in steady state; on core 1, not the loop's)
#   alloc/req   bytes allocated by the event loop thread per request (JFR jdk.ThreadAllocationStatistics)
#   exc/req     throwables created per request, all threads (JFR jdk.ExceptionStatistics)
# Netty's leak detection is off in every server. The machine's other load counts: run it on a quiet one and
# read the min-max over the rounds.
#
#   benchmarks/webflux-cost.sh                       raw and webflux, 3 rounds
#   SERVERS="raw webflux webflux-noobs webflux-param webflux-epoll" benchmarks/webflux-cost.sh
#
# Servers (SERVERS, in this order every round):
#   raw            QuicServerMain --transport xdp, GET /small (a 100-byte file)
#   webflux        CostApplication through the starter, with the actuator: GET /small, a functional route
#   webflux-param  the same, GET /param/1: an annotated controller method with a path variable and a header
#   webflux-noobs  as webflux, with management.observations.enable.http.server.requests=false
#   webflux-epoll  as webflux, but served by Reactor Netty's HTTP/3 over epoll (the kernel's UDP path, one loop)
#                  in the same application, without the starter's server
# Environment (all optional): ROUNDS=3 WARMUP=50000 REQUESTS=40000 BATCH=10000 MAVEN_FLAGS (say -o)
#   BUILD=1 (0: use what is built)
#   PROFILE=1      also sample the event loop's stacks every millisecond in the window (JFR) and print, per
#                  server, the share of its Java samples by layer (the first frame from the top that is not the
#                  JDK's or Netty's utilities) into target/webflux-cost/profile.txt
# Results: target/webflux-cost/results.tsv (one line a window) and results.md (the table in docs/http3.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=benchmarks/sample-run.sh
. "$HERE/sample-run.sh"
SERVERS="${SERVERS:-raw webflux}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-50000}"
REQUESTS="${REQUESTS:-40000}"
BATCH="${BATCH:-10000}"
OUT="$HERE/target/webflux-cost"

if [ "$(id -u)" -ne 0 ]; then
  echo "webflux-cost.sh needs root: it builds a network namespace, a veth pair and an XDP program" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "webflux-cost.sh needs two cores: the event loop has core 0 to itself" >&2
  exit 1
fi
need=()
for tool in gtlsclient:ngtcp2-client ethtool:ethtool ip:iproute2 jq:jq openssl:openssl taskset:util-linux mvn:maven javac:openjdk-17-jdk-headless; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA_BIN="$(dirname "$(readlink -f "$(command -v "$JAVA")")")"

# --- build -------------------------------------------------------------------------------------------
mkdir -p "$OUT"
if [ "${BUILD:-1}" != "0" ]; then
  echo "building"
  # shellcheck disable=SC2086
  (cd "$ROOT" && mvn -B -q ${MAVEN_FLAGS:-} -pl autoconfigure,benchmarks -am package -DskipTests \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cost-classpath.txt)
fi
APP_CP="$ROOT/autoconfigure/target/test-classes:$ROOT/autoconfigure/target/classes:$(cat "$ROOT/autoconfigure/target/cost-classpath.txt")"
RAW_CP="$HERE/target/classes:$HERE/target/lib/*"

# --- files, certificate, JFR settings ------------------------------------------------------------------
mkdir -p "$OUT/htdocs"
head -c 100 /dev/urandom >"$OUT/htdocs/small"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
cat >"$OUT/cost.jfc" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="webflux-cost">
  <event name="jdk.ThreadAllocationStatistics"><setting name="enabled">true</setting><setting name="period">everyChunk</setting></event>
  <event name="jdk.ExceptionStatistics"><setting name="enabled">true</setting><setting name="period">everyChunk</setting></event>
</configuration>
EOF
WINDOW_JFC="$OUT/cost.jfc"
if [ "${PROFILE:-0}" = "1" ]; then
  WINDOW_JFC="$OUT/profile.jfc"
  sed 's#</configuration>#<event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event><event name="jdk.NativeMethodSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event></configuration>#' \
    "$OUT/cost.jfc" >"$WINDOW_JFC"
fi

# --- cleanup: whatever was started, on every exit ----------------------------------------------------
SANDBOX_PID="" SERVER_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pid "$SERVER_PID" 20
  exec 3>&- 4<&- 2>/dev/null || true
  stop_pid "$SANDBOX_PID" 20
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# a port nothing on this host uses (the datapath reserves it in the host's namespace too)
pick_port PORT

# --- the network -------------------------------------------------------------------------------------
rm -f "$OUT/sandbox.in" && mkfifo "$OUT/sandbox.in"
taskset -c 1 "$JAVA" -cp "$APP_CP" io.quicxdp.autoconfigure.http3.cost.CostSandbox "$PORT" \
  <"$OUT/sandbox.in" >"$OUT/sandbox.out" 2>"$OUT/sandbox.err" &
SANDBOX_PID=$!
exec 3>"$OUT/sandbox.in"
rm -f "$OUT/server.in" && mkfifo "$OUT/server.in"
exec 4<>"$OUT/server.in"
for _ in $(seq 1 300); do
  grep -q '^sandbox ' "$OUT/sandbox.out" 2>/dev/null && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$OUT/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
read -r _ NS APP_IF PEER_IF APP4 PIN < <(grep '^sandbox ' "$OUT/sandbox.out")
[ -n "${PIN:-}" ] || { echo "webflux-cost.sh: the sandbox did not come up" >&2; cat "$OUT/sandbox.err" >&2; exit 1; }
# the client's receive processing on core 1, not inside the server's sendto on core 0
ip netns exec "$NS" sh -c "echo 2 >/sys/class/net/$PEER_IF/queues/rx-0/rps_cpus"
echo "network: $APP_IF ($APP4) <-> $PEER_IF in $NS, XSKMAP $PIN, UDP port $PORT"

# --- servers -----------------------------------------------------------------------------------------
JVM_OPTS=(-Xms1g -Xmx1g -Dio.netty.leakDetection.level=disabled "-XX:StartFlightRecording=settings=$OUT/cost.jfc")
start_server() {
  local id="$1" log="$OUT/$1.log"
  : >"$log"
  case "$id" in
    raw)
      PATH_="/small" CLIENT_PORT="$PORT"
      # its input stays open (it quits at the end of input): it stops on TERM
      "$JAVA" "${JVM_OPTS[@]}" -cp "$RAW_CP" io.quicxdp.bench.quic.QuicServerMain \
        --transport xdp --port "$PORT" --htdocs "$OUT/htdocs" --key "$OUT/key.pem" --cert "$OUT/cert.pem" \
        --interface "$APP_IF" --pin "$PIN" <&4 >"$log" 2>&1 &
      READY="ready" LOOP_COMM="quic-server-xdp" ;;
    webflux|webflux-param|webflux-noobs|webflux-epoll)
      local extra=()
      PATH_="/small" CLIENT_PORT="$PORT"
      [ "$id" = "webflux-epoll" ] && CLIENT_PORT=$((PORT + 1)) extra=("--cost.epoll.port=$CLIENT_PORT" \
        "--cost.epoll.key=$OUT/key.pem" "--cost.epoll.certificate=$OUT/cert.pem")
      [ "$id" = "webflux-param" ] && PATH_="/param/1"
      [ "$id" = "webflux-noobs" ] && extra=(--management.observations.enable.http.server.requests=false)
      "$JAVA" "${JVM_OPTS[@]}" -cp "$APP_CP" io.quicxdp.autoconfigure.http3.cost.CostApplication \
        --spring.main.banner-mode=off --server.port=0 "--quic.xdp.maps[0].interface=$APP_IF" \
        "--quic.xdp.maps[0].path=$PIN" --quic.xdp.http3.enabled=true "--quic.xdp.http3.port=$PORT" \
        --quic.xdp.http3.max-streams=1000 --quic.xdp.http3.ssl.bundle=cost \
        "--spring.ssl.bundle.pem.cost.keystore.certificate=file:$OUT/cert.pem" \
        "--spring.ssl.bundle.pem.cost.keystore.private-key=file:$OUT/key.pem" "${extra[@]}" >"$log" 2>&1 &
      READY="HTTP/3 on UDP port $PORT through the XDP datapath" LOOP_COMM="quic-xdp-loop"
      [ "$id" = "webflux-epoll" ] && READY="HTTP/3 over epoll on UDP port $CLIENT_PORT" LOOP_COMM="cost-epoll" ;;
    *) echo "webflux-cost.sh: unknown server '$id' (raw, webflux, webflux-param, webflux-noobs, webflux-epoll)" >&2
      exit 2 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    grep -q "$READY" "$log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "$READY" "$log" || { echo "webflux-cost.sh: $id did not start within 120 s" >&2; tail -n 30 "$log" >&2; exit 1; }
}
# the event loop (the one thread whose name starts with LOOP_COMM) alone on core 0, every other thread of the JVM on core 1
pin_threads() {
  LOOP_TID=""
  for task in /proc/"$SERVER_PID"/task/*; do
    local tid="${task##*/}"
    if [ -z "$LOOP_TID" ] && [[ "$(cat "$task/comm")" == "$LOOP_COMM"* ]]; then
      LOOP_TID="$tid"
      taskset -pc 0 "$tid" >/dev/null
    else
      taskset -pc 1 "$tid" >/dev/null 2>&1 || true
    fi
  done
  [ -n "$LOOP_TID" ] || { echo "webflux-cost.sh: no thread named $LOOP_COMM in $SERVER_PID" >&2; exit 1; }
}
# "process_ns loop_ns loop_user_ticks loop_sys_ticks jit_ns" now
cpu_snapshot() {
  local process=0 loop=0 jit=0 user=0 sys=0
  for task in /proc/"$SERVER_PID"/task/*; do
    local ns comm
    ns="$(cut -d' ' -f1 "$task/schedstat" 2>/dev/null)" || continue
    comm="$(cat "$task/comm" 2>/dev/null)" || continue
    process=$((process + ns))
    case "$comm" in C1\ CompilerThre*|C2\ CompilerThre*) jit=$((jit + ns)) ;; esac
    if [ "${task##*/}" = "$LOOP_TID" ]; then
      loop="$ns"
      read -r user sys < <(sed 's/.*) //' "$task/stat" | awk '{print $12, $13}')
    fi
  done
  echo "$process $loop $user $sys $jit"
}
client() {
  ip netns exec "$NS" taskset -c 1 gtlsclient -q --exit-on-all-streams-close --timeout=10s -n "$1" \
    "$APP4" "$CLIENT_PORT" "https://$APP4:$CLIENT_PORT$PATH_" >>"$OUT/client.log" 2>&1 \
    || { echo "webflux-cost.sh: gtlsclient failed (see $OUT/client.log)" >&2; exit 1; }
}
# requests in batches of BATCH; prints the JIT threads' share of the process CPU over them, in percent
load() {
  local total="$1" before after
  before="$(cpu_snapshot)"
  for _ in $(seq 1 $((total / BATCH))); do
    client "$BATCH"
  done
  after="$(cpu_snapshot)"
  read -r p0 _ _ _ j0 <<<"$before"
  read -r p1 _ _ _ j1 <<<"$after"
  awk -v p=$((p1 - p0)) -v j=$((j1 - j0)) 'BEGIN { printf "%.1f", (p > 0 ? 100 * j / p : 0) }'
}
# from a JFR recording: "loop_allocated_bytes all_allocated_bytes throwables" between its first and last samples
jfr_deltas() {
  "$JAVA_BIN/jfr" print --json --events jdk.ThreadAllocationStatistics,jdk.ExceptionStatistics "$1" | jq -r --arg loop "$LOOP_COMM" '
    [.recording.events[]] as $e
    | ($e | map(select(.type == "jdk.ThreadAllocationStatistics"))
          | group_by(.values.thread.javaThreadId)
          | map({name: .[0].values.thread.javaName, d: ((map(.values.allocated) | max) - (map(.values.allocated) | min))})) as $threads
    | ($e | map(select(.type == "jdk.ExceptionStatistics") | .values.throwables)) as $thrown
    | [($threads | map(select(.name | startswith($loop))) | map(.d) | add // 0),
       ($threads | map(.d) | add // 0),
       (($thrown | max) - ($thrown | min))] | @tsv'
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS="$OUT/results.tsv"
printf 'server\tround\trequests\tcpu_us\tloop_us\tloop_user_pct\tjit_us\talloc_loop_B\talloc_all_B\texc\n' >"$RESULTS"
: >"$OUT/client.log"
for round in $(seq 1 "$ROUNDS"); do
  for id in $SERVERS; do
    start_server "$id"
    pin_threads
    jit="$(load "$WARMUP")"
    extra=0
    # steady state: on until a batch passes with the compiler threads under 1% of the process
    while awk -v j="$jit" 'BEGIN { exit !(j >= 1) }' && [ "$extra" -lt 10 ]; do
      jit="$(load "$BATCH")"
      extra=$((extra + 1))
    done
    pin_threads
    "$JAVA_BIN/jcmd" "$SERVER_PID" JFR.start name=window "settings=$WINDOW_JFC" >/dev/null
    before="$(cpu_snapshot)"
    for _ in $(seq 1 $((REQUESTS / BATCH))); do
      client "$BATCH"
    done
    after="$(cpu_snapshot)"
    "$JAVA_BIN/jcmd" "$SERVER_PID" JFR.stop name=window "filename=$OUT/$id-$round.jfr" >/dev/null
    requests=$(( (REQUESTS / BATCH) * BATCH ))
    read -r loop_alloc all_alloc thrown < <(jfr_deltas "$OUT/$id-$round.jfr")
    read -r p0 l0 u0 s0 j0 <<<"$before"
    read -r p1 l1 u1 s1 j1 <<<"$after"
    awk -v id="$id" -v r="$round" -v n="$requests" -v p=$((p1 - p0)) -v l=$((l1 - l0)) -v u=$((u1 - u0)) \
      -v s=$((s1 - s0)) -v j=$((j1 - j0)) -v la="$loop_alloc" -v aa="$all_alloc" -v t="$thrown" -v w="$extra" 'BEGIN {
        user = (u + s > 0) ? 100 * u / (u + s) : 0
        printf "%s\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.2f\t%.0f\t%.0f\t%.3f\n", id, r, n, p / n / 1000, l / n / 1000,
          user, j / n / 1000, la / n, aa / n, t / n
        printf "round %d %-14s %6.1f us/req (loop %5.1f, %3.0f%% user; jit %.2f)  alloc %6.0f B/req loop (%6.0f all)  %.3f exc/req  [%d extra warm-up batches]\n",
          r, id, p / n / 1000, l / n / 1000, user, j / n / 1000, la / n, aa / n, t / n, w > "/dev/stderr"
      }' >>"$RESULTS"
    stop_pid "$SERVER_PID" 20
    SERVER_PID=""
  done
done

# --- profile: the loop's samples by layer ---------------------------------------------------------------
# Each Java sample goes to the first frame from the top that is not the JDK's or Netty's utilities. Native
# samples come on JFR's own schedule and include waiting (the loop sleeps in poll): only counted, apart.
if [ "${PROFILE:-0}" = "1" ]; then
  for id in $SERVERS; do
    echo "### $id: event loop samples by layer (all rounds)"
    for round in $(seq 1 "$ROUNDS"); do
      "$JAVA_BIN/jfr" print --json --stack-depth 24 --events jdk.ExecutionSample,jdk.NativeMethodSample \
        "$OUT/$id-$round.jfr" | jq -r '.recording.events[]
          | select(.values.sampledThread.javaName | startswith("quic-xdp-loop") or startswith("quic-server-xdp")
              or startswith("cost-epoll"))
          | (if .type == "jdk.NativeMethodSample" then "native" else "java" end) + " "
            + ([.values.stackTrace.frames[].method.type.name] | join(" "))'
    done | awk '
      function layer(t) {
        if (t ~ /^io\/quicxdp\/autoconfigure/) return "the starter"
        if (t ~ /^io\/quicxdp/) return "XDP transport and datapath"
        if (t ~ /^io\/netty\/handler\/codec\/quic/) return "Netty QUIC codec (Java)"
        if (t ~ /^io\/netty\/handler\/codec\/http3/) return "Netty HTTP/3 codec, QPACK"
        if (t ~ /^io\/netty\/handler\/codec\/http\//) return "Netty HTTP/1 objects"
        if (t ~ /^io\/netty\/channel\/epoll/) return "epoll transport"
        if (t ~ /^io\/netty\/(channel|buffer)/) return "Netty channel, pipeline, buffers"
        if (t ~ /^io\/netty\/handler\/codec/) return "Netty codec base"
        if (t ~ /^reactor\/netty/) return "Reactor Netty"
        if (t ~ /^reactor\//) return "Reactor Core"
        if (t ~ /^org\/springframework\/web\/reactive/) return "Spring WebFlux"
        if (t ~ /^org\/springframework\/(web|http)/) return "spring-web"
        if (t ~ /^org\/springframework/) return "Spring core, beans, context"
        if (t ~ /^io\/micrometer/) return "Micrometer"
        if (t ~ /^io\/quicxdp\/bench/) return "the raw server handler"
        return ""
      }
      {
        if ($1 == "native") { native[$2 ~ /Quiche$/ ? "quiche" : "libc"]++; next }
        name = "JDK, Netty utilities"
        for (i = 2; i <= NF; i++) {
          if ($i ~ /^(java|jdk|sun)\// || $i ~ /^io\/netty\/util\//) continue
          l = layer($i); if (l != "") { name = l; break }
        }
        count[name]++; total++
      }
      END {
        for (k in count) printf "%5.1f%%  %s\n", 100 * count[k] / total, k | "sort -rn"
        close("sort -rn")
        printf "  (%d Java samples; native ones apart: %d in quiche, %d in libc: poll, where the loop also sleeps,\n", total, native["quiche"], native["libc"]
        printf "  and sendto)\n"
      }'
    echo
  done >"$OUT/profile.txt"
  cat "$OUT/profile.txt"
fi

# --- summary: median and min-max over the rounds, and each server's median CPU against raw's ------------------
{
  echo "### WebFlux over HTTP/3 through the starter: run of $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- \`SERVERS=\"$SERVERS\" ROUNDS=$ROUNDS WARMUP=$WARMUP REQUESTS=$REQUESTS BATCH=$BATCH benchmarks/webflux-cost.sh\`;"
  echo "  $(nproc) cores, $(uname -r); load average $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo "  (this run's own load is about 2); gtlsclient -n $BATCH per connection, 100-byte bodies; median (min–max)"
  echo
  echo "| server | CPU µs/req | loop µs/req | loop user % | JIT µs/req | loop alloc B/req | all alloc B/req | throwables/req | CPU vs raw (loop) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {
      k = $1; if (!(k in n)) order[++m] = k; n[k]++
      for (c = 4; c <= 10; c++) v[k, c, n[k]] = $c
    }
    function median(k, c,   i, j, t, a, count) {
      count = n[k]
      for (i = 1; i <= count; i++) a[i] = v[k, c, i]
      for (i = 2; i <= count; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      lo = a[1]; hi = a[count]
      return count % 2 ? a[(count + 1) / 2] : (a[count / 2] + a[count / 2 + 1]) / 2
    }
    function cell(k, c, f,   mid) { mid = median(k, c); return sprintf(f " (" f "–" f ")", mid, lo, hi) }
    END {
      for (i = 1; i <= m; i++) {
        k = order[i]
        vs = ("raw" in n && k != "raw") ? sprintf("%.2fx (%.2fx)", median(k, 4) / median("raw", 4), median(k, 5) / median("raw", 5)) : ""
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k, cell(k, 4, "%.1f"), cell(k, 5, "%.1f"),
          cell(k, 6, "%.0f"), cell(k, 7, "%.2f"), cell(k, 8, "%.0f"), cell(k, 9, "%.0f"), cell(k, 10, "%.3f"), vs
      }
    }' "$RESULTS"
} >"$OUT/results.md"
cat "$OUT/results.md"
