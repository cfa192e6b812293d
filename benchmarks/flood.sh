#!/usr/bin/env bash
# The flood runs (docs/reliability.md, "Handshake floods" and "Saturation of the datapath"): the sample application
# in its zero-setup sandbox, in a JVM of its own, serves a legitimate HTTP/3 client from the sandbox's peer
# namespace (ConnectionsMain: a few connections, a steady rate of requests, latency per second) before, during and
# after a flood from the same namespace:
#   FLOOD_KIND=initial  QUIC Initials (InitialFloodMain: real ones that start a handshake, undecryptable ones,
#                       garbage) from the addresses of FLOOD_SOURCES, made local in the peer namespace with a route,
#                       several ports each; what the server sends back is read on the peer's veth end
#                       (amplification per source and per answered datagram)
#   FLOOD_KIND=udp      64-byte UDP datagrams (udpgen) on the echo and HTTP/3 ports, as fast as the peer sends them:
#                       more than the loops take in; drops by reason, every datagram accounted for, the health
# It samples the service every second (CPU, memory, connections, datapath counters, health), plots the run and,
# unless FLOOD_UPDATE_DOCS=0, writes the figures into docs/reliability.md. Run as root.
#
#   benchmarks/flood.sh                              60 s of Initials at the highest rate one thread makes
#   FLOOD_RETRY=1 benchmarks/flood.sh                the same with quic.xdp.http3.retry=true
#   FLOOD_KIND=udp benchmarks/flood.sh               60 s of UDP past the loops
#
# Environment (all optional):
#   FLOOD_SECONDS=60  FLOOD_BEFORE=20  FLOOD_AFTER=40     the flood, and the phases before and after it
#   FLOOD_RATE=0              Initials a second, 0 for as fast as FLOOD_THREADS threads send them
#   FLOOD_THREADS=1  FLOOD_MIX=1:1:1 (initial:undecryptable:garbage)  FLOOD_PORTS=4 (sockets per source)
#   FLOOD_SOURCES             a range of the peer's subnet; default its .128/25 (126 addresses)
#   FLOOD_RETRY=0             1: the sample validates addresses with a Retry first
#   FLOOD_CLIENT_CONNECTIONS=8  FLOOD_CLIENT_RATE=100     the legitimate client
#   FLOOD_HEAP=512m           the sample's heap;  FLOOD_SAMPLE_ARGS: more arguments for it
#   FLOOD_UPDATE_DOCS=1       0: leave docs/reliability.md and docs/reliability/ alone
#   BUILD=1                   0: use the jars already built;  MAVEN_FLAGS: extra flags for the build (-o)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=benchmarks/sample-run.sh
. "$HERE/sample-run.sh"

KIND="${FLOOD_KIND:-initial}"
RETRY="${FLOOD_RETRY:-0}"
SECONDS_FLOOD="${FLOOD_SECONDS:-60}"
BEFORE="${FLOOD_BEFORE:-20}"
AFTER="${FLOOD_AFTER:-40}"
RATE="${FLOOD_RATE:-0}"
THREADS="${FLOOD_THREADS:-1}"
MIX="${FLOOD_MIX:-1:1:1}"
PORTS="${FLOOD_PORTS:-4}"
CLIENT_CONNECTIONS="${FLOOD_CLIENT_CONNECTIONS:-8}"
CLIENT_RATE="${FLOOD_CLIENT_RATE:-100}"
HEAP="${FLOOD_HEAP:-512m}"
case "$KIND" in
  initial|udp) ;;
  *) echo "flood.sh: FLOOD_KIND is initial or udp, not '$KIND'" >&2; exit 2 ;;
esac
whole_numbers flood.sh FLOOD "$RETRY" "$SECONDS_FLOOD" "$BEFORE" "$AFTER" "$RATE" "$THREADS" "$PORTS" \
  "$CLIENT_CONNECTIONS" "$CLIENT_RATE"
[ "$SECONDS_FLOOD" -le 600 ] || { echo "flood.sh: FLOOD_SECONDS is at most 600" >&2; exit 2; }
NAME="flood-$KIND$([ "$KIND" = initial ] && [ "$RETRY" = 1 ] && echo -retry || true)"
OUT="$HERE/target/$NAME"
run_command_line FLOOD flood.sh

plots=()
command -v gnuplot >/dev/null || plots+=(gnuplot-nox)
sample_run_prepare flood.sh "${plots[@]}"
sample_run_build
CLIENT_PID="" FLOOD_PIDS=()
stop_started() {
  local pid
  for pid in "${FLOOD_PIDS[@]}"; do
    stop_pid "$pid" 10
  done
  stop_pid "$CLIENT_PID" 10
}
sample_run_begin
CSV="$OUT/$NAME.csv"

pick_sample_ports
echo "starting the sample (heap $HEAP, HTTP/3 on $PORT, Retry $([ "$RETRY" = 1 ] && echo on || echo off)); its log:" \
  "$OUT/sample.log"
# shellcheck disable=SC2086
start_sample "$OUT/sample.log" "$HEAP" "$PORT" "$ECHO_PORT" "$QUIC_PORT" \
  "--quic.xdp.http3.retry=$([ "$RETRY" = 1 ] && echo true || echo false)" ${FLOOD_SAMPLE_ARGS:-}
T0="$(date +%s.%N)"
ACTUATOR="http://127.0.0.1:$PORT/actuator"
echo "sandbox $NS: peer $PEER4 -> HTTP/3 $APP4:$PORT, UDP echo $ECHO_PORT"

# --- sampling: every second, the process, the server's connections and the datapath's counters ----------------
echo "t_s,phase,rss_kb,fds,threads,cpu_s,heap_used_mb,connections_open,handshakes,retries,rx_packets,k_rx_dropped,\
k_fill_ring_empty,k_rx_ring_full,frames_held,frames_balanced,health_up,fill_ring_detail" >"$CSV"
echo before >"$PHASE_FILE"
XDP_ROW='[.http3.connectionsOpen, .http3.handshakesDone, .http3.retriesSent, ([.sockets[].rxPackets] | add),
([.sockets[].kernel.rxDropped] | add), ([.sockets[].kernel.rxFillRingEmpty] | add),
([.sockets[].kernel.rxRingFull] | add), ([.sockets[].receiveFrames.held] | add),
(if ([.sockets[].receiveFrames.balanced] | all) then 1 else 0 end)] | @csv'
sample_row() {
  local now process heap xdp health
  now="$(date +%s.%N)"
  process="$(process_figures)"
  heap="$(curl -sf -m 3 "$ACTUATOR/metrics/jvm.memory.used?tag=area:heap" | jq '.measurements[0].value / 1048576')"
  xdp="$(curl -sf -m 3 "$ACTUATOR/xdp" | jq -r "$XDP_ROW")"
  health="$(curl -s -m 3 "$ACTUATOR/health/xdp" | jq -r '[(if .status == "UP" then 1 else 0 end),
    ([.components[].details.fillRing // {} | length] | add)] | @csv')"
  [ -n "$process" ] && [ -n "$xdp" ] && printf '%s,%s,%s,%.1f,%s,%s\n' \
    "$(awk -v a="$now" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')" "$(cat "$PHASE_FILE")" "$process" \
    "${heap:-0}" "$xdp" "${health:-0,0}" >>"$CSV"
}
start_sampler 1 5000

# --- the legitimate client: its connections open first, then requests at a steady rate to the end -------------
TOTAL=$((BEFORE + SECONDS_FLOOD + AFTER))
ip netns exec "$NS" "$JAVA" -Xmx512m -cp "$CP" io.quicxdp.bench.load.ConnectionsMain --server "$APP4:$PORT" \
  --connections "$CLIENT_CONNECTIONS" --sockets "$CLIENT_CONNECTIONS" --loops 1 --rate "$CLIENT_RATE" \
  --hold "$TOTAL" --interval 1 --timeout 5 >"$OUT/client.out" 2>"$OUT/client.log" &
CLIENT_PID=$!
for _ in $(seq 1 600); do
  grep -q '^holding' "$OUT/client.out" && break
  kill -0 "$CLIENT_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q '^holding' "$OUT/client.out" || { echo "flood.sh: the legitimate client did not connect" >&2; cat "$OUT/client.out" >&2; exit 1; }
CLIENT_T0="$(awk -v a="$(date +%s.%N)" -v t="$(grep '^progress' "$OUT/client.out" | tail -1 | \
  sed -n 's/^progress t=\([0-9.]*\) .*/\1/p')" 'BEGIN { printf "%.1f", a - (t == "" ? 0 : t) }')"
pause "$BEFORE"

# --- the flood ------------------------------------------------------------------------------------------------------
SOURCES="${FLOOD_SOURCES:-${PEER4%.*}.128/25}"
before_counters="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq -r "$XDP_ROW")"
peer_dropped() { ip -n "$NS" -s -j link show dev "$PEER_IF" | jq '.[0].stats64.tx.dropped'; }
before_veth="$(peer_dropped)"
echo flood >"$PHASE_FILE"
FLOOD_START="$(date +%s.%N)"
if [ "$KIND" = initial ]; then
  ip -n "$NS" route add local "$SOURCES" dev lo
  echo "flooding $APP4:$PORT with Initials from $SOURCES ($PORTS ports each, mix $MIX) for $SECONDS_FLOOD s"
  ip netns exec "$NS" "$JAVA" -Xmx1g -cp "$CP" io.quicxdp.bench.load.InitialFloodMain --server "$APP4:$PORT" \
    --sources "$SOURCES" --ports "$PORTS" --rate "$RATE" --seconds "$SECONDS_FLOOD" --mix "$MIX" \
    --threads "$THREADS" --capture "$PEER_IF" --linger "$AFTER" --csv "$OUT/sources.csv" \
    >"$OUT/flood.out" 2>"$OUT/flood.log" &
  FLOOD_PIDS+=($!)
  pause "$SECONDS_FLOOD"
else
  echo "flooding the echo ($ECHO_PORT) and HTTP/3 ($PORT) ports with 64-byte datagrams for $SECONDS_FLOOD s"
  n=0
  for target in "$ECHO_PORT" "$PORT"; do
    n=$((n + 1))
    ip netns exec "$NS" "$UDPGEN" -m udp -i "$PEER_IF" -s "$PEER4" -d "$APP4" -P $((41000 + n)) -p "$target" \
      -l 64 -t "$SECONDS_FLOOD" >"$OUT/udpgen-$n.out" 2>&1 &
    FLOOD_PIDS+=($!)
  done
  for pid in "${FLOOD_PIDS[@]}"; do
    wait "$pid" || echo "udpgen exited with $?"
  done
  FLOOD_PIDS=()
fi
FLOOD_END="$(date +%s.%N)"
echo after >"$PHASE_FILE"
pause "$AFTER"
after_counters="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq -r "$XDP_ROW")"
limits_after="$(curl -sf -m 5 "$ACTUATOR/xdp" | jq -c '.http3.limits' || echo "not read")"
after_veth="$(peer_dropped)"
health_after="$(curl -s -m 5 "$ACTUATOR/health/xdp")"
if [ "$KIND" = initial ]; then
  for pid in "${FLOOD_PIDS[@]}"; do
    wait "$pid" || echo "the flood generator exited with $?"
  done
  FLOOD_PIDS=()
fi
wait "$CLIENT_PID" && client_status=0 || client_status=$?
CLIENT_PID=""
stop_sampler
stop_sample

# --- figures --------------------------------------------------------------------------------------------------------
FS="$(awk -v a="$FLOOD_START" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')"
FE="$(awk -v a="$FLOOD_END" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')"
CS="$(awk -v a="$CLIENT_T0" -v b="$T0" 'BEGIN { printf "%.1f", a - b }')"
# the client's windows on the run's clock: t p50_ms p99_ms requests failed_in_window
awk -v cs="$CS" '/^progress/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.1f %.3f %.3f %d %d %d\n", cs + v["t"], v["p50_us"] / 1000, v["p99_us"] / 1000, v["window_requests"],
      v["failed"] - pf, v["lost"]
    pf = v["failed"] }' "$OUT/client.out" >"$OUT/client.dat"
# the median of column $1 of the windows on stdin that served a request
median_of() { awk -v c="$1" '$4 > 0 { print $c }' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
phase_stats() {
  local rows
  rows="$(awk -v from="$1" -v to="$2" '$1 > from && $1 <= to' "$OUT/client.dat")"
  printf 'p50 %.2f ms, p99 %.2f ms (medians of the seconds), worst second p99 %.2f ms, %d served, %d failed' \
    "$(median_of 2 <<<"$rows")" "$(median_of 3 <<<"$rows")" \
    "$(awk '$4 > 0 { print $3 }' <<<"$rows" | sort -g | tail -1 | awk '{ print $1 + 0 } END { if (!NR) print 0 }')" \
    "$(awk '{ s += $4 } END { print s + 0 }' <<<"$rows")" "$(awk '{ s += $5 } END { print s + 0 }' <<<"$rows")"
}
cpu_stats() {
  awk -F, -v from="$1" -v to="$2" 'NR > 1 && $1 >= from && $1 <= to { if (t0 == "") { t0 = $1; c0 = $6 } t1 = $1; c1 = $6
      if ($3 > rss) rss = $3; if ($8 > open) open = $8; if ($7 > heap) heap = $7 }
    END { if (t1 > t0) printf "%.0f %% of a core, RSS up to %.0f MiB, heap used up to %.0f MiB, up to %d connections open",
      (c1 - c0) / (t1 - t0) * 100, rss / 1024, heap, open }' "$CSV"
}
delta() { awk -F, -v a="$1" -v b="$2" -v i="$3" 'BEGIN { split(a, x, ","); split(b, y, ","); print y[i] - x[i] }'; }
# recovery: from the flood's end to the first second from which the client was served with no failure and a p99
# within twice the p99 before the flood, for the rest of the run
before_p99="$(awk -v from="$CS" -v to="$FS" '$1 > from && $1 <= to' "$OUT/client.dat" | median_of 3)"
recovery="$(awk -v fe="$FE" -v limit="$before_p99" '$1 > fe { t[++n] = $1; ok[n] = ($4 > 0 && $5 == 0 && $3 <= 2 * limit) }
  END { for (i = n; i >= 1 && ok[i]; i--) first = t[i]; if (first) printf "%.1f s", first - fe; else print "not within the run" }' \
  "$OUT/client.dat")"
SUMMARY="$OUT/summary.md"
{
  if [ "$KIND" = initial ]; then
    echo "- the flood: $(grep '^flood sent' "$OUT/flood.out" | sed 's/^flood //') (from $(grep '^flooding' \
      "$OUT/flood.out" | sed 's/^flooding //'), Retry $([ "$RETRY" = 1 ] && echo on || echo off))"
    echo "- what the server sent back, on the wire: $(grep '^replies' "$OUT/flood.out" | sed 's/^replies //')" \
      "(capture: $(grep '^capture' "$OUT/flood.out" | sed 's/^capture //'))"
    echo "- amplification per source (bytes back / bytes sent): $(grep '^amplification_sources' "$OUT/flood.out" \
      | sed 's/^amplification_sources //')"
    echo "- amplification per answered Initial (bytes back to its source ID / 1200): $(grep \
      '^amplification_datagrams' "$OUT/flood.out" | sed 's/^amplification_datagrams //')"
    echo "- handshakes done by the server during the run: $(delta "$before_counters" "$after_counters" 2);" \
      "Retries sent: $(delta "$before_counters" "$after_counters" 3)"
    echo "- the server past its limits (quic.xdp.http3.max-handshakes, handshake-timeout), by the run's end:" \
      "$limits_after"
  else
    sent="$(cat "$OUT"/udpgen-*.out | sed -n 's/.* sent=\([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s }')"
    rx="$(delta "$before_counters" "$after_counters" 4)"
    dropped="$(delta "$before_counters" "$after_counters" 5)"
    veth=$((after_veth - before_veth))
    echo "- the flood: $sent datagrams of 64 bytes in $SECONDS_FLOOD s ($(awk -v s="$sent" -v t="$SECONDS_FLOOD" \
      'BEGIN { printf "%.0f", s / t }') a second) from two udpgen on the echo and HTTP/3 ports"
    echo "- received by the sockets $rx; dropped by the kernel $dropped (fill ring empty" \
      "$(delta "$before_counters" "$after_counters" 6), RX ring full $(delta "$before_counters" "$after_counters" 7));" \
      "by veth $veth; unaccounted: $((sent - rx - dropped - veth)) (the legitimate client's datagrams come on top)"
    echo "- the health during the flood: $(awk -F, -v fs="$FS" -v fe="$FE" 'NR > 1 && $1 >= fs && $1 <= fe + 2 {
        n++; up += $17; detail += ($18 > 0) } END { printf "UP in %d of %d reads, the fillRing detail in %d", up, n, detail }' \
      "$CSV"); after: $(jq -c '{status: .status, fillRing: [.components[].details.fillRing] | add}' <<<"$health_after")"
    echo "- after it: frames held $(cut -d, -f8 <<<"$after_counters"), balanced $(cut -d, -f9 <<<"$after_counters")"
  fi
  echo "- the service: before $(cpu_stats "$CS" "$FS"); during $(cpu_stats "$FS" "$FE"); after $(cpu_stats "$FE" 1e9)"
  echo "- the legitimate client ($CLIENT_CONNECTIONS connections, $CLIENT_RATE requests a second): before" \
    "$(phase_stats "$CS" "$FS"); during $(phase_stats "$FS" "$FE"); after $(phase_stats "$FE" 1e9);" \
    "recovered $recovery after the flood; $(grep '^check' "$OUT/client.out" || echo 'no check')"
  echo "- exit status after SIGTERM: ${exit_status:-none}"
} >"$SUMMARY"
cat "$SUMMARY"

PLOT="$OUT/$NAME.png"
if command -v gnuplot >/dev/null; then
  awk -F, 'NR > 2 && $1 > pt { printf "%.2f %.1f %.0f %.0f\n", $1 / 60, ($6 - pc) / ($1 - pt) * 100,
      ($11 - prx) / ($1 - pt), ($12 - pdr) / ($1 - pt) } NR > 1 { pt = $1; pc = $6; prx = $11; pdr = $12 }' "$CSV" \
    >"$OUT/rates.dat"
  gnuplot <<EOF
set terminal pngcairo size 1100,1000 font "sans,10"
set output "$PLOT"
set multiplot layout 3,1 title "quic-xdp: the sample under a $KIND flood$([ "$RETRY" = 1 ] && echo ", Retry on"), $(date -u +%Y-%m-%d)"
set xlabel "minutes"
set grid
set lmargin 12
set rmargin 12
set key top left opaque box
set arrow 1 from $FS/60.0, graph 0 to $FS/60.0, graph 1 nohead dt 2
set arrow 2 from $FE/60.0, graph 0 to $FE/60.0, graph 1 nohead dt 2
set ylabel "CPU, % of a core"
set y2label "packets/s"
set y2tics
plot "$OUT/rates.dat" using 1:2 with lines lw 2 title "the sample's CPU", \
     "" using 1:3 axes x1y2 with lines title "received by the sockets/s", \
     "" using 1:4 axes x1y2 with lines title "dropped by the kernel/s"
set ylabel "ms"
set logscale y
set y2label "failed requests"
plot "$OUT/client.dat" using (\$1/60):2 with lines title "legitimate client p50", \
     "" using (\$1/60):3 with lines lw 2 title "p99", \
     "" using (\$1/60):5 axes x1y2 with impulses title "failed"
unset logscale y
set datafile separator ","
set ylabel "MiB"
set y2label "connections open"
plot "$CSV" using (\$1/60):(\$3/1024) with lines lw 2 title "RSS", \
     "" using (\$1/60):7 with lines title "heap used", \
     "" using (\$1/60):8 axes x1y2 with lines title "connections open (server)"
unset multiplot
EOF
  echo "plot: $PLOT"
fi

if [ "${FLOOD_UPDATE_DOCS:-1}" != "0" ]; then
  publish_run reliability "$NAME" "$CSV" "$PLOT" "$SUMMARY"
fi
[ "${exit_status:-}" = "0" ]
