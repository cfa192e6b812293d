package io.quicxdp.datapath.driver;

import java.nio.ByteBuffer;

/**
 * One interface queue of a datapath opened without poll threads ({@code pollThreads(false)} in its settings),
 * driven by a thread the caller owns, such as an event loop: the datapath's {@code queues()}. This is the seam a
 * transport (the Netty one) builds on; it binds endpoints on one queue with the datapath's
 * {@code bind(address, handler, queue)}. Applications bind on every queue instead.
 *
 * <p>Threading: {@link #attach}, {@link #poll}, {@link #hasBacklog}, {@link #handKickToPoll}, {@link #retain}
 * and {@link #detach} on the driving thread only; {@link #release}, {@link #lendTxFrame} and {@link #returnTxFrame}
 * from any thread. After every turn that
 * received nothing, and whenever it leaves a turn's sends for later, the driving thread calls
 * {@link QueueWaiter#await} (with a zero timeout if it does not sleep): that is where the kernel is woken for
 * frames the turn left on the TX ring. Handlers of the endpoints bound on the queue run
 * on the driving thread, inside {@link #poll}.
 *
 * <p>Frames: the queue's receive frames live in its UMEM ({@link #frames()}). A handler may keep the frame
 * of the datagram it is handling beyond the call with {@link #retain()}, for example to hand the payload on
 * without copying; the frame then stays out of the fill ring until {@link #release} returns it, from any
 * thread. Frames retained when the datapath closes keep the UMEM mapped until the last one is released.
 *
 * <p>TX frames: a transport may borrow a free TX frame with {@link #lendTxFrame()}, have a payload written into it
 * (at {@link #txHeadroom()}), and send it from there in a {@code DatagramBatch} without a copy; a frame not sent
 * goes back with {@link #returnTxFrame}. Lent frames count as {@code held} in the socket's
 * {@code SocketState.transmitFrames}, and, like retained receive frames, keep the UMEM mapped after the datapath
 * closed until the last one is back.
 */
public interface QueueDriver {

    /** The interface this queue belongs to. */
    String interfaceName();

    /** The queue id, which is also the socket's key in the interface's XSKMAP. */
    int queueId();

    /** The AF_XDP socket's descriptor, to wait on with {@code poll(2)} for {@code POLLIN}. */
    int descriptor();

    /**
     * Makes the calling thread the queue's driving thread, before its first {@link #poll}.
     *
     * @param wakeup how the queue wakes the driving thread when it has work outside {@code POLLIN}: frames
     *     released from other threads, sends from other threads left on the TX ring, the datapath closing.
     *     It is called from any thread and must be cheap when the driving thread is awake.
     */
    void attach(Runnable wakeup);

    /**
     * One turn of the queue: takes back frames released from other threads, receives up to {@code budget}
     * frames and hands them to their endpoints' handlers, refills the fill ring, and keeps the TX ring moving.
     * After the datapath closed it lets go of the queue and returns 0.
     *
     * @return the frames received in this turn
     */
    int poll(int budget);

    /**
     * Whether work waits that {@code POLLIN} would not announce: frames for the fill ring or on the TX ring.
     * A driving thread that sleeps then comes back within about a millisecond.
     */
    boolean hasBacklog();

    /**
     * Called by {@link QueueWaiter} right before it waits: whether its {@code poll(2)} is to wake the kernel for
     * frames this queue left on the TX ring since the last wake-up (with need_wakeup, {@code poll(2)} on the
     * socket sends the TX ring in copy mode and wakes a zero-copy driver, as a {@code sendto(2)} would). A
     * wake-up that {@code poll(2)} cannot give is made here.
     */
    boolean handKickToPoll();

    /**
     * Keeps the frame of the datagram being handled: called from a handler of this queue, while it handles
     * the datagram. The datagram's payload stays valid until the frame is released.
     *
     * @return the frame's offset in {@link #frames()}, for {@link #release}
     * @throws IllegalStateException outside a handler of this queue
     */
    long retain();

    /** Returns a frame kept with {@link #retain()}; any thread, once per retain. */
    void release(long frame);

    /**
     * Lends a free TX frame of the socket that sends for this queue (its own, or a sibling's when the device gives
     * this queue no transmit queue), for a payload to be written into it from {@link #txHeadroom()} on. The frame
     * is held until a {@code DatagramBatch} sends the payload from it on the same socket, or {@link #returnTxFrame}
     * gives it back. Any thread: it takes the socket's TX lock, as a send does. A quarter of the TX frames is never
     * lent, so that sends of payloads that must be copied find frames whatever lent buffers are waiting.
     *
     * @return the frame's offset in {@link #txFrameMemory()}, or -1 when only that quarter is free (counted as
     *     {@code txLendRefused}) or the datapath is closing
     */
    long lendTxFrame();

    /** Gives back a frame {@link #lendTxFrame()} lent that was not sent, addressed by any offset inside it; any thread. */
    void returnTxFrame(long frame);

    /** The UMEM the frames {@link #lendTxFrame()} lends are in, big-endian. Shared: read through duplicates. */
    ByteBuffer txFrameMemory();

    /**
     * Where a payload goes in a lent frame: after the room its packet's headers (and TX metadata) need, for either
     * address family.
     */
    int txHeadroom();

    /** The queue's UMEM, big-endian; frames are addressed by their offset. Shared: read through duplicates. */
    ByteBuffer frames();

    /** The size of one UMEM frame in bytes. */
    int frameSize();

    /** The receive frames: those at offsets below {@code receiveFrames() * frameSize()}. */
    int receiveFrames();

    /**
     * Whether the queue was let go (the datapath closed, or {@link #detach}): its descriptor must no longer be
     * waited on, as its number may already belong to something else.
     */
    boolean isClosed();

    /**
     * Tells the queue that its driving thread stops for good: it lets go of the queue as {@link #poll} does
     * after close. The datapath, closed before or after, then frees the queue's memory.
     */
    void detach();
}
