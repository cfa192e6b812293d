# The soak test's verdict (benchmarks/soak.sh, docs/soak.md) over its CSV: prints the summary in Markdown and
# exits 1 when a rule fails. Variables (awk -v): rss_slack_mb, fd_slack, interval, missed,
# udp_sent, udp_echoed, h3_completed, h3_failed, h3_errors, exit_status (of the service after SIGTERM).
#
# The steady samples (after warm-up, under load) are split in quarters of q = ceil(steady / 4) samples:
#   RSS      mean of the last q - mean of the first q <= rss_slack_mb
#   fds      the highest count of the last q, and of every idle sample, <= the highest of the first q + fd_slack
#   frames   at the last idle sample: balanced (withKernel + held + free = total on every socket) and none held.
#            Under load the actuator reads the fields one after another, a batch may move in between: samples
#            off balance there are counted, not judged
#   traffic  UDP echoes and HTTP/3 responses came back, and the service exited 0 after SIGTERM
# Plain POSIX awk (mawk included).

NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    next
}

{
    n++
    phase = $col["phase"]
    rss[n] = $col["rss_kb"] / 1024
    fds[n] = $col["fds"]
    held[n] = $col["frames_held"]
    heap[n] = $col["heap_after_gc_mb"]
    threads[n] = $col["threads"]
    if (phase == "steady") steady[++s] = n
    if (phase == "idle") idles[++d] = n
    balanced[n] = $col["frames_balanced"]
    if (balanced[n] != 1) {
        unbalanced++
        off = $col["frames_with_kernel"] + $col["frames_held"] + $col["frames_free"] - $col["frames_total"]
        if (off < 0) off = -off
        if (off > most_off) most_off = off
    }
    for (c in col) if (c ~ /^(drop|k)_/) last[c] = $col[c]
    rx = $col["rx_packets"]; tx = $col["tx_packets"]; requests = $col["h3_requests"]
    handshakes = $col["h3_handshakes"]; gcs = $col["gc_count"]; pauses = $col["gc_pause_s"]; cpu = $col["cpu_s"]
    connections = $col["h3_connections"]
}

# the mean of values[steady[from..to]]
function mean(values, from, to,    i, sum) {
    for (i = from; i <= to; i++) sum += values[steady[i]]
    return sum / (to - from + 1)
}

# the highest of values[steady[from..to]]
function highest(values, from, to,    i, m) {
    m = values[steady[from]]
    for (i = from + 1; i <= to; i++) if (values[steady[i]] > m) m = values[steady[i]]
    return m
}

END {
    if (s < 8 || d < 1) {
        printf "- verdict: **FAIL**: too few samples (%d steady, %d idle, %d missed)\n", s, d, missed
        exit 1
    }
    q = int((s + 3) / 4)
    rss_first = mean(rss, 1, q); rss_last = mean(rss, s - q + 1, s); growth = rss_last - rss_first
    fd_first = highest(fds, 1, q); fd_last = highest(fds, s - q + 1, s); fd_idle = 0
    for (i = 1; i <= d; i++) if (fds[idles[i]] > fd_idle) fd_idle = fds[idles[i]]
    held_idle = held[idles[d]]

    rss_ok = growth <= rss_slack_mb
    fd_ok = fd_last <= fd_first + fd_slack && fd_idle <= fd_first + fd_slack
    frames_ok = held_idle == 0 && balanced[idles[d]] == 1
    traffic_ok = udp_echoed > 0 && h3_completed > 0
    exit_ok = exit_status == "0"
    fail = !rss_ok || !fd_ok || !frames_ok || !traffic_ok || !exit_ok

    printf "- verdict: **%s** (%d samples, every %d s: %d steady, %d idle; %d missed)\n", \
        fail ? "FAIL" : "pass", n, interval, s, d, missed
    printf "- RSS: %.1f MiB in the first quarter after warm-up, %.1f MiB in the last: %+.1f MiB, " \
        "tolerance %.1f MiB: %s\n", \
        rss_first, rss_last, growth, rss_slack_mb, rss_ok ? "flat" : "GREW"
    printf "- open fds: at most %d in the first quarter, %d in the last, %d at idle, slack %d: %s\n", \
        fd_first, fd_last, fd_idle, fd_slack, fd_ok ? "flat" : "GREW"
    printf "- receive frames at idle: %d held, %s: %s; %d of %d samples were read mid-batch " \
        "(off balance by at most %d frames)\n", held_idle, balanced[idles[d]] == 1 ? "balanced" : "NOT BALANCED", \
        frames_ok ? "all returned" : "NOT RETURNED", unbalanced, n, most_off
    printf "- heap after GC (reported, not judged): %.1f MiB in the first quarter, %.1f MiB in the last; " \
        "%d GC pauses, %.2f s in all\n", mean(heap, 1, q), mean(heap, s - q + 1, s), gcs, pauses
    printf "- threads: %d after warm-up, %d at idle; CPU time of the service: %.0f s\n", \
        threads[steady[1]], threads[idles[d]], cpu
    printf "- UDP echo: %d datagrams sent, %d echoed back (%.3f %%); the datapath received %d packets, sent %d\n", \
        udp_sent, udp_echoed, udp_sent ? 100 * udp_echoed / udp_sent : 0, rx, tx
    printf "- HTTP/3: %d requests served, %d handshakes; the generator: %d completed, %d failed, %d errors; " \
        "%d connections open at idle\n", requests, handshakes, h3_completed, h3_failed, h3_errors, connections
    drops = ""
    for (c in last) if (last[c] > 0) drops = drops " " c "=" last[c]
    printf "- drop and kernel counters above zero:%s\n", drops == "" ? " none" : drops
    printf "- exit status after SIGTERM: %s%s\n", exit_status, exit_ok ? "" : " (FAIL: expected 0)"
    if (!traffic_ok) print "- FAIL: the load did not reach the service (no UDP echo or no HTTP/3 response came back)"
    exit fail
}
