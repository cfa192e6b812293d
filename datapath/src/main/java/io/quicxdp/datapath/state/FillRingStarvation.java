package io.quicxdp.datapath.state;

import java.time.Duration;
import java.time.Instant;

/**
 * The latest stretch of time in which the kernel kept finding a socket's fill ring empty: its
 * {@link XdpStatistics#rxFillRingEmpty()} moving from one read of the socket's state to the next. Each packet
 * counted there arrived while no free frame was on the fill ring, and the kernel dropped it: the socket's
 * driving thread did not give frames back as fast as packets came (it is overloaded, or slowed, or the
 * application holds the frames).
 *
 * <p>Seen only through reads of the socket's state (the actuator's, the health check's, the meters'), so the
 * times are as fine as those reads are frequent: the stretch begins at the first read that saw the counter move,
 * lasts while reads keep seeing it move, and ends at a read that finds it still a second or more after the last
 * read that saw it move.
 *
 * @param ongoing whether the stretch has not ended: the latest read saw the counter move, or came less than a
 *     second after one that did
 * @param since the first read that saw the counter move in this stretch, or {@code null} when the kernel has
 *     never found the fill ring empty
 * @param lastSeen the latest read that saw it move, or {@code null} as {@code since}
 * @param packets packets the kernel found no free frame for from the read before {@code since} to
 *     {@code lastSeen}
 */
public record FillRingStarvation(boolean ongoing, Instant since, Instant lastSeen, long packets) {

    /** A socket whose fill ring the kernel has never found empty. */
    public static final FillRingStarvation NONE = new FillRingStarvation(false, null, null, 0);

    /** How long the stretch lasted as the reads saw it: from {@code since} to {@code lastSeen}; zero for NONE. */
    public Duration duration() {
        return (since == null) ? Duration.ZERO : Duration.between(since, lastSeen);
    }
}
