package io.quicxdp.datapath.internal.queue;

import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.packet.UdpFrameParser;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.FillRingStarvation;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.state.XdpStatistics;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One interface queue: its AF_XDP socket, the turn that receives a batch, and the frames its handlers keep.
 *
 * <p>A turn receives a batch, parses each frame in place and hands it to a {@link FrameSink}, then gives the
 * whole batch back to the fill ring; frames the fill ring cannot take at once stay free and go onto it on
 * the next turn. The queue does not care who drives it, a poll thread of the datapath or a transport's
 * event loop: that thread {@linkplain #attach attaches}, calls {@link #poll} for each turn and sleeps in
 * between as it likes, woken through the callback it attached.
 *
 * <p>Closing hands the socket over with the driving thread: while that thread is still inside a turn (close
 * was called from a handler, or a handler is blocked), nothing it touches may be unmapped, so the socket is
 * released, which empties its slot, and the thread frees the rest when it lets go.
 */
public final class Queue {

    private static final System.Logger LOG = System.getLogger(Queue.class.getName());

    private final String interfaceName;

    private final int queueId;

    private final XdpSocket socket;

    private final ByteBuffer frames;

    private final UdpChecksumPolicy checksumPolicy;

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private final SocketCounters counters = new SocketCounters();

    private final StarvationWatch starvation = new StarvationWatch();

    private final QueueThread driver = new QueueThread();

    /** This socket's own sending side: its TX ring, even when the device gives it nothing to send on. */
    private final Transmitter own;

    /** The transmitter that sends for this queue: its own, or a sibling's when this queue cannot transmit. */
    private final Transmitter transmitter;

    /** Frames released from other threads, for the driving thread to give back. */
    private final FrameReturns returns;

    /** Frames kept by handlers ({@link #retain()}) and not yet released. */
    private final AtomicInteger retained = new AtomicInteger();

    /** The frame being handled, for {@link #retain()}; -1 outside a handler. */
    private long currentFrame = -1;

    private boolean currentRetained;

    /** Set once the socket is closed while frames were still retained: the last release frees the UMEM. */
    private boolean umemKept;

    private volatile boolean inMap;

    /** Guards the hand-over of closing the socket between {@link #close()} and the driving thread. */
    private final Object lifecycle = new Object();

    private boolean closeRequested;

    private volatile boolean exited;

    /**
     * @param sendVia the transmitter of a sibling queue that sends for this one, or {@code null} when this
     *     queue's socket has a transmit queue of its own on the device
     */
    public Queue(String interfaceName, int queueId, XdpSocket socket, long interfaceMac, int mtu,
            UdpChecksumPolicy checksumPolicy, TxPath txPath, Transmitter sendVia) {
        this.interfaceName = interfaceName;
        this.queueId = queueId;
        this.socket = socket;
        this.frames = socket.frames();
        this.checksumPolicy = checksumPolicy;
        this.own = new Transmitter(interfaceName, queueId, socket, interfaceMac, mtu, counters, driver, txPath);
        this.transmitter = sendVia != null ? sendVia : own;
        this.returns = new FrameReturns(socket.parameters().rxFrames());
    }

    public String interfaceName() {
        return interfaceName;
    }

    public int queueId() {
        return queueId;
    }

    /** The socket, for its descriptor (to insert it into a map) and its state. */
    public XdpSocket socket() {
        return socket;
    }

    /** The transmitter that sends for this queue: its own, or a sibling's. */
    public Transmitter transmitter() {
        return transmitter;
    }

    public void markInMap(boolean inMap) {
        this.inMap = inMap;
    }

    public boolean inMap() {
        return inMap;
    }

    /**
     * Makes the calling thread the queue's driving thread, before its first {@link #poll}.
     *
     * @param wakeup how the queue wakes the driving thread; called from any thread
     * @throws IllegalStateException when another thread drives the queue, or it is closed
     */
    public void attach(Runnable wakeup) {
        Objects.requireNonNull(wakeup, "wakeup");
        synchronized (lifecycle) {
            Thread driving = driver.thread();
            if (driving != null) {
                throw new IllegalStateException(interfaceName + " queue " + queueId + " is driven by " + driving);
            }
            if (closeRequested) {
                throw new IllegalStateException("the datapath of " + interfaceName + " queue " + queueId + " is closed");
            }
            driver.attach(Thread.currentThread(), wakeup);
        }
    }

    /**
     * One turn, on the driving thread: takes back frames released from other threads, receives up to
     * {@code budget} frames and hands each that parses to {@code sink}, refills the fill ring, and keeps the TX
     * ring moving. After the queue was told to stop it lets go of the queue and returns 0.
     *
     * @return the frames received in this turn
     */
    public int poll(int budget, FrameSink sink) {
        if (!driver.isCurrent()) {
            throw new IllegalStateException("queue " + queueId + " of " + interfaceName + " is driven by "
                    + driver.thread());
        }
        if (!driver.running()) {
            exit();
            return 0;
        }
        for (long frame = returns.poll(); frame >= 0; frame = returns.poll()) {
            socket.giveBack(frame);
            retained.decrementAndGet();
        }
        int received = socket.receive(Math.max(1, budget));
        if (received > 0) {
            int start = socket.rxStart(received);
            for (int i = 0; i < received; i++) {
                long frame = socket.rxAddress(start + i);
                // after a handler the datapath may be closing, its rings swapped out: handle no more
                if (driver.running()) {
                    handle(sink, frame, socket.rxLength(start + i));
                }
                if (currentRetained) {
                    currentRetained = false;
                }
                else {
                    socket.giveBack(frame);
                }
            }
            currentFrame = -1;
            socket.releaseRxEntries();
        }
        if (socket.freeReceiveFrames() > 0) {
            socket.refill();
        }
        if (socket.fillNeedsWakeup()) {
            socket.wakeReceive();
        }
        own.afterTurn(received);
        return received;
    }

    private void handle(FrameSink sink, long address, int length) {
        counters.addRx(SocketCounters.RX_PACKETS, 1);
        counters.addRx(SocketCounters.RX_BYTES, length);
        DropReason reason = UdpFrameParser.parse(frames, (int) address, length, checksumPolicy, parsed);
        if (reason == null) {
            if (parsed.partialChecksum()) {
                counters.addRx(SocketCounters.RX_PARTIAL_CHECKSUM, 1);
            }
            currentFrame = address;
            reason = sink.onFrame(frames, parsed);
        }
        if (reason != null) {
            counters.drop(reason);
        }
    }

    /**
     * Whether work waits that {@code POLLIN} would not announce: frames for the fill ring, or on the TX ring
     * for a kernel that can move them. The driving thread only.
     */
    public boolean hasBacklog() {
        return own.hasBacklog() || socket.freeReceiveFrames() > 0;
    }

    /**
     * Right before the driving thread waits: whether its {@code poll(2)} is to wake the kernel for what this
     * queue's turns left on the TX ring.
     *
     * @see Transmitter#handKickToPoll()
     */
    public boolean handKickToPoll() {
        return own.handKickToPoll();
    }

    /**
     * Keeps the frame of the datagram being handled, from a handler on the driving thread.
     *
     * @return the frame's offset in {@link #frames()}, for {@link #release}
     * @throws IllegalStateException outside a handler of this queue
     */
    public long retain() {
        if (!driver.isCurrent() || currentFrame < 0) {
            throw new IllegalStateException("retain is for a handler of " + interfaceName + " queue " + queueId
                    + ", while it handles a datagram");
        }
        if (!currentRetained) {
            currentRetained = true;
            retained.incrementAndGet();
        }
        return currentFrame;
    }

    /** Returns a frame kept with {@link #retain()}; any thread, once per retain. */
    public void release(long frame) {
        if (driver.isCurrent() && !exited) {
            socket.giveBack(frame);
            retained.decrementAndGet();
            return;
        }
        returns.offer(frame);
        if (exited) {
            synchronized (lifecycle) {
                countBackReturns();
            }
        }
        else {
            driver.wake();
        }
    }

    /** The UMEM, big-endian; frames are addressed by their offset. */
    public ByteBuffer frames() {
        return frames;
    }

    /** Whether the queue was let go: the datapath closed, or its driving thread detached. */
    public boolean isClosed() {
        return exited;
    }

    /** The driving thread stops for good: it lets go of the queue as {@link #poll} does after close. */
    public void detach() {
        if (driver.isCurrent()) {
            driver.stop();
            exit();
        }
    }

    /** The driving thread leaves for good; if close came first, the socket is closed now. */
    private void exit() {
        synchronized (lifecycle) {
            if (!exited) {
                exited = true;
                countBackReturns();
                if (closeRequested) {
                    closeSocket();
                }
            }
        }
    }

    /**
     * Once nobody polls: counts the frames released since back, which the fill ring no longer needs, and frees
     * the UMEM after the last one that close left mapped (unless lent TX frames still keep it). Under the
     * lifecycle lock.
     */
    private void countBackReturns() {
        for (long frame = returns.poll(); frame >= 0; frame = returns.poll()) {
            if (retained.decrementAndGet() == 0 && umemKept) {
                umemKept = false;
                try {
                    own.closeSocket();
                }
                catch (NativeIoException ex) {
                    LOG.log(Level.ERROR, "Could not let go of the socket of " + interfaceName + " queue " + queueId
                            + " while TX frames are lent: " + ex.getMessage());
                }
            }
        }
    }

    /** Tells the driving thread to stop, waking it if it sleeps; it stops after the frame it is handling. */
    public void requestStop() {
        driver.stop();
    }

    /**
     * Steps towards sending what is on this socket's TX ring before close.
     *
     * @return the frames still in flight
     * @see Transmitter#drainStep()
     */
    public int drainStep() {
        return own.drainStep();
    }

    /**
     * Closes the socket, which takes it out of the XSKMAP. While a driving thread still runs, the socket is
     * released now and that thread frees the rest when it lets go.
     */
    public void close() {
        driver.stop();
        synchronized (lifecycle) {
            closeRequested = true;
            if (driver.thread() == null || exited) {
                closeSocket();
            }
            else {
                releaseSocket();
            }
        }
    }

    private void releaseSocket() {
        try {
            own.releaseSocket();
            inMap = false;
        }
        catch (NativeIoException ex) {
            LOG.log(Level.ERROR, "Could not let go of the socket of " + interfaceName + " queue " + queueId
                    + " while its driving thread runs; it leaves the map when the thread lets go: " + ex.getMessage());
        }
    }

    private void closeSocket() {
        try {
            if (retained.get() > 0) {
                // retained frames are still read through the UMEM: only the socket goes now
                own.releaseSocket();
                umemKept = true;
            }
            else {
                own.closeSocket();
            }
            inMap = false;
        }
        catch (NativeIoException ex) {
            LOG.log(Level.ERROR, "Could not let go of the socket of " + interfaceName + " queue " + queueId
                    + " while " + retained.get() + " of its frames are retained: " + ex.getMessage());
        }
    }

    /** The socket's state; {@code unbound} when its interface is gone, which unbinds it in the kernel. */
    public SocketState state(boolean unbound) {
        XdpStatistics kernel = null;
        if (!socket.isClosed()) {
            try {
                kernel = socket.statistics();
            }
            catch (NativeIoException ex) {
                // closed meanwhile: the state says so through bound=false
            }
        }
        FillRingStarvation starved = (kernel != null)
                ? starvation.observe(kernel.rxFillRingEmpty(), System.nanoTime(), Instant.now())
                : starvation.latest();
        return new SocketState(interfaceName, queueId, socket.zeroCopy() ? "zero-copy" : "copy",
                !socket.isClosed() && !unbound, inMap, counters.rx(SocketCounters.RX_PACKETS),
                counters.rx(SocketCounters.RX_BYTES), counters.rx(SocketCounters.RX_PARTIAL_CHECKSUM),
                counters.tx(SocketCounters.TX_PACKETS),
                counters.tx(SocketCounters.TX_BYTES), counters.tx(SocketCounters.TX_BACK_PRESSURE),
                transmitter.checksum(), transmitter.path(), counters.tx(SocketCounters.TX_KERNEL_PACKETS),
                counters.tx(SocketCounters.TX_KICKS), counters.tx(SocketCounters.TX_IN_PLACE),
                counters.tx(SocketCounters.TX_FRAME_COPIES), counters.tx(SocketCounters.TX_LEND_REFUSED),
                counters.dropsByReason(), socket.frameAccounting(), own.frameAccounting(), transmitter.queueId(),
                kernel, starved);
    }
}
