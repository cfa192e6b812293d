package io.quicxdp.datapath.internal.queue;

import io.quicxdp.datapath.state.FillRingStarvation;
import java.time.Instant;

/**
 * Follows a socket's fill-ring-empty counter ({@code XDP_STATISTICS}) across reads of its state and makes the
 * latest stretch of starvation out of its movement. Reads come from any thread (actuator, health, meters), so
 * observing is synchronized; it is never on the receive path.
 */
final class StarvationWatch {

    /** A read that finds the counter still this long after the last read that saw it move ends the stretch. */
    static final long QUIET_NANOS = 1_000_000_000L;

    /** The counter at the latest read; 0 when the socket opened. */
    private long count;

    private boolean ongoing;

    /** The counter at the read before the stretch began, and at the latest read that saw it move. */
    private long countBefore;

    private long countLastMoved;

    private long lastMovedNanos;

    private Instant since;

    private Instant lastSeen;

    /**
     * Takes one read of the counter.
     *
     * @param fillRingEmpty the kernel's count of packets that found the fill ring empty
     * @param nowNanos {@link System#nanoTime()} at the read, for the stretch's end
     * @param now the wall-clock time of the read, for the report
     * @return the latest stretch, this read included
     */
    synchronized FillRingStarvation observe(long fillRingEmpty, long nowNanos, Instant now) {
        if (fillRingEmpty > count) {
            if (!ongoing) {
                ongoing = true;
                since = now;
                countBefore = count;
            }
            lastSeen = now;
            lastMovedNanos = nowNanos;
            countLastMoved = fillRingEmpty;
            count = fillRingEmpty;
        }
        else if (ongoing && nowNanos - lastMovedNanos >= QUIET_NANOS) {
            ongoing = false;
        }
        return latest();
    }

    /** The latest stretch as the reads so far saw it, for a socket whose counter cannot be read now. */
    synchronized FillRingStarvation latest() {
        return (since == null) ? FillRingStarvation.NONE
                : new FillRingStarvation(ongoing, since, lastSeen, countLastMoved - countBefore);
    }
}
