package io.quicxdp.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One measured window of one QUIC cell on one server: named figures, each per completed request (or handshake)
 * or, in the download cells, per MB of response body; {@link Double#NaN} where the server cannot tell
 * (ngtcp2 has no JIT nor allocation counter, only XDP servers kick, not every server exposes quiche's
 * statistics).
 *
 * @param figures the figures by name (the constants here)
 * @param failed requests that failed in the window
 */
record QuicSample(Map<String, Double> figures, long failed) {

    /** Completed requests (or handshakes) per second. */
    static final String RATE = "rate";

    /** Response body MB per second. */
    static final String MBPS = "mbps";

    /** The whole process's CPU, ns per unit. */
    static final String CPU = "cpu";

    /** The event loop thread's user and system CPU, ns per unit. */
    static final String LOOP_USER = "loopUser";

    static final String LOOP_SYSTEM = "loopSystem";

    /** The JIT compiler threads' CPU, ns per unit. */
    static final String JIT = "jit";

    /** The event loop thread's voluntary context switches (wake-ups) per unit. */
    static final String WAKEUPS = "wakeups";

    /** Datagrams that arrived at the server's interface per unit. */
    static final String RX_DATAGRAMS = "rxDatagrams";

    /** The datapath's kicks (TX wake-up system calls) per unit, and datagrams sent per kick. */
    static final String KICKS = "kicks";

    static final String PER_KICK = "perKick";

    /** QUIC packets the server declared lost, in % of those it sent. */
    static final String LOSS = "loss";

    /** Smoothed RTT, µs: the client's estimate, and the server's where it tells. */
    static final String RTT = "rtt";

    static final String SERVER_RTT = "serverRtt";

    /** Bytes allocated by the server's threads per unit. */
    static final String ALLOC = "alloc";

    /** The server's CPU over wall time (1 = one core), and the share of it in the kernel. */
    static final String BUSY = "busy";

    static final String SYSTEM = "system";

    /** The client's core: busy share of the window. */
    static final String CLIENT_BUSY = "clientBusy";

    /** Inter-processor interrupts received by the server loop's core and by the client's core, per unit. */
    static final String SERVER_IPIS = "serverIpis";

    static final String CLIENT_IPIS = "clientIpis";

    static final String P50 = "p50";

    static final String P99 = "p99";

    /** The figure, or NaN. */
    double get(String name) {
        return figures.getOrDefault(name, Double.NaN);
    }

    /**
     * Works out a window's figures.
     *
     * @param perMegabyte whether the unit is a MB of body (download cells) rather than a request
     * @param result the generator's {@code result} fields
     * @param cpu the server's CPU over the window
     * @param before the server's snapshot at the window's start (empty for a server without one)
     * @param after its snapshot at the end
     * @param rxDatagrams datagrams that arrived at the server's interface in the window
     * @param cores what the two cores did over the window
     */
    static QuicSample of(boolean perMegabyte, Map<String, String> result, ThreadCpu cpu, Map<String, Long> before,
            Map<String, Long> after, long rxDatagrams, Cores cores) {
        long completed = Long.parseLong(result.get("completed"));
        long bytes = Long.parseLong(result.get("bytes"));
        double seconds = Double.parseDouble(result.get("seconds"));
        double units = perMegabyte ? bytes / 1e6 : completed;
        Map<String, Double> f = new HashMap<>();
        f.put(RATE, completed / seconds);
        f.put(MBPS, bytes / seconds / 1e6);
        f.put(P50, Double.parseDouble(result.get("p50us")));
        f.put(P99, Double.parseDouble(result.get("p99us")));
        f.put(RTT, result.containsKey("rttus") && !result.get("rttus").equals("0")
                ? Double.parseDouble(result.get("rttus")) : Double.NaN);
        f.put(BUSY, cpu.process() / (seconds * 1e9));
        f.put(SYSTEM, cpu.process() == 0 ? Double.NaN : (double) cpu.processSystem() / cpu.process());
        f.put(CLIENT_BUSY, cores.clientBusy());
        f.put(SERVER_IPIS, per(cores.serverIpis(), units));
        f.put(CLIENT_IPIS, per(cores.clientIpis(), units));
        f.put(CPU, per(cpu.process(), units));
        f.put(LOOP_USER, per(cpu.loopUser(), units));
        f.put(LOOP_SYSTEM, per(cpu.loopSystem(), units));
        f.put(WAKEUPS, per(cpu.loopWakeups(), units));
        f.put(RX_DATAGRAMS, per(rxDatagrams, units));
        if (!after.isEmpty()) {
            f.put(JIT, per(cpu.jit(), units));
            f.put(ALLOC, per(delta(before, after, "alloc"), units));
        }
        long kicks = 0;
        boolean kicking = false;
        for (String name : after.keySet()) {
            if (name.startsWith("xdp.") && name.toLowerCase(Locale.ROOT).contains("kick")) {
                kicks += delta(before, after, name);
                kicking = true;
            }
        }
        if (kicking) {
            f.put(KICKS, per(kicks, units));
            f.put(PER_KICK, kicks == 0 ? Double.NaN : (double) delta(before, after, "xdp.txPackets") / kicks);
        }
        if (after.containsKey("quic.sent")) {
            long sent = delta(before, after, "quic.sent");
            f.put(LOSS, sent == 0 ? Double.NaN : 100.0 * delta(before, after, "quic.lost") / sent);
            long rtt = after.getOrDefault("quic.rttNanos", 0L);
            f.put(SERVER_RTT, rtt == 0 ? Double.NaN : rtt / 1e3);
        }
        return new QuicSample(f, Long.parseLong(result.get("failed")));
    }

    /**
     * The cores over one window.
     *
     * @param clientBusy the client core's busy share
     * @param serverIpis inter-processor interrupts the server loop's core received
     * @param clientIpis those the client's core received
     */
    record Cores(double clientBusy, long serverIpis, long clientIpis) {
    }

    private static double per(double amount, double units) {
        return units == 0 ? Double.NaN : amount / units;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.0f/s, %.1f MB/s, cpu %.0f ns/unit (loop %.0f user + %.0f system, "
                + "jit %.0f), %.1f wake-ups and %.1f datagrams in per unit, IPIs %.1f to the server's core and %.1f "
                + "to the client's per unit, busy %.2f, client core %.2f, "
                + "alloc %.0f B/unit, p50 %.0f us, p99 %.0f us, rtt %.0f us, loss %.2f %%%s", get(RATE), get(MBPS),
                get(CPU), get(LOOP_USER), get(LOOP_SYSTEM), get(JIT), get(WAKEUPS), get(RX_DATAGRAMS), get(SERVER_IPIS),
                get(CLIENT_IPIS), get(BUSY),
                get(CLIENT_BUSY), get(ALLOC), get(P50), get(P99), get(RTT), get(LOSS),
                failed == 0 ? "" : ", failed " + failed);
    }
}
