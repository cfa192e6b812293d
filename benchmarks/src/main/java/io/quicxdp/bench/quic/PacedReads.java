package io.quicxdp.bench.quic;

/**
 * A token bucket for reading a download at a fixed byte rate: reads are allowed while the bucket holds
 * bytes, what a read brought is taken out, and the bucket refills with time up to a short burst. Over a
 * window the bytes read stay within the rate plus one burst and one read, whatever the sender does.
 * Owned by one thread.
 */
final class PacedReads {

    private final double bytesPerNano;

    private final long burstBytes;

    private double tokens;

    private long lastNanos;

    /**
     * @param bytesPerSecond the rate
     * @param burstNanos the most time whose refill the bucket keeps, and so the burst it allows
     * @param nowNanos now, on the clock later calls use
     */
    PacedReads(long bytesPerSecond, long burstNanos, long nowNanos) {
        if (bytesPerSecond <= 0 || burstNanos <= 0) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.burstBytes = Math.max(1, Math.round(bytesPerNano * burstNanos));
        this.lastNanos = nowNanos;
    }

    /** Refills for the time since the last call; whether a read may go now. */
    boolean mayRead(long nowNanos) {
        tokens = Math.min(burstBytes, tokens + (nowNanos - lastNanos) * bytesPerNano);
        lastNanos = nowNanos;
        return tokens > 0;
    }

    /** A read brought {@code bytes}: they are taken out, possibly below zero, which delays the next read. */
    void consumed(int bytes) {
        tokens -= bytes;
    }
}
