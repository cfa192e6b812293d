package io.quicxdp.datapath.internal.queue;

import java.nio.ByteBuffer;

/**
 * The payloads of datagrams to one peer, as {@link Transmitter#send(long, boolean, long, long, int, long, long, int,
 * Payloads, int, io.quicxdp.datapath.internal.linux.UdpGsoSocket)} sends them: copied into TX frames, or sent from
 * the TX frame they were written into.
 */
public interface Payloads {

    /** {@link #inPlace}: the payload is not in a lent TX frame; it is copied. */
    long NOT_LENT = -1;

    /**
     * {@link #inPlace}: the payload was written into a lent TX frame, but cannot be sent from there (another
     * socket lent it, or it lies elsewhere than in its frame); it is copied, and counted.
     */
    long COPY_FROM_FRAME = -2;

    /** How many datagrams. */
    int count();

    /** The payload length of datagram {@code index}. */
    int length(int index);

    /** Copies the payload of datagram {@code index} into {@code target}, from its position to its limit. */
    void copyTo(int index, ByteBuffer target);

    /**
     * Where the payload of datagram {@code index} starts in the UMEM of {@code sender}, when it was written in place
     * into a TX frame {@code sender} lent ({@link Transmitter#lend()}); else {@link #NOT_LENT} or
     * {@link #COPY_FROM_FRAME}.
     */
    long inPlace(int index, Transmitter sender);

    /** Datagram {@code index} went on the TX ring from its lent frame, which now belongs to the kernel. */
    void sentInPlace(int index);
}
