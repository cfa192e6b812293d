#!/usr/bin/env bash
# Draws the Grafana dashboard docs/grafana/quic-xdp-dashboard.json as a PNG, without Grafana: each panel's
# PromQL queries, exactly as the dashboard has them (its variables set to "all", $__rate_interval to four scrape
# intervals), are asked of a Prometheus server over a time range with query_range, and gnuplot draws every
# panel where the dashboard places it. benchmarks/soak.sh runs a Prometheus server beside the sample and calls
# this at the end of its run (docs/actuator.md shows the result).
#
#   benchmarks/dashboard.sh PROMETHEUS_URL START END SCRAPE_SECONDS OUT.png [SUBTITLE]
#
# START and END are Unix times. Needs curl, jq and gnuplot.
set -euo pipefail

if [ $# -lt 5 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
PROM="$1" START="$2" END="$3" SCRAPE="$4" PNG="$5" SUBTITLE="${6:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DASHBOARD="$HERE/../docs/grafana/quic-xdp-dashboard.json"
for tool in curl jq gnuplot; do
  command -v "$tool" >/dev/null || { echo "dashboard.sh: $tool is missing" >&2; exit 1; }
done
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
RATE="$((4 * SCRAPE))s"
STEP="$SCRAPE"

# the layout: Grafana's grid is 24 columns wide, in rows of 30 px; the picture keeps its proportions
HEIGHT_UNITS="$(jq '[.panels[] | .gridPos.y + .gridPos.h] | max' "$DASHBOARD")"
PLOT="$WORK/plot.gp"
ROWS="$WORK/rows.gp"
: >"$ROWS"
{
  echo "set terminal pngcairo size 1600,$((HEIGHT_UNITS * 30 + 60)) font 'sans,9'"
  echo "set output '$PNG'"
  echo "set multiplot title \"$(jq -r .title "$DASHBOARD") dashboard${SUBTITLE:+: $SUBTITLE}\" font 'sans,12'"
  echo "set grid"
  echo "set key below left font 'sans,8' maxrows 3"
  echo "set xlabel 'minutes' offset 0,0.6 font 'sans,8'"
  echo "set tics font 'sans,8'"
  echo "set format y '%.1s%c'"
} >"$PLOT"

panels="$(jq '.panels | length' "$DASHBOARD")"
for i in $(seq 0 $((panels - 1))); do
  panel="$(jq -c ".panels[$i]" "$DASHBOARD")"
  read -r x y w h <<<"$(jq -r '.gridPos | "\(.x) \(.y) \(.w) \(.h)"' <<<"$panel")"
  title="$(jq -r .title <<<"$panel" | sed 's/"/\\"/g')"
  ox="$(awk -v x="$x" 'BEGIN { printf "%.4f", x / 24 }')"
  sx="$(awk -v w="$w" 'BEGIN { printf "%.4f", w / 24 }')"
  top="$(awk -v y="$y" -v H="$HEIGHT_UNITS" 'BEGIN { printf "%.4f", 0.97 * (1 - y / H) }')"
  sy="$(awk -v h="$h" -v H="$HEIGHT_UNITS" 'BEGIN { printf "%.4f", 0.97 * h / H }')"
  oy="$(awk -v t="$top" -v s="$sy" 'BEGIN { printf "%.4f", t - s }')"
  if [ "$(jq -r .type <<<"$panel")" = "row" ]; then
    echo "set label \"$title\" at screen $ox + 0.005, screen $top - 0.006 font 'sans,11' textcolor rgb '#1f60c4'" >>"$ROWS"
    continue
  fi
  plots=()
  targets="$(jq '.targets | length' <<<"$panel")"
  for t in $(seq 0 $((targets - 1))); do
    expr="$(jq -r ".targets[$t].expr" <<<"$panel" | sed -e "s/\\\$__rate_interval/$RATE/g" \
      -e 's/\$job/.*/g' -e 's/\$instance/.*/g' -e 's/\$interface/.*/g')"
    legend="$(jq -r ".targets[$t].legendFormat" <<<"$panel")"
    answer="$WORK/answer.json"
    curl -sfG "$PROM/api/v1/query_range" --data-urlencode "query=$expr" -d "start=$START" -d "end=$END" \
      -d "step=$STEP" >"$answer" || { echo "dashboard.sh: Prometheus did not answer: $expr" >&2; exit 1; }
    series="$(jq '.data.result | length' "$answer")"
    for s in $(seq 0 $((series - 1))); do
      data="$WORK/p$i-t$t-s$s.dat"
      jq -r --argjson start "$START" ".data.result[$s].values[] | \"\\((.[0] - \$start) / 60) \\(.[1])\"" \
        "$answer" >"$data"
      name="$(jq -r --arg legend "$legend" ".data.result[$s].metric as \$m
        | reduce (\$m | to_entries[]) as \$e (\$legend; gsub(\"\\\\{\\\\{ *\" + \$e.key + \" *\\\\}\\\\}\"; \$e.value))
        | gsub(\"\\\\{\\\\{[^}]*\\\\}\\\\}\"; \"\")" "$answer" | sed 's/"/\\"/g; s/_/\\\\_/g')"
      plots+=("'$data' using 1:2 with lines lw 1.5 title \"$name\"")
    done
  done
  {
    echo "set origin $ox, $oy"
    echo "set size $sx, $sy"
    echo "set title \"$title\" font 'sans,10'"
    echo "set xrange [0:$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.2f", (b - a) / 60 }')]"
    echo "set ylabel \"$(jq -r '.fieldConfig.defaults.unit // ""' <<<"$panel" | sed 's/^pps$/packets\/s/; s/^Bps$/bytes\/s/; s/^ops$/per second/; s/^short$//')\" font 'sans,8'"
    # a stat panel's values are counts and states: whole numbers
    if [ "$(jq -r .type <<<"$panel")" = "stat" ]; then
      echo "set ytics 1; set format y '%g'"
    else
      echo "set ytics autofreq; set format y '%.1s%c'"
    fi
    if [ ${#plots[@]} -eq 0 ]; then
      echo "set label 101 'no data' at graph 0.5, graph 0.5 center"
      echo "plot [0:1] [0:1] NaN notitle"
      echo "unset label 101"
    else
      echo "set yrange [0:*]"
      (IFS=,; echo "plot ${plots[*]}")
    fi
  } >>"$PLOT"
done
# the rows' titles, drawn over the whole picture by a plot of nothing
{
  echo "unset label"
  cat "$ROWS"
  echo "set origin 0, 0"
  echo "set size 1, 1"
  echo "unset border; unset tics; unset title; unset xlabel; unset ylabel; unset key; unset grid"
  echo "plot [0:1] [0:1] NaN notitle"
  echo "unset multiplot"
} >>"$PLOT"
gnuplot "$PLOT"
