package io.quicxdp.bench.quic;

import java.util.Locale;

/**
 * What happened inside the measured window: outcomes and body bytes count only while the window is open.
 * Owned by the event loop thread; {@link #close} hands the figures to another thread as a string.
 */
final class WindowStats {

    private final LatencyHistogram latencies = new LatencyHistogram();

    private boolean open;

    private long openedNanos;

    private long completed;

    private long failed;

    private long bytes;

    /** Starts counting from zero. */
    void open(long nowNanos) {
        latencies.reset();
        completed = 0;
        failed = 0;
        bytes = 0;
        openedNanos = nowNanos;
        open = true;
    }

    /**
     * Stops counting and returns the {@code result ...} line, with {@code rttNanos}, the connections' smoothed
     * round-trip time at the close (0 when unknown).
     */
    String close(long nowNanos, long rttNanos) {
        open = false;
        return result(completed, failed, bytes, nowNanos - openedNanos, latencies.valueAt(0.50),
                latencies.valueAt(0.99), rttNanos);
    }

    long completed() {
        return completed;
    }

    boolean isOpen() {
        return open;
    }

    void completed(long latencyNanos) {
        if (open) {
            completed++;
            latencies.record(latencyNanos);
        }
    }

    void failed() {
        if (open) {
            failed++;
        }
    }

    void bytes(int count) {
        if (open) {
            bytes += count;
        }
    }

    static String result(long completed, long failed, long bytes, long windowNanos, long p50Nanos,
            long p99Nanos, long rttNanos) {
        return String.format(Locale.ROOT,
                "result completed=%d failed=%d bytes=%d seconds=%.3f p50us=%d p99us=%d rttus=%d", completed, failed,
                bytes, windowNanos / 1e9, Math.round(p50Nanos / 1e3), Math.round(p99Nanos / 1e3),
                Math.round(rttNanos / 1e3));
    }
}
