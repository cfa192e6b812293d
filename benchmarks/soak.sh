#!/usr/bin/env bash
# The soak test (docs/soak.md): runs the sample application in its zero-setup sandbox as a JVM of its own,
# loads it from the sandbox's peer namespace with steady UDP echo traffic (udpgen, IPv4 and IPv6 in turn)
# and HTTP/3 requests with connection churn (QuicLoadMain), samples the process and the datapath every few
# seconds into a CSV, plots it, and fails when RSS, open fds or held receive frames grow. A Prometheus server
# beside it scrapes the sample's /actuator/prometheus, with quic-xdp's alert rules loaded, and at the end
# benchmarks/dashboard.sh draws the Grafana dashboard's queries over the run (dashboard.png). Run as root.
#
#   benchmarks/soak.sh                                   30 minutes; figures and plot into docs/soak*
#   SOAK_MINUTES=2 SOAK_CHECK=1 benchmarks/soak.sh       CI's check: results in benchmarks/target/soak only
#
# Timeline: the sample starts; load runs SOAK_MINUTES, its first SOAK_WARMUP_SECONDS being warm-up; then the
# load stops and the service idles SOAK_IDLE_SECONDS; then the sample gets SIGTERM and must exit 0.
# Verdict (every run; exit 1 when a rule fails), over the samples of the steady phase (after warm-up, under
# load), split into quarters:
#   RSS     mean of the last quarter - mean of the first quarter <= SOAK_RSS_SLACK_MB
#   fds     the last quarter's highest count and every idle count <= the first quarter's highest + SOAK_FD_SLACK
#   frames  the last idle sample balanced (withKernel + held + free = total on each socket), none held
#   run     UDP echoes and HTTP/3 responses came back (the load reached the service); exit 0 after SIGTERM
#
# Environment (all optional):
#   SOAK_MINUTES=30          minutes of load, warm-up included
#   SOAK_CHECK=0             1: CI's mode: results stay in benchmarks/target/soak; gnuplot and prometheus are
#                            not installed here (.ci/run does), the plots are drawn where they are (under CI=true
#                            they must be)
#   SOAK_WARMUP_SECONDS      default a quarter of the load, at least 30 and at most 300
#   SOAK_IDLE_SECONDS=20     idle after the load, before the idle checks
#   SOAK_INTERVAL            seconds between samples; default 2 for up to 5 minutes of load, else 5
#   SOAK_UDP_RATE=2000       UDP echo datagrams per second (64-byte payloads)
#   SOAK_H3_RATE=50          HTTP/3 GET / per second over SOAK_H3_CONNECTIONS=4 connections, in 25 s rounds
#                            (connections closed and opened again each round), each round followed by 3 s of
#                            new-connection-per-request handshakes
#   SOAK_HEAP=256m           the sample's heap (-Xms = -Xmx, touched at start)
#   SOAK_RSS_SLACK_MB=16  SOAK_FD_SLACK=2   the verdict's tolerances
#   SOAK_BUILD=1             0: use the jars already built
#   SOAK_UPDATE_DOCS=1       with SOAK_CHECK=0: copy the CSV, plot and figures into docs/soak/ and docs/soak.md,
#                            and the dashboard's picture into docs/grafana/
#   MAVEN_FLAGS              extra flags for the build (-o, say)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=benchmarks/sample-run.sh
. "$HERE/sample-run.sh"

MINUTES="${SOAK_MINUTES:-30}"
CHECK="${SOAK_CHECK:-0}"
IDLE="${SOAK_IDLE_SECONDS:-20}"
UDP_RATE="${SOAK_UDP_RATE:-2000}"
H3_RATE="${SOAK_H3_RATE:-50}"
H3_CONNECTIONS="${SOAK_H3_CONNECTIONS:-4}"
HEAP="${SOAK_HEAP:-256m}"
RSS_SLACK_MB="${SOAK_RSS_SLACK_MB:-16}"
FD_SLACK="${SOAK_FD_SLACK:-2}"
whole_numbers soak.sh SOAK "$MINUTES" "$IDLE" "$UDP_RATE" "$H3_RATE" "$H3_CONNECTIONS" "$RSS_SLACK_MB" "$FD_SLACK"
if [ "$MINUTES" -lt 1 ] || [ "$MINUTES" -gt 1440 ]; then
  echo "soak.sh: SOAK_MINUTES=$MINUTES is outside 1..1440" >&2
  exit 2
fi
LOAD=$((MINUTES * 60))
WARMUP="${SOAK_WARMUP_SECONDS:-$(( LOAD / 4 < 30 ? 30 : (LOAD / 4 > 300 ? 300 : LOAD / 4) ))}"
INTERVAL="${SOAK_INTERVAL:-$(( MINUTES <= 5 ? 2 : 5 ))}"
[[ "$WARMUP" =~ ^[0-9]+$ && "$INTERVAL" =~ ^[0-9]+$ && "$INTERVAL" -ge 1 ]] \
  || { echo "soak.sh: SOAK_WARMUP_SECONDS and SOAK_INTERVAL are whole seconds" >&2; exit 2; }
if [ $((LOAD - WARMUP)) -lt $((8 * INTERVAL)) ]; then
  echo "soak.sh: SOAK_WARMUP_SECONDS=$WARMUP leaves fewer than 8 samples of steady load in $LOAD s" >&2
  exit 2
fi
run_command_line SOAK soak.sh

plots=()
if [ "$CHECK" != "1" ] && ! command -v gnuplot >/dev/null; then
  plots+=(gnuplot-nox)
fi
sample_run_prepare soak.sh "${plots[@]}"
if [ "$CHECK" != "1" ] && ! command -v prometheus >/dev/null; then
  echo "installing: prometheus"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if [ "${CI:-}" = "true" ]; then
  for tool in gnuplot prometheus; do
    command -v "$tool" >/dev/null || { echo "soak.sh: CI draws the plots, and $tool is missing" >&2; exit 1; }
  done
fi

# --- build -------------------------------------------------------------------------------------------
OUT="$HERE/target/soak"
BUILD="${SOAK_BUILD:-1}"
sample_run_build

# --- cleanup: whatever was started, on every exit ----------------------------------------------------
UDP_PID="" H3_PID="" PROMETHEUS_PID=""
# the HTTP/3 generator and its feeder: both signalled before waiting, as waiting for one waits for their pipeline
stop_h3() {
  local feeder
  feeder="$(cat "$OUT/h3-feed.pid" 2>/dev/null || true)"
  ! ours "$feeder" "$SELF_COMM" || kill -TERM "$feeder" 2>/dev/null || true
  stop_pid "$H3_PID" 5
  stop_pid "$feeder" 5 "$SELF_COMM"
}
stop_started() {
  stop_pid "$UDP_PID" 5
  [ -f "$OUT/udpgen.pid" ] && stop_pid "$(cat "$OUT/udpgen.pid")" 5 udpgen
  stop_h3
  stop_pid "$PROMETHEUS_PID" 10 prometheus
}
sample_run_begin
CSV="$OUT/soak.csv"

# --- the service -------------------------------------------------------------------------------------
pick_sample_ports
SAMPLE_LOG="$OUT/sample.log"
echo "starting the sample (heap $HEAP, port $PORT, UDP echo $ECHO_PORT, QUIC echo $QUIC_PORT); its log: $SAMPLE_LOG"
start_sample "$SAMPLE_LOG" "$HEAP" "$PORT" "$ECHO_PORT" "$QUIC_PORT"
T0="$(date +%s.%N)"
echo "sandbox $NS: peer $PEER4/$PEER6 -> service $APP4/$APP6 (UDP echo $ECHO_PORT, HTTP/3 $PORT)"

# --- Prometheus, scraping the sample as an operator's would, with the alert rules of docs/prometheus ----------
PROMETHEUS_URL=""
if command -v prometheus >/dev/null; then
  pick_port PROMETHEUS_PORT
  mkdir -p "$OUT/prometheus"
  cat >"$OUT/prometheus/prometheus.yml" <<EOF
global:
  scrape_interval: ${INTERVAL}s
  evaluation_interval: ${INTERVAL}s
rule_files:
  - $ROOT/docs/prometheus/quic-xdp-rules.yml
scrape_configs:
  - job_name: quic-xdp-sample
    metrics_path: /actuator/prometheus
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
  prometheus --config.file="$OUT/prometheus/prometheus.yml" --storage.tsdb.path="$OUT/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$OUT/prometheus/prometheus.log" 2>&1 &
  PROMETHEUS_PID=$!
  PROMETHEUS_URL="http://127.0.0.1:$PROMETHEUS_PORT"
  for _ in $(seq 1 100); do
    curl -sf -m 2 "$PROMETHEUS_URL/-/ready" >/dev/null && break
    kill -0 "$PROMETHEUS_PID" 2>/dev/null || break
    sleep 0.2
  done
  if ! curl -sf -m 2 "$PROMETHEUS_URL/-/ready" >/dev/null; then
    echo "soak.sh: Prometheus did not start; its log:" >&2
    tail -n 20 "$OUT/prometheus/prometheus.log" >&2
    exit 1
  fi
  echo "Prometheus at $PROMETHEUS_URL scrapes the sample every $INTERVAL s; its data: $OUT/prometheus"
fi

# --- sampling ----------------------------------------------------------------------------------------
ACTUATOR="http://127.0.0.1:$PORT/actuator"
DROP_REASONS="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq -r '.sockets[0].drops | keys_unsorted | join(" ")')"
[ -n "$DROP_REASONS" ] || { echo "soak.sh: /actuator/xdp lists no sockets" >&2; exit 1; }
# per sample, summed over the sockets: packets, drops by reason, kernel counters, receive frames, HTTP/3
XDP_FIELDS='rxPackets txPackets txBackPressure kernel.rxDropped kernel.rxFillRingEmpty kernel.rxRingFull
receiveFrames.total receiveFrames.withKernel receiveFrames.held receiveFrames.free'
XDP_HEADER="rx_packets,tx_packets,tx_back_pressure,k_rx_dropped,k_fill_ring_empty,k_rx_ring_full,frames_total,\
frames_with_kernel,frames_held,frames_free,frames_balanced,$(printf 'drop_%s,' $DROP_REASONS)\
h3_connections,h3_handshakes,h3_handshakes_failed,h3_requests"
JQ_ROW="[$(for f in $XDP_FIELDS; do printf '(.sockets | map(.%s) | add), ' "$f"; done)\
(if (.sockets | all(.receiveFrames.balanced)) then 1 else 0 end), \
$(for r in $DROP_REASONS; do printf '(.sockets | map(.drops.%s) | add), ' "$r"; done)\
.http3.connectionsOpen, .http3.handshakesDone, .http3.handshakesFailed, .http3.requests] | @csv"
echo "t_s,phase,rss_kb,fds,threads,cpu_s,heap_used_mb,heap_after_gc_mb,gc_count,gc_pause_s,$XDP_HEADER" >"$CSV"
echo warmup >"$PHASE_FILE"

sample_once() {
  local now phase process xdp prom jvm
  now="$(date +%s.%N)"
  phase="$(cat "$PHASE_FILE")"
  process="$(process_figures)"
  [ -n "$process" ] || return 0
  xdp="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq -r "$JQ_ROW" 2>/dev/null)" || xdp=""
  prom="$(curl -sf -m 5 "$ACTUATOR/prometheus")" || prom=""
  if [ -z "$xdp" ] || [ -z "$prom" ]; then
    echo "sample at $(date -u +%T) missed: the actuator did not answer within 5 s" >>"$OUT/sampler.log"
    return 0
  fi
  # heap after GC: the long-lived pool's use after its last collection (usage after GC x its maximum)
  jvm="$(awk '
    /^jvm_memory_used_bytes\{area="heap"/ { heap += $NF }
    /^jvm_memory_usage_after_gc\{area="heap",pool="long-lived"\}/ { after = $NF }
    /^jvm_memory_max_bytes\{area="heap",id="G1 Old Gen"\}/ { oldmax = $NF }
    /^jvm_gc_pause_seconds_count/ { count += $NF }
    /^jvm_gc_pause_seconds_sum/ { pause += $NF }
    END { printf "%.1f,%.1f,%d,%.3f", heap / 1048576, after * oldmax / 1048576, count, pause }' <<<"$prom")"
  printf '%s,%s,%s,%s,%s\n' "$(awk -v a="$now" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')" "$phase" \
    "$process" "$jvm" "$xdp" >>"$CSV"
}
sampler() {
  local next
  # a sample that fails is logged or skipped; it never ends the sampling
  set +e
  next="$(date +%s)"
  # bounded: the whole timeline's samples, and twice as many for slow rounds
  for _ in $(seq 1 $(( 2 * (LOAD + IDLE + 600) / INTERVAL ))); do
    [ -e "$STOP_FILE" ] && return 0
    sample_once
    next=$((next + INTERVAL))
    while [ "$(date +%s)" -lt "$next" ] && [ ! -e "$STOP_FILE" ]; do sleep 0.2; done
  done
}
sampler &
SAMPLER_PID=$!

# --- load ------------------------------------------------------------------------------------------
echo "load: $((LOAD / 60)) min ($WARMUP s warm-up), UDP echo $UDP_RATE/s, HTTP/3 GET / $H3_RATE/s over" \
  "$H3_CONNECTIONS connections; samples every $INTERVAL s into $CSV"
# UDP: one udpgen run per minute, IPv4 and IPv6 in turn, each from a source port of its own
udp_load() {
  local chunks=$(( (LOAD + 59) / 60 )) left="$LOAD" i seconds src dst
  for i in $(seq 1 "$chunks"); do
    seconds=$(( left < 60 ? left : 60 ))
    left=$((left - seconds))
    if [ $((i % 2)) -eq 1 ]; then src="$PEER4" dst="$APP4"; else src="$PEER6" dst="$APP6"; fi
    ip netns exec "$NS" "$UDPGEN" -m udp -i "$PEER_IF" -s "$src" -d "$dst" -P $((40000 + i)) -p "$ECHO_PORT" -l 64 \
      -t "$seconds" -r "$UDP_RATE" -e &
    echo $! >"$OUT/udpgen.pid"
    wait $! || echo "udpgen exited with $?"
  done
}
udp_load >"$OUT/udp.log" 2>&1 &
UDP_PID=$!
# HTTP/3: rounds of about 32 s (1 s ramp, 25 s at the rate, 1 s ramp, 3 s of handshakes, closing), every
# round's connections closed at its end; the next round is fed once this one has answered, the last one
# shortened to end with the load
LOAD_END=$(( $(date +%s) + LOAD ))
h3_feed() {
  local round left
  echo $BASHPID >"$OUT/h3-feed.pid"
  for round in $(seq 1 $(( LOAD / 10 + 1 ))); do
    left=$(( LOAD_END - $(date +%s) ))
    [ "$left" -ge 10 ] || break
    echo "latency $APP4 $PORT $(( left - 7 < 25 ? left - 7 : 25 )) $H3_CONNECTIONS $H3_RATE"
    echo "handshakes $APP4 $PORT 3 2"
    for _ in $(seq 1 600); do
      [ "$(grep -c -E '^(result|error)' "$OUT/h3.out")" -ge $((2 * round)) ] && break
      sleep 0.1
    done
  done
}
: >"$OUT/h3.out"
h3_feed | ip netns exec "$NS" "$JAVA" -Xmx128m -Dquicload.path=/ -cp "$CP" io.quicxdp.bench.quic.QuicLoadMain \
  >"$OUT/h3.out" 2>"$OUT/h3.log" &
H3_PID=$!

pause "$WARMUP"
echo steady >"$PHASE_FILE"
echo "warm-up over; steady load until $(date -d "@$(( $(date +%s) + LOAD - WARMUP ))" +%T)"
# the loaders end by themselves near LOAD; past that, with a margin for a slow machine, they are stopped
deadline=$(( $(date +%s) + LOAD - WARMUP + 90 ))
while { kill -0 "$UDP_PID" 2>/dev/null || kill -0 "$H3_PID" 2>/dev/null; } && [ "$(date +%s)" -lt "$deadline" ]; do
  pause 1
done
late=""
kill -0 "$UDP_PID" 2>/dev/null && late="udpgen "
kill -0 "$H3_PID" 2>/dev/null && late="${late}QuicLoadMain"
stop_pid "$UDP_PID" 5
stop_pid "$(cat "$OUT/udpgen.pid")" 5 udpgen
stop_h3
UDP_PID="" H3_PID=""
[ -z "$late" ] || echo "stopped the load generators still running 90 s after the load's end: $late"
echo idle >"$PHASE_FILE"
echo "load over; idle for $IDLE s"
pause $((IDLE + INTERVAL))
stop_sampler
T_END="$(date +%s)"

# the service must stop cleanly: exit 0, sandbox removed
stop_sample

# --- verdict -----------------------------------------------------------------------------------------
sum_of() { sed -n "s/$1/\\1/p" "$2" | awk '{ sum += $1 } END { print sum + 0 }'; }
udp_sent="$(sum_of '.* sent=\([0-9]*\) .*' "$OUT/udp.log")"
udp_echoed="$(sum_of '.* echoed=\([0-9]*\) .*' "$OUT/udp.log")"
h3_completed="$(sum_of '^result completed=\([0-9]*\) .*' "$OUT/h3.out")"
h3_failed="$(sum_of '^result .* failed=\([0-9]*\) .*' "$OUT/h3.out")"
h3_errors="$(grep -c '^error' "$OUT/h3.out" || true)"
missed="$(grep -c missed "$OUT/sampler.log" 2>/dev/null || true)"
SUMMARY="$OUT/summary.md"
set +e
awk -F, -f "$HERE/soak-verdict.awk" -v rss_slack_mb="$RSS_SLACK_MB" -v fd_slack="$FD_SLACK" \
  -v interval="$INTERVAL" -v missed="${missed:-0}" -v udp_sent="${udp_sent:-0}" \
  -v udp_echoed="${udp_echoed:-0}" -v h3_completed="${h3_completed:-0}" -v h3_failed="${h3_failed:-0}" \
  -v h3_errors="${h3_errors:-0}" -v exit_status="${exit_status:-none}" "$CSV" >"$SUMMARY"
verdict=$?
set -e
cat "$SUMMARY"

# --- plot ----------------------------------------------------------------------------------------------
PLOT="$OUT/soak.png"
if command -v gnuplot >/dev/null; then
  # rates per second between samples, for the traffic panel
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { t = $col["t_s"]; rx = $col["rx_packets"]; req = $col["h3_requests"]; drops = 0
      for (c in col) if (c ~ /^drop_/) drops += $col[c]
      if (NR > 2 && t > pt) printf "%.3f %.1f %.1f %.2f\n", t / 60, (rx - prx) / (t - pt), \
        (req - preq) / (t - pt), (drops - pdrops) / (t - pt)
      pt = t; prx = rx; preq = req; pdrops = drops }' "$CSV" >"$OUT/rates.dat"
  gnuplot <<EOF
set terminal pngcairo size 1100,1200 font "sans,10"
set output "$PLOT"
set datafile separator ","
set key autotitle columnhead top left
set multiplot layout 4,1 title "quic-xdp soak: sample app, $((LOAD / 60)) min of load, $(date -u +%Y-%m-%d)"
set xlabel "minutes"
set grid
set lmargin 12
set rmargin 12
set key opaque box
set xrange [0:$(( LOAD + IDLE + INTERVAL ))/60.0]
set arrow 1 from $WARMUP/60.0, graph 0 to $WARMUP/60.0, graph 1 nohead dt 2
set arrow 2 from $LOAD/60.0, graph 0 to $LOAD/60.0, graph 1 nohead dt 2
set ylabel "RSS, MiB"
set y2label "heap after GC, MiB"
set y2tics
plot "$CSV" using (\$1/60):(\$3/1024) with lines lw 2 title "RSS", \
     "" using (\$1/60):8 axes x1y2 with lines lw 2 title "heap after GC"
unset y2label
unset y2tics
set ylabel "count"
plot "$CSV" using (\$1/60):4 with lines lw 2 title "open fds", "" using (\$1/60):5 with lines title "threads"
set ylabel "frames"
set y2label "frames with the kernel"
set y2tics
plot "$CSV" using (\$1/60):"frames_held" with lines lw 2 title "held by the application", \
     "" using (\$1/60):"frames_free" with lines title "free", \
     "" using (\$1/60):"frames_with_kernel" axes x1y2 with lines title "with the kernel"
unset y2label
unset y2tics
set datafile separator whitespace
set key noautotitle
set ylabel "per second"
set y2label "HTTP/3 requests/s"
set y2tics
plot "$OUT/rates.dat" using 1:2 with lines title "datapath RX packets/s", \
     "" using 1:4 with lines title "drops/s", \
     "" using 1:3 axes x1y2 with lines lw 2 title "HTTP/3 requests/s"
unset multiplot
EOF
  echo "plot: $PLOT"
else
  echo "no gnuplot here: no plot (apt-get install gnuplot-nox)"
fi

# --- the dashboard, and the alerts that fired ------------------------------------------------------------
DASHBOARD_PNG="$OUT/dashboard.png"
if [ -n "$PROMETHEUS_URL" ] && command -v gnuplot >/dev/null; then
  "$HERE/dashboard.sh" "$PROMETHEUS_URL" "${T0%.*}" "$T_END" "$INTERVAL" "$DASHBOARD_PNG" \
    "the sample under the soak's load, $((LOAD / 60)) min, $(date -u +%Y-%m-%d)"
  echo "dashboard: $DASHBOARD_PNG"
  fired="$(curl -sfG "$PROMETHEUS_URL/api/v1/query" \
    --data-urlencode "query=max_over_time(ALERTS{alertstate=\"firing\"}[$((T_END - ${T0%.*} + 60))s])" \
    | jq -r '[.data.result[].metric | .alertname + " " + (.interface // "") + " " + (.reason // "")] | unique | join(", ")')"
  echo "alerts that fired during the run: ${fired:-none}"
else
  echo "no Prometheus or gnuplot here: no dashboard (apt-get install prometheus gnuplot-nox)"
fi
stop_pid "$PROMETHEUS_PID" 10 prometheus
PROMETHEUS_PID=""

# --- docs ----------------------------------------------------------------------------------------------
DOC="$ROOT/docs/soak.md"
if [ "$CHECK" != "1" ] && [ "${SOAK_UPDATE_DOCS:-1}" != "0" ] && grep -q '<!-- soak-results:begin -->' "$DOC"; then
  publish_run soak soak "$CSV" "$PLOT" "$SUMMARY"
  [ -f "$DASHBOARD_PNG" ] && cp "$DASHBOARD_PNG" "$ROOT/docs/grafana/quic-xdp-dashboard.png"
fi
exit "$verdict"
