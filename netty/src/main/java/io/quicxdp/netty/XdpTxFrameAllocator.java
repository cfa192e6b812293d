package io.quicxdp.netty;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.ObjectUtil;

/**
 * A {@link ByteBufAllocator} whose direct buffers, allocated on an event loop of {@link XdpIoHandlerFactory}, are TX
 * frames of the loop's queue, with room in front for the packet's headers and TX metadata: a datagram written into
 * one and then to an {@link XdpDatagramChannel} on the same loop is sent from that frame, its headers written in
 * front of it, without a copy. Give it to the code that writes datagrams: for Netty's QUIC codec,
 * {@code ChannelOption.ALLOCATOR} on the QUIC channels ({@link XdpQuic#txFrameAllocator()}).
 *
 * <p>Ownership: a buffer holds its TX frame from its allocation until it is written or released.
 * <ul>
 * <li>Written to the XDP channel of its loop, whole (alone, or as one datagram of an
 * {@link XdpSegmentedDatagramPacket}), its frame goes on the TX ring and is the kernel's until sent; the release
 * that follows gives nothing back.</li>
 * <li>Released unwritten, on the loop, its frame goes back to the queue's free TX frames at once; on another thread
 * too, under the queue's TX lock as a send from that thread takes it.</li>
 * <li>Written elsewhere (another loop's or queue's channel, a channel whose queue sends through the kernel's UDP
 * socket, {@code quic.xdp.tx-path=kernel-gso}), written shared or split (not sent from the frame while its
 * reference count is above one, or its datagram not whole in it), it is copied as any buffer is, and counted in
 * {@code SocketState.txFrameCopies}; grown beyond its frame it moves to ordinary memory and gives the frame back.</li>
 * </ul>
 * Lent frames are {@code held} in {@code SocketState.transmitFrames} ({@code /actuator/xdp}). A buffer held for long
 * holds its frame as long, which the queue's sends then go without; one never released loses its frame for good.
 * Frames still held when the datapath closes keep its UMEM mapped until they are released.
 *
 * <p>Everything else comes from the fallback allocator ({@link ByteBufAllocator#DEFAULT} for {@link #DEFAULT}):
 * heap buffers, direct buffers asked for on other threads or larger than a frame holds, and direct buffers while
 * three quarters of the queue's TX frames are lent or in flight (counted in {@code SocketState.txLendRefused}): the
 * last quarter is kept for the datagrams that are copied, which may wait in a channel ahead of lent buffers and must
 * find frames once the kernel sent what it has.
 */
public final class XdpTxFrameAllocator extends AbstractByteBufAllocator {

    /** The allocator over TX frames, falling back to {@link ByteBufAllocator#DEFAULT}. */
    public static final XdpTxFrameAllocator DEFAULT = new XdpTxFrameAllocator(ByteBufAllocator.DEFAULT);

    private final ByteBufAllocator fallback;

    /** An allocator over TX frames that takes from {@code fallback} what it cannot lend a frame for. */
    public XdpTxFrameAllocator(ByteBufAllocator fallback) {
        this.fallback = ObjectUtil.checkNotNull(fallback, "fallback");
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        TxFrames frames = TxFrames.current();
        TxFrameBuf buffer = frames == null ? null : frames.lend(initialCapacity, maxCapacity);
        return buffer == null ? fallback.directBuffer(initialCapacity, maxCapacity) : toLeakAwareBuffer(buffer);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return fallback.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    @Override
    public String toString() {
        return "XdpTxFrameAllocator(fallback: " + fallback + ")";
    }
}
