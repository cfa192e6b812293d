package io.quicxdp.datapath.internal.queue;

import java.nio.ByteBuffer;

/**
 * The payloads of datagrams to one peer, as {@link Transmitter#send(long, boolean, long, long, int, long, long, int,
 * Payloads, int, io.quicxdp.datapath.internal.linux.UdpGsoSocket)} copies them into TX frames.
 */
public interface Payloads {

    /** How many datagrams. */
    int count();

    /** The payload length of datagram {@code index}. */
    int length(int index);

    /** Copies the payload of datagram {@code index} into {@code target}, from its position to its limit. */
    void copyTo(int index, ByteBuffer target);
}
