#!/usr/bin/env bash
# What the runs of the sample under load share (soak.sh, connections.sh, flood.sh), sourced by them (and by
# webflux-cost.sh for stop_pid and pick_port), never run:
# the checks and tools they need, the build, starting the sample in its zero-setup sandbox and reading the
# sandbox's names and addresses from its log, and stopping what they started, on every exit.
#
# A script sources it after setting HERE and ROOT (benchmarks/ and the repository); then
#   whole_numbers NAME PREFIX VALUE...     exits 2 unless every VALUE (of a PREFIX_* setting) is a whole number
#   run_command_line PREFIX NAME           COMMAND_LINE: the run as the docs show it
#   sample_run_prepare NAME [PACKAGE...]   root, bpffs, the tools (and Debian packages given), JAVA
#   sample_run_build                       builds the sample's jar, the benchmarks and udpgen unless BUILD=0
#   sample_run_begin                       OUT (its results) made anew, PHASE_FILE, STOP_FILE; from then on every
#                                          exit stops the sampler (SAMPLER_PID), what the script's own function
#                                          stop_started stops, and the sample, and removes the sandbox
#   start_sampler SECONDS TIMES            SAMPLER_PID: the script's sample_row every SECONDS until STOP_FILE
#   pick_port VAR                          a free TCP and UDP port number
#   pick_sample_ports                      PORT, ECHO_PORT, QUIC_PORT: the three the sample takes
#   start_sample LOG HEAP PORT ECHO QUIC [ARG...]   sets SAMPLE_PID, SANDBOX_ID, NS, PEER_IF, APP_IF, PEER4,
#                                          PEER6, APP4, APP6; fails with the end of the log if it does not start
#   stop_sampler, stop_sample              at the run's end: the sampler; the sample by SIGTERM (exit_status)
#   remove_sandbox                         what the sample leaves after a kill -9 or a failed start
#   ours PID [COMM], stop_pid PID GRACE [COMM], pause SECONDS   as their comments say
# JAR, CP (the benchmarks' class path) and UDPGEN name what was built.

JAR="$ROOT/sample-app/target/quic-xdp-sample-app-0.1.0-SNAPSHOT.jar"
CP="$HERE/target/classes:$HERE/target/lib/*"
UDPGEN="$HERE/target/native/udpgen"
SAMPLE_PID="" SANDBOX_ID="" SLEEP_PID="" SAMPLER_PID=""
SELF_COMM="$(cat /proc/$$/comm)"

# exits 2 with a message unless every VALUE is a whole number: whole_numbers NAME PREFIX VALUE...
whole_numbers() {
  local name="$1" prefix="$2" value
  shift 2
  for value in "$@"; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "$name: '$value' is not a whole number (${prefix}_* settings)" >&2; exit 2; }
  done
}

# sets COMMAND_LINE to the run as the docs show it: the PREFIX_* settings in the environment, then benchmarks/NAME
run_command_line() {
  COMMAND_LINE="$(env | { grep -E "^$1_[A-Z_]+=" || true; } | sort | tr '\n' ' ')benchmarks/$2"
}

# checks root and bpffs, installs what is missing (the tools every run needs, and the Debian packages given)
sample_run_prepare() {
  local name="$1" tool
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "$name needs root: the sample builds a network namespace, a veth pair and an XDP program" >&2
    exit 1
  fi
  local need=("$@")
  for tool in curl:curl jq:jq gcc:gcc make:make ip:iproute2 ss:iproute2 mvn:maven javac:openjdk-17-jdk-headless; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
  done
  [ -f /usr/include/stdio.h ] || need+=(libc6-dev)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
  fi
  mkdir -p /sys/fs/bpf
  mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
  JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
}

# builds the sample's jar, the benchmarks with their libraries and udpgen, unless BUILD=0; checks they are there
sample_run_build() {
  if [ "${BUILD:-1}" != "0" ]; then
    echo "building the sample and the load generators"
    # shellcheck disable=SC2086
    (cd "$ROOT" && mvn -B -q ${MAVEN_FLAGS:-} -pl benchmarks,sample-app -am package -DskipTests)
    make -s -C "$HERE/native" OUT="$HERE/target/native" "$UDPGEN"
  fi
  local built
  for built in "$JAR" "$HERE/target/classes/io/quicxdp/bench/load/ConnectionsMain.class" "$UDPGEN"; do
    [ -e "$built" ] || { echo "$built is missing: run without BUILD=0" >&2; exit 1; }
  done
}

# makes OUT anew, with the files PHASE_FILE (the phase the sampler writes into each row) and STOP_FILE (there: the
# sampler stops), and from now on cleans up on every exit, INT and TERM included
sample_run_begin() {
  rm -rf "$OUT" && mkdir -p "$OUT"
  PHASE_FILE="$OUT/phase"
  STOP_FILE="$OUT/stop"
  trap sample_run_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# stops whatever still runs (the sampler, what the script's stop_started stops, the sample) and removes the sandbox
sample_run_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  touch "$STOP_FILE"
  stop_pid "$SLEEP_PID" 1 sleep
  stop_pid "$SAMPLER_PID" 10
  stop_started
  stop_pid "$SAMPLE_PID" 30
  remove_sandbox
  exit "$status"
}

# starts the sampler in the background (SAMPLER_PID): the script's function sample_row, then SECONDS of sleep, until
# STOP_FILE is there or it ran TIMES times; a row that fails is skipped, it never ends the sampling
start_sampler() {
  local seconds="$1" times="$2"
  (
    set +e
    for _ in $(seq 1 "$times"); do
      [ -e "$STOP_FILE" ] && exit 0
      sample_row
      sleep "$seconds"
    done
  ) &
  SAMPLER_PID=$!
}

# whether our process PID still runs, and with COMM still has that name
ours() {
  local pid="$1" comm="${2:-}"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -z "$comm" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]
}

# stops our process PID (TERM, then KILL after GRACE seconds); with COMM, only while it still has that name
stop_pid() {
  local pid="$1" grace="$2" comm="${3:-}"
  ours "$pid" "$comm" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# sleeps so that INT and TERM interrupt it: bash runs a trap only between commands, and wait is one
pause() {
  sleep "$1" &
  SLEEP_PID=$!
  wait "$SLEEP_PID"
  SLEEP_PID=""
}

# sets the variable named $1 to a port that nothing here uses over TCP or UDP, nor this run yet: the sample's
# echo ports too, since the sample holds them in the kernel and another service on this machine may use 4433
TAKEN_PORTS=" "
pick_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 20000))
    [[ "$TAKEN_PORTS" != *" $port "* ]] && [ -z "$(ss -Htuln "sport = :$port")" ] && break
  done
  TAKEN_PORTS="$TAKEN_PORTS$port "
  printf -v "$1" '%s' "$port"
}

# sets PORT (the sample's web server and actuator over TCP, HTTP/3 on the same number over UDP), ECHO_PORT (its UDP
# echo) and QUIC_PORT (its QUIC echo)
pick_sample_ports() {
  pick_port PORT
  pick_port ECHO_PORT
  pick_port QUIC_PORT
}

# the id in the names of the sample's sandbox (namespace qxs-ID, link qxsaID, pins quic-xdp-sample-ID), once logged
sandbox_id() {
  sed -n 's/.*Sandbox: network namespace qxs-\([0-9a-f]*\) holds.*/\1/p' "$1" 2>/dev/null | head -1 || true
}

# starts the sample from its jar in its zero-setup sandbox, the web server and actuator on TCP PORT (HTTP/3 on the
# same number over UDP), and waits until it is ready
start_sample() {
  local log="$1" heap="$2" port="$3" echo_port="$4" quic_port="$5" ready="" line
  shift 5
  SAMPLE_LOG="$log"
  : >"$log"
  "$JAVA" "-Xms$heap" "-Xmx$heap" -XX:+AlwaysPreTouch ${SAMPLE_JVM_OPTIONS:-} -jar "$JAR" "--server.port=$port" \
    "--sample.echo.port=$echo_port" "--sample.quic.port=$quic_port" --spring.main.banner-mode=off "$@" \
    >"$log" 2>&1 &
  SAMPLE_PID=$!
  for _ in $(seq 1 1800); do
    [ -n "$SANDBOX_ID" ] || SANDBOX_ID="$(sandbox_id "$log")"
    grep -q "Look at http://localhost:$port/actuator/xdp" "$log" && { ready=1; break; }
    kill -0 "$SAMPLE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ready" ] || [ -z "$SANDBOX_ID" ]; then
    echo "the sample did not become ready within 180 s; the end of its log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  line="$(grep -m1 "Sandbox: network namespace qxs-$SANDBOX_ID" "$log")"
  NS="qxs-$SANDBOX_ID"
  PEER_IF="qxsp$SANDBOX_ID"
  APP_IF="qxsa$SANDBOX_ID"
  PEER4="$(sed -n 's/.*holds veth end [^ ]* (\([0-9.]*\), \([0-9a-f:]*\)).*/\1/p' <<<"$line")"
  PEER6="$(sed -n 's/.*holds veth end [^ ]* (\([0-9.]*\), \([0-9a-f:]*\)).*/\2/p' <<<"$line")"
  APP4="$(sed -n 's/.*the other end, [^ ]* (\([0-9.]*\), \([0-9a-f:]*\)).*/\1/p' <<<"$line")"
  APP6="$(sed -n 's/.*the other end, [^ ]* (\([0-9.]*\), \([0-9a-f:]*\)).*/\2/p' <<<"$line")"
  if [ -z "$PEER4" ] || [ -z "$PEER6" ] || [ -z "$APP4" ] || [ -z "$APP6" ]; then
    echo "no addresses in the sample's sandbox line: $line" >&2
    exit 1
  fi
}

# tells the sampler to stop and waits for its last row
stop_sampler() {
  touch "$STOP_FILE"
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}

# stops the sample as an operator does, by SIGTERM, and sets exit_status to its exit status; empty when it still runs
# after 30 s (the cleanup kills it then)
stop_sample() {
  kill -TERM "$SAMPLE_PID"
  exit_status=""
  for _ in $(seq 1 300); do
    kill -0 "$SAMPLE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$SAMPLE_PID" 2>/dev/null; then
    wait "$SAMPLE_PID" && exit_status=0 || exit_status=$?
    SAMPLE_PID=""
  fi
}

# the sample removes its sandbox when it stops; after a kill -9 or a failed start this removes the rest
remove_sandbox() {
  [ -n "$SANDBOX_ID" ] || SANDBOX_ID="$(sandbox_id "${SAMPLE_LOG:-/dev/null}")"
  if [ -n "$SANDBOX_ID" ]; then
    ip netns del "qxs-$SANDBOX_ID" 2>/dev/null || true
    ip link show "qxsa$SANDBOX_ID" >/dev/null 2>&1 && ip link del "qxsa$SANDBOX_ID" 2>/dev/null || true
    rm -rf "/sys/fs/bpf/quic-xdp-sample-$SANDBOX_ID"
  fi
}

# the sample process's figures now, as CSV: rss_kb,fds,threads,cpu_s (user + system seconds); empty once it is gone
process_figures() {
  local rss threads fds cpu
  rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$SAMPLE_PID/status" 2>/dev/null)" || return 0
  threads="$(awk '/^Threads:/ {print $2}' "/proc/$SAMPLE_PID/status" 2>/dev/null)" || return 0
  fds="$(ls "/proc/$SAMPLE_PID/fd" 2>/dev/null | wc -l)"
  cpu="$(awk -v tck="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / tck}' \
    "/proc/$SAMPLE_PID/stat" 2>/dev/null)" || return 0
  printf '%s,%s,%s,%s' "$rss" "$fds" "$threads" "$cpu"
}

# one line on the machine and the run: cores, load average now, Java, kernel
machine_line() {
  echo "$(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), $("$JAVA" -version 2>&1 \
    | head -1 | sed 's/"//g'), kernel $(uname -r)"
}

# publish_run PAGE NAME CSV PLOT SUMMARY: copies the run's CSV and plot (when there is one) to docs/PAGE/NAME.* and
# writes the run's line (COMMAND_LINE, the machine), SUMMARY and links between the markers NAME-results of
# docs/PAGE.md
publish_run() {
  local page="$1" name="$2" csv="$3" plot="$4" summary="$5"
  local doc="$ROOT/docs/$page.md" section
  section="$(dirname "$summary")/doc-section.md"
  mkdir -p "$ROOT/docs/$page"
  cp "$csv" "$ROOT/docs/$page/$name.csv"
  [ -f "$plot" ] && cp "$plot" "$ROOT/docs/$page/$name.png"
  {
    echo "Run of $(date -u +%Y-%m-%dT%H:%M:%SZ): \`$COMMAND_LINE\`; $(machine_line)."
    echo
    cat "$summary"
    echo
    [ -f "$plot" ] && echo "![$name run]($page/$name.png)" && echo
    echo "Every sample: [$page/$name.csv]($page/$name.csv)."
  } >"$section"
  write_between_markers "$doc" "$name-results" "$section"
  echo "figures written into $doc"
}

# replaces what DOC holds between the lines <!-- MARKER:begin --> and <!-- MARKER:end --> with the file SECTION
write_between_markers() {
  local doc="$1" marker="$2" section="$3"
  grep -q "<!-- $marker:begin -->" "$doc" || { echo "$doc has no <!-- $marker:begin --> line" >&2; return 1; }
  awk -v results="$section" -v begin="<!-- $marker:begin -->" -v end="<!-- $marker:end -->" '
    $0 == begin { print; while ((getline line < results) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
}
