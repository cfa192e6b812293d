package io.quicxdp.datapath;

import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.internal.queue.Payloads;
import io.quicxdp.datapath.internal.queue.Transmitter;
import java.nio.ByteBuffer;

/**
 * Datagrams to one peer, sent together by {@link UdpEndpoint#send(UdpPeer, DatagramBatch, int)}: one lock, one
 * route check, one TX ring reservation and one publication for all of them, each still its own datagram on the
 * wire. The datapath copies each payload straight into its TX frame through {@link #copyTo}, so the batch may
 * keep its payloads wherever it likes (one buffer, several); reuse a batch and sending allocates nothing.
 *
 * <p>A payload that was written into a TX frame lent by {@link QueueDriver#lendTxFrame()} is not copied: when
 * {@link #lender} and {@link #inPlace} say where it is, and the frame belongs to the socket that sends to the
 * peer, its headers are written in front of it and the frame itself goes on the TX ring; {@link #sentInPlace} then
 * tells the batch that the frame is the kernel's. Otherwise it is copied, and counted
 * ({@link io.quicxdp.datapath.state.SocketState#txFrameCopies()}).
 *
 * <p>Called on the sending thread while the socket's TX lock is held: the methods must be quick and must not
 * send.
 */
public abstract class DatagramBatch {

    /** {@link #inPlace}'s answer for a payload that is not, or not whole, in a lent TX frame. */
    public static final long NOT_IN_PLACE = -1;

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

        @Override
        public long inPlace(int index, Transmitter sender) {
            QueueDriver lender = lender(index);
            if (lender == null) {
                return Payloads.NOT_LENT;
            }
            long at = DatagramBatch.this.inPlace(index);
            return at >= 0 && lender instanceof DrivenQueue queue && queue.queue.transmitter() == sender ? at
                    : Payloads.COPY_FROM_FRAME;
        }

        @Override
        public void sentInPlace(int index) {
            DatagramBatch.this.sentInPlace(index);
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

    /**
     * The queue that lent the TX frame the payload of datagram {@code index} was written into, or {@code null}
     * (the default) when it lies in ordinary memory.
     */
    public QueueDriver lender(int index) {
        return null;
    }

    /**
     * Where the payload of datagram {@code index} starts in its {@link #lender}'s
     * {@linkplain QueueDriver#txFrameMemory() TX frame memory}, when it lies there whole, in the frame that was lent
     * and still is; else {@link #NOT_IN_PLACE}, and it is copied.
     */
    public long inPlace(int index) {
        return NOT_IN_PLACE;
    }

    /**
     * Datagram {@code index} went on the TX ring from the frame it was written into: that frame is the kernel's
     * now, and comes back to the free TX frames once sent. Its buffer must no longer give it back, nor be read.
     */
    protected void sentInPlace(int index) {
    }
}
