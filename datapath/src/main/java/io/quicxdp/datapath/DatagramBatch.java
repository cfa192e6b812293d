package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.queue.Payloads;
import java.nio.ByteBuffer;

/**
 * Datagrams to one peer, sent together by {@link UdpEndpoint#send(UdpPeer, DatagramBatch, int)}: one lock, one
 * route check, one TX ring reservation and one publication for all of them, each still its own datagram on the
 * wire. The datapath copies each payload straight into its TX frame through {@link #copyTo}, so the batch may
 * keep its payloads wherever it likes (one buffer, several); reuse a batch and sending allocates nothing.
 *
 * <p>Called on the sending thread while the socket's TX lock is held: the methods must be quick and must not
 * send.
 */
public abstract class DatagramBatch {

    /** The engine's view of this batch, made once. */
    final Payloads payloads = new Payloads() {

        @Override
        public int count() {
            return DatagramBatch.this.count();
        }

        @Override
        public int length(int index) {
            return DatagramBatch.this.length(index);
        }

        @Override
        public void copyTo(int index, ByteBuffer target) {
            DatagramBatch.this.copyTo(index, target);
        }
    };

    /** How many datagrams the batch holds. */
    public abstract int count();

    /** The payload length of datagram {@code index}, from 0 to {@link #count()} - 1. */
    public abstract int length(int index);

    /**
     * Copies the payload of datagram {@code index} into {@code target}, from its position to its limit: exactly
     * {@link #length(int) length(index)} bytes. {@code target} is a view of a TX frame, valid only during the call.
     */
    public abstract void copyTo(int index, ByteBuffer target);
}
