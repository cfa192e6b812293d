#!/usr/bin/env bash
# The connections run (docs/reliability.md, "Many connections"): the sample application in its zero-setup sandbox,
# in a JVM of its own, holds CONN_COUNT HTTP/3 connections from the sandbox's peer namespace (ConnectionsMain:
# Netty's QUIC client over CONN_SOCKETS UDP sockets), first idle, then with a trickle of requests, and at the end
# answers one request on every one of them. It measures what a connection costs the service (heap after a full GC,
# the JVM's native memory as NMT tracks it, RSS, and what NMT does not see: quiche's and the other native
# libraries' mallocs) and its CPU with the connections idle, and plots the run. Run as root.
#
#   benchmarks/connections.sh                                10,000 connections; figures and plot into the docs
#   CONN_COUNT=2000 CONN_UPDATE_DOCS=0 benchmarks/connections.sh
#
# Timeline: the sample starts; CONN_BASELINE_SECONDS idle (the baseline: heap after a full GC, NMT, smaps); the
# connections open at CONN_OPEN_RATE a second, CONN_IN_FLIGHT handshakes at most; CONN_IDLE_SECONDS with no
# request (CPU at idle; at its end the same measures as the baseline); CONN_HOLD_SECONDS with CONN_RATE requests
# a second spread over them; the check (one request on each); the client closes them; 20 s; SIGTERM.
# Exit status 1 when a connection was not served, or the sample did not exit 0.
#
# Environment (all optional):
#   CONN_COUNT=10000  CONN_SOCKETS=64  CONN_LOOPS=2  CONN_OPEN_RATE=500  CONN_IN_FLIGHT=200  CONN_RATE=100
#   CONN_BASELINE_SECONDS=20  CONN_IDLE_SECONDS=60  CONN_HOLD_SECONDS=60
#   CONN_HEAP=1g              the sample's heap (-Xms = -Xmx, touched at start)
#   CONN_CLIENT_HEAP=2g       the generator's heap
#   CONN_SERVER_IDLE_TIMEOUT=600s   quic.xdp.http3.idle-timeout of the sample, longer than the idle phase
#   CONN_TIMEOUT=10           seconds a handshake or a request (the check's included) may take before it fails
#   CONN_SAMPLE_ARGS          more arguments for the sample (such as --quic.xdp.umem.frame-count=4096)
#   CONN_UPDATE_DOCS=1        0: leave docs/reliability.md and docs/reliability/ alone
#   BUILD=1                   0: use the jars already built;  MAVEN_FLAGS: extra flags for the build (-o)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$HERE/target/connections"
# shellcheck source=benchmarks/sample-run.sh
. "$HERE/sample-run.sh"

COUNT="${CONN_COUNT:-10000}"
SOCKETS="${CONN_SOCKETS:-64}"
LOOPS="${CONN_LOOPS:-2}"
OPEN_RATE="${CONN_OPEN_RATE:-500}"
IN_FLIGHT="${CONN_IN_FLIGHT:-200}"
RATE="${CONN_RATE:-100}"
BASELINE="${CONN_BASELINE_SECONDS:-20}"
IDLE="${CONN_IDLE_SECONDS:-60}"
HOLD="${CONN_HOLD_SECONDS:-60}"
HEAP="${CONN_HEAP:-1g}"
CLIENT_HEAP="${CONN_CLIENT_HEAP:-2g}"
SERVER_IDLE_TIMEOUT="${CONN_SERVER_IDLE_TIMEOUT:-600s}"
TIMEOUT="${CONN_TIMEOUT:-10}"
whole_numbers connections.sh CONN "$TIMEOUT" "$COUNT" "$SOCKETS" "$LOOPS" "$OPEN_RATE" "$IN_FLIGHT" "$RATE" \
  "$BASELINE" "$IDLE" "$HOLD"
run_command_line CONN connections.sh

plots=()
command -v gnuplot >/dev/null || plots+=(gnuplot-nox)
sample_run_prepare connections.sh "${plots[@]}"
command -v jcmd >/dev/null || { echo "connections.sh: jcmd (the JDK's) is missing" >&2; exit 1; }
sample_run_build
CLIENT_PID=""
stop_started() { stop_pid "$CLIENT_PID" 10; }
sample_run_begin
CSV="$OUT/connections.csv"

pick_sample_ports
echo "starting the sample (heap $HEAP, HTTP/3 on $PORT, idle timeout $SERVER_IDLE_TIMEOUT); its log: $OUT/sample.log"
# shellcheck disable=SC2086
SAMPLE_JVM_OPTIONS="-XX:NativeMemoryTracking=summary" start_sample "$OUT/sample.log" "$HEAP" "$PORT" "$ECHO_PORT" \
  "$QUIC_PORT" "--quic.xdp.http3.idle-timeout=$SERVER_IDLE_TIMEOUT" ${CONN_SAMPLE_ARGS:-}
T0="$(date +%s.%N)"
ACTUATOR="http://127.0.0.1:$PORT/actuator"
echo "sandbox $NS: peer $PEER4 -> HTTP/3 $APP4:$PORT"

# --- sampling: every 2 s, the process and the server's connection count ----------------------------------------
echo "t_s,phase,rss_kb,fds,threads,cpu_s,heap_used_mb,connections_open" >"$CSV"
echo baseline >"$PHASE_FILE"
sample_row() {
  local now process heap open
  now="$(date +%s.%N)"
  process="$(process_figures)"
  heap="$(curl -sf -m 5 "$ACTUATOR/metrics/jvm.memory.used?tag=area:heap" | jq '.measurements[0].value / 1048576')"
  open="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq '.http3.connectionsOpen')"
  [ -n "$process" ] && printf '%s,%s,%s,%.1f,%s\n' "$(awk -v a="$now" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')" \
    "$(cat "$PHASE_FILE")" "$process" "${heap:-0}" "${open:-0}" >>"$CSV"
}
start_sampler 2 20000

# --- the measures at a phase's end: heap after a full GC, NMT's committed memory, smaps -------------------------
# prints "heap_mb nmt_committed_mb rss_mb anonymous_mb cpu_s"
measure() {
  jcmd "$SAMPLE_PID" GC.run >/dev/null
  local heap nmt rss anon cpu
  heap="$(jcmd "$SAMPLE_PID" GC.heap_info | sed -n 's/.*garbage-first heap *total [0-9]*K, used \([0-9]*\)K.*/\1/p')"
  nmt="$(jcmd "$SAMPLE_PID" VM.native_memory summary | sed -n 's/^Total: reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1/p')"
  rss="$(awk '/^Rss:/ {print $2}' "/proc/$SAMPLE_PID/smaps_rollup")"
  anon="$(awk '/^Anonymous:/ {print $2}' "/proc/$SAMPLE_PID/smaps_rollup")"
  cpu="$(process_figures | cut -d, -f4)"
  echo "$((heap / 1024)) $((nmt / 1024)) $((rss / 1024)) $((anon / 1024)) $cpu"
}
jcmd "$SAMPLE_PID" VM.native_memory summary >"$OUT/nmt-start.txt"
pause "$BASELINE"
read -r B_HEAP B_NMT B_RSS B_ANON B_CPU <<<"$(measure)"
jcmd "$SAMPLE_PID" VM.native_memory summary >"$OUT/nmt-baseline.txt"
echo "baseline: heap after GC ${B_HEAP} MiB, NMT committed ${B_NMT} MiB, RSS ${B_RSS} MiB"

# --- the connections ----------------------------------------------------------------------------------------------
echo opening >"$PHASE_FILE"
ip netns exec "$NS" "$JAVA" "-Xmx$CLIENT_HEAP" -cp "$CP" io.quicxdp.bench.load.ConnectionsMain \
  --server "$APP4:$PORT" --connections "$COUNT" --sockets "$SOCKETS" --loops "$LOOPS" --open-rate "$OPEN_RATE" \
  --in-flight "$IN_FLIGHT" --rate "$RATE" --idle "$IDLE" --hold "$HOLD" --interval 2 --timeout "$TIMEOUT" \
  --idle-timeout 900 >"$OUT/client.out" 2>"$OUT/client.log" &
CLIENT_PID=$!
await_line() {
  local pattern="$1" limit="$2"
  for _ in $(seq 1 $((limit * 10))); do
    grep -q "$pattern" "$OUT/client.out" && return 0
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "connections.sh: no '$pattern' from the generator within $limit s; its output:" >&2
  tail -n 20 "$OUT/client.out" "$OUT/client.log" >&2
  exit 1
}
await_line "^idle seconds" $((COUNT / OPEN_RATE + 300))
echo idle >"$PHASE_FILE"
IDLE_START_CPU="$(process_figures | cut -d, -f4)"
IDLE_START="$(date +%s.%N)"
grep '^opened' "$OUT/client.out"
# the idle phase's own CPU, then the memory measures at its end (their GC is not idle work)
pause $((IDLE > 6 ? IDLE - 6 : 0))
IDLE_CPU="$(awk -v a="$(process_figures | cut -d, -f4)" -v b="$IDLE_START_CPU" -v t="$(date +%s.%N)" \
  -v s="$IDLE_START" 'BEGIN { printf "%.2f %.1f", (a - b) / (t - s) * 100, t - s }')"
OPEN_AT_IDLE="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq '.http3.connectionsOpen')"
read -r I_HEAP I_NMT I_RSS I_ANON _ <<<"$(measure)"
jcmd "$SAMPLE_PID" VM.native_memory summary >"$OUT/nmt-idle.txt"
FDS_IDLE="$(process_figures | cut -d, -f2)"
await_line "^holding" 60
echo holding >"$PHASE_FILE"
HOLD_START_CPU="$(process_figures | cut -d, -f4)"
HOLD_START="$(date +%s.%N)"
await_line "^check" $((HOLD + COUNT / 100 + 120))
HOLD_CPU="$(awk -v a="$(process_figures | cut -d, -f4)" -v b="$HOLD_START_CPU" -v t="$(date +%s.%N)" \
  -v s="$HOLD_START" 'BEGIN { printf "%.2f", (a - b) / (t - s) * 100 }')"
# what the datapath dropped, and why, by the end of the check
curl -sf -m 5 "$ACTUATOR/xdp" >"$OUT/xdp-after-check.json" || true
echo closing >"$PHASE_FILE"
wait "$CLIENT_PID" && client_status=0 || client_status=$?
CLIENT_PID=""
pause 20
read -r E_HEAP E_NMT E_RSS E_ANON _ <<<"$(measure)"
stop_sampler
stop_sample

# --- figures ------------------------------------------------------------------------------------------------------
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", (a - b) * 1024 / n; else print "n/a" }'; }
check_line="$(grep '^check' "$OUT/client.out")"
served="$(sed -n 's/.* served=\([0-9]*\).*/\1/p' <<<"$check_line")"
opened_line="$(grep '^opened' "$OUT/client.out")"
open_seconds="$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$opened_line")"
hold_progress="$(grep '^progress' "$OUT/client.out" | tail -1)"
SUMMARY="$OUT/summary.md"
{
  echo "- connections: $COUNT asked, $(sed -n 's/.* open=\([0-9]*\).*/\1/p' <<<"$opened_line") open after" \
    "$open_seconds s ($OPEN_RATE a second at most, $IN_FLIGHT handshakes at once, over $SOCKETS UDP sockets), the" \
    "server counting $OPEN_AT_IDLE open at the end of the idle phase"
  echo "- every connection asked once at the end: $served of $COUNT served ($check_line)$(grep '^reason' \
    "$OUT/client.out" | sed 's/^reason /; /' | tr -d '\n')"
  echo "- the trickle: $RATE requests a second over them for $HOLD s ($hold_progress)"
  echo "- memory per connection (at the end of the idle phase against the baseline, over $OPEN_AT_IDLE connections):" \
    "heap after a full GC $(per "$I_HEAP" "$B_HEAP" "$OPEN_AT_IDLE") KiB ($B_HEAP to $I_HEAP MiB)," \
    "NMT committed $(per "$I_NMT" "$B_NMT" "$OPEN_AT_IDLE") KiB ($B_NMT to $I_NMT MiB; its heap part is the" \
    "committed heap, -Xms=-Xmx $HEAP, so this is native), RSS $(per "$I_RSS" "$B_RSS" "$OPEN_AT_IDLE") KiB" \
    "($B_RSS to $I_RSS MiB), anonymous memory $(per "$I_ANON" "$B_ANON" "$OPEN_AT_IDLE") KiB; native memory" \
    "outside NMT (quiche, BoringSSL, Netty's native buffers): $(awk -v r1="$I_RSS" -v r0="$B_RSS" -v n1="$I_NMT" \
      -v n0="$B_NMT" -v n="$OPEN_AT_IDLE" 'BEGIN { printf "%.1f", ((r1 - r0) - (n1 - n0)) * 1024 / n }') KiB"
  echo "- after the client closed them and 20 s: heap after GC $E_HEAP MiB, NMT committed $E_NMT MiB, RSS $E_RSS MiB"
  echo "- CPU of the service with them idle: $(cut -d' ' -f1 <<<"$IDLE_CPU") % of a core (over $(cut -d' ' -f2 \
    <<<"$IDLE_CPU") s); with the trickle: $HOLD_CPU %"
  echo "- open descriptors with them open: $FDS_IDLE (UDP goes through the AF_XDP sockets: none per connection)"
  echo "- the datapath by the end of the check: $(jq -r '[.sockets[] | "queue \(.queue): drops \([.drops | to_entries[] | select(.value > 0) | "\(.key) \(.value)"] | join(", ") | if . == "" then "none" else . end), kernel rx_dropped \(.kernel.rxDropped // 0) (fill ring empty \(.kernel.rxFillRingEmpty // 0), RX ring full \(.kernel.rxRingFull // 0)), TX back-pressure \(.txBackPressure)"] | join("; ")' \
    "$OUT/xdp-after-check.json" 2>/dev/null || echo "not read")"
  echo "- exit status after SIGTERM: ${exit_status:-none}; the generator's: $client_status"
} >"$SUMMARY"
cat "$SUMMARY"

PLOT="$OUT/connections.png"
if command -v gnuplot >/dev/null; then
  awk -F, 'NR > 1 { if (NR > 2 && $1 > pt) printf "%.2f %.2f\n", $1 / 60, ($6 - pc) / ($1 - pt) * 100; pt = $1; pc = $6 }' \
    "$CSV" >"$OUT/cpu.dat"
  gnuplot <<EOF
set terminal pngcairo size 1100,800 font "sans,10"
set output "$PLOT"
set datafile separator ","
set multiplot layout 2,1 title "quic-xdp: the sample holding $COUNT HTTP/3 connections, $(date -u +%Y-%m-%d)"
set xlabel "minutes"
set grid
set lmargin 12
set rmargin 12
set key top left opaque box
set ylabel "MiB"
set y2label "connections open"
set y2tics
plot "$CSV" using (\$1/60):(\$3/1024) with lines lw 2 title "RSS", \
     "" using (\$1/60):7 with lines title "heap used", \
     "" using (\$1/60):8 axes x1y2 with lines lw 2 title "connections open (server)"
unset y2label
unset y2tics
set datafile separator whitespace
set ylabel "CPU, % of a core"
plot "$OUT/cpu.dat" using 1:2 with lines lw 2 title "the sample's CPU"
unset multiplot
EOF
  echo "plot: $PLOT"
fi

if [ "${CONN_UPDATE_DOCS:-1}" != "0" ]; then
  publish_run reliability connections "$CSV" "$PLOT" "$SUMMARY"
fi
[ "$served" = "$COUNT" ] && [ "${exit_status:-}" = "0" ]
