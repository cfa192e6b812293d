package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.EventFd;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.SocketPoller;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.packet.UdpFrameParser;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.state.XdpStatistics;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One interface queue: its AF_XDP socket, the thread that polls it, and the lock that serialises sends.
 *
 * <p>The poll thread receives a batch, parses each frame in place, hands it to the endpoint bound to
 * its destination, then gives the whole batch back to the fill ring; frames the fill ring cannot take at
 * once stay free and go onto it on the next turn. Replies sent from a handler only mark a TX wake-up as
 * pending; after the batch the poll thread kicks the kernel, again while the kernel's per-call budget runs
 * out with frames left (bounded per turn), and sleeps only briefly while frames still wait. Sends from
 * other threads kick the kernel themselves, only when need_wakeup asks for it, and wake the poll thread
 * when frames are left over.
 *
 * <p>A queue with no transmit queue of its own on the device (copy mode skips such a socket's TX ring
 * without a word) sends through a sibling's socket: {@link #send} goes to the {@link #transmitter}.
 *
 * <p>Without poll threads ({@link DatapathSettings#pollThreads()} false) the worker is a
 * {@link QueueDriver}: the driving thread calls {@link #poll(int)} for each turn and sleeps itself, and the
 * worker wakes it through the callback it attached.
 */
final class QueueWorker implements Runnable, QueueDriver {

    private static final System.Logger LOG = System.getLogger(QueueWorker.class.getName());

    private static final long FAILURE_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(10);

    /** Kicks per loop turn while the kernel's budget (32 frames a call in copy mode) runs out. */
    private static final int MAX_TX_KICKS = 16;

    /** How long an idle turn sleeps while frames wait on the TX ring or for the fill ring. */
    private static final int BACKLOG_SLEEP_MILLIS = 1;

    private final String interfaceName;

    private final int queueId;

    private final XdpSocket socket;

    private final long interfaceMac;

    private final int mtu;

    private final boolean canTransmit;

    private final EndpointTable endpoints;

    private final DatapathSettings settings;

    private final UdpChecksumPolicy checksumPolicy;

    private final SocketCounters counters = new SocketCounters();

    private final ReentrantLock txLock = new ReentrantLock();

    private final ByteBuffer frames;

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private final ReceivedDatagram datagram;

    private final EventFd wakeup;

    private final SocketPoller poller;

    /** Frames released from other threads, for the queue's own thread to give back. */
    private final FrameReturns returns;

    /** Frames kept by handlers ({@link #retain()}) and not yet released. */
    private final AtomicInteger retained = new AtomicInteger();

    /** The frame being handled, for {@link #retain()}; -1 outside a handler. */
    private long currentFrame = -1;

    private boolean currentRetained;

    /** How a driving thread is woken; {@code null} with the datapath's own poll thread. */
    private volatile Runnable externalWakeup;

    /** Set once the socket is closed while frames were still retained: the last release frees the UMEM. */
    private boolean umemKept;

    private XdpDatapath datapath;

    /** The worker whose socket sends for this queue: itself, or a sibling when this queue cannot transmit. */
    private QueueWorker transmitter = this;

    private volatile boolean running;

    private volatile boolean inMap;

    /** Set while the poll thread is in, or about to enter, poll(2). */
    private volatile boolean sleeping;

    private volatile boolean wakeRequested;

    private volatile Thread thread;

    private boolean kickPending;

    /** Guards the hand-over of closing the socket between {@link #close()} and the exiting poll thread. */
    private final Object lifecycle = new Object();

    private boolean closeRequested;

    private volatile boolean exited;

    private long lastHandlerFailureLog;

    private volatile long lastKickFailureLog;

    /**
     * @throws NativeIoException when the wake-up descriptor cannot be made; the socket stays the caller's
     */
    QueueWorker(String interfaceName, int queueId, XdpSocket socket, long interfaceMac, int mtu,
            boolean canTransmit, EndpointTable endpoints, DatapathSettings settings) throws NativeIoException {
        this.interfaceName = interfaceName;
        this.queueId = queueId;
        this.socket = socket;
        this.interfaceMac = interfaceMac;
        this.mtu = mtu;
        this.canTransmit = canTransmit;
        this.endpoints = endpoints;
        this.settings = settings;
        this.checksumPolicy = settings.udpChecksumPolicy();
        this.frames = socket.frames();
        this.datagram = new ReceivedDatagram(this, frames);
        this.wakeup = EventFd.open();
        this.poller = new SocketPoller(socket.fd(), SocketPoller.POLLIN, wakeup);
        this.returns = new FrameReturns(socket.parameters().rxFrames());
    }

    /** The datapath whose endpoint table {@link #bind} adds to; set once it is open. */
    void belongTo(XdpDatapath datapath) {
        this.datapath = datapath;
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public int queueId() {
        return queueId;
    }

    XdpSocket socket() {
        return socket;
    }

    /** Whether the device has a transmit queue for this queue id, so that this socket's sends leave. */
    boolean canTransmit() {
        return canTransmit;
    }

    /** Sends of this queue go through {@code sibling}'s socket; set before the worker starts. */
    void transmitVia(QueueWorker sibling) {
        this.transmitter = sibling;
    }

    void markInMap(boolean inMap) {
        this.inMap = inMap;
    }

    boolean inMap() {
        return inMap;
    }

    /**
     * Starts the poll thread, made by the settings' thread factory if there is one.
     *
     * @throws RuntimeException or {@link Error} when the thread cannot be made or started; the worker
     *     then closes as one that never started
     */
    void start() {
        running = true;
        synchronized (lifecycle) {
            try {
                Thread polling = newThread();
                polling.start();
                thread = polling;
            }
            catch (RuntimeException | Error ex) {
                running = false;
                throw ex;
            }
        }
    }

    private Thread newThread() {
        ThreadFactory factory = settings.pollThreadFactory();
        if (factory == null) {
            Thread polling = new Thread(this, "quic-xdp-" + interfaceName + "-q" + queueId);
            polling.setDaemon(true);
            return polling;
        }
        Thread polling = factory.newThread(this);
        if (polling == null) {
            throw new IllegalStateException("the poll thread factory made no thread");
        }
        return polling;
    }

    @Override
    public void run() {
        try {
            poll();
        }
        finally {
            exit();
        }
    }

    /** The polling thread leaves for good; if close came first, the socket is closed now. */
    private void exit() {
        synchronized (lifecycle) {
            if (!exited) {
                exited = true;
                for (long frame = returns.poll(); frame >= 0; frame = returns.poll()) {
                    retained.decrementAndGet();
                }
                if (closeRequested) {
                    closeSocket();
                }
            }
        }
    }

    @Override
    public int descriptor() {
        return socket.fd();
    }

    @Override
    public void attach(Runnable wakeup) {
        if (settings.pollThreads()) {
            throw new IllegalStateException(interfaceName + " queue " + queueId + " has its own poll thread");
        }
        synchronized (lifecycle) {
            if (thread != null) {
                throw new IllegalStateException(interfaceName + " queue " + queueId + " is driven by " + thread);
            }
            if (closeRequested) {
                throw new IllegalStateException("the datapath of " + interfaceName + " queue " + queueId + " is closed");
            }
            externalWakeup = Objects.requireNonNull(wakeup, "wakeup");
            thread = Thread.currentThread();
            running = true;
        }
    }

    @Override
    public int poll(int budget) {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("queue " + queueId + " of " + interfaceName + " is driven by " + thread);
        }
        if (!running) {
            exit();
            return 0;
        }
        return turn(Math.max(1, budget));
    }

    @Override
    public boolean hasBacklog() {
        // a link that is down (ENETDOWN) or gone (ENXIO: the socket was unbound) moves nothing for now
        return (txBacklog != 0 && txBacklog != Errno.ENETDOWN && txBacklog != Errno.ENXIO)
                || socket.freeReceiveFrames() > 0;
    }

    @Override
    public UdpEndpoint bind(InetSocketAddress local, DatagramHandler handler) {
        return datapath.bindOnQueue(local, handler, this);
    }

    @Override
    public long retain() {
        if (Thread.currentThread() != thread || currentFrame < 0) {
            throw new IllegalStateException("retain is for a handler of " + interfaceName + " queue " + queueId
                    + ", while it handles a datagram");
        }
        if (!currentRetained) {
            currentRetained = true;
            retained.incrementAndGet();
        }
        return currentFrame;
    }

    @Override
    public void release(long frame) {
        if (Thread.currentThread() == thread && !exited) {
            socket.giveBack(frame);
            retained.decrementAndGet();
            return;
        }
        returns.offer(frame);
        if (exited) {
            // nobody polls any more: count the frame back here, and free the UMEM after the last one
            synchronized (lifecycle) {
                for (long returned = returns.poll(); returned >= 0; returned = returns.poll()) {
                    if (retained.decrementAndGet() == 0 && umemKept) {
                        socket.close();
                        umemKept = false;
                    }
                }
            }
        }
        else {
            wake();
        }
    }

    @Override
    public ByteBuffer frames() {
        return frames;
    }

    @Override
    public int frameSize() {
        return socket.parameters().frameSize();
    }

    @Override
    public int receiveFrames() {
        return socket.parameters().rxFrames();
    }

    @Override
    public boolean isClosed() {
        return exited;
    }

    @Override
    public void detach() {
        if (Thread.currentThread() == thread) {
            running = false;
            exit();
        }
    }

    private void poll() {
        int batch = settings.rxBatchSize();
        boolean busy = settings.pollMode() == PollMode.BUSY;
        int timeoutMillis = (int) Math.max(1, settings.pollTimeout().toMillis());
        while (running) {
            int received = turn(batch);
            if (received == 0) {
                idle(busy, timeoutMillis);
            }
        }
    }

    /** The errno that held up the TX ring in the last turn, {@link Errno#EAGAIN} for more to do, or 0. */
    private int txBacklog;

    /** One turn: released frames back, a batch received and handled, the fill ring refilled, TX moved on. */
    private int turn(int batch) {
        for (long frame = returns.poll(); frame >= 0; frame = returns.poll()) {
            socket.giveBack(frame);
            retained.decrementAndGet();
        }
        int received = socket.receive(batch);
        if (received > 0) {
            int start = socket.rxStart(received);
            for (int i = 0; i < received; i++) {
                long frame = socket.rxAddress(start + i);
                // after a handler the datapath may be closing, its rings swapped out: handle no more
                if (running) {
                    handle(frame, socket.rxLength(start + i));
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
        boolean force = kickPending;
        kickPending = false;
        txBacklog = serviceTx(force);
        return received;
    }

    private void handle(long address, int length) {
        counters.addRx(SocketCounters.RX_PACKETS, 1);
        counters.addRx(SocketCounters.RX_BYTES, length);
        DropReason reason = UdpFrameParser.parse(frames, (int) address, length, checksumPolicy, parsed);
        if (reason != null) {
            counters.drop(reason);
            return;
        }
        if (parsed.partialChecksum()) {
            counters.addRx(SocketCounters.RX_PARTIAL_CHECKSUM, 1);
        }
        UdpEndpoint endpoint = endpoints.find(frames, parsed, this);
        if (endpoint == null) {
            counters.drop(DropReason.NO_ENDPOINT);
            return;
        }
        datagram.set(parsed, endpoint);
        currentFrame = address;
        try {
            endpoint.handler.onDatagram(datagram);
        }
        catch (Throwable failure) {
            counters.drop(DropReason.HANDLER_FAILED);
            logHandlerFailure(endpoint, failure);
        }
    }

    private void logHandlerFailure(UdpEndpoint endpoint, Throwable failure) {
        long now = System.nanoTime();
        if (lastHandlerFailureLog == 0 || now - lastHandlerFailureLog > FAILURE_LOG_INTERVAL) {
            lastHandlerFailureLog = now;
            LOG.log(Level.WARNING, "The handler of " + endpoint + " failed on " + interfaceName + " queue " + queueId
                    + "; the datagram is dropped (further failures are counted, logged at most every 10 s)",
                    failure);
        }
    }

    /**
     * Keeps the TX ring moving: kicks the kernel while need_wakeup asks for it and frames wait, up to
     * {@link #MAX_TX_KICKS} times, because copy mode sends at most a budget of frames per call.
     *
     * @param force kick even if the ring looks drained (a reply was queued this turn)
     * @return 0 when no frame waits on the TX ring; otherwise the errno that held it up, or
     *     {@link Errno#EAGAIN} when the kernel simply has more to do
     */
    private int serviceTx(boolean force) {
        if (!force && !socket.txPending()) {
            return 0;
        }
        for (int kicks = 0; kicks < MAX_TX_KICKS; kicks++) {
            if (!socket.txNeedsWakeup()) {
                // the driver is working through the ring on its own
                return socket.txPending() ? Errno.EAGAIN : 0;
            }
            int result = socket.kick();
            if (result < 0 && result != -Errno.EAGAIN) {
                logKickFailure(-result);
                return socket.txPending() ? -result : 0;
            }
            if (!socket.txPending()) {
                return 0;
            }
        }
        return Errno.EAGAIN;
    }

    private void logKickFailure(int errno) {
        if (Errno.isTxRetry(errno)) {
            return;
        }
        long now = System.nanoTime();
        long last = lastKickFailureLog;
        if (last == 0 || now - last > FAILURE_LOG_INTERVAL) {
            lastKickFailureLog = now;
            LOG.log(Level.WARNING, "TX wake-up on " + interfaceName + " queue " + queueId + " failed: "
                    + Errno.name(errno) + " (logged at most every 10 s)");
        }
    }

    private void idle(boolean busy, int timeoutMillis) {
        if (socket.txInFlight() > 0 && txLock.tryLock()) {
            try {
                socket.reapCompletions();
            }
            finally {
                txLock.unlock();
            }
        }
        if (busy) {
            Thread.onSpinWait();
            return;
        }
        // frames waiting on the TX ring, or for the fill ring, move again within a millisecond; a link
        // that is down (ENETDOWN) moves nothing until it is up, so that waits the full timeout
        boolean backlog = hasBacklog();
        sleeping = true;
        if (!wakeRequested) {
            int events = poller.await(backlog ? BACKLOG_SLEEP_MILLIS : timeoutMillis);
            if (events < 0 && events != -Errno.EINTR) {
                LOG.log(Level.ERROR, "poll on " + interfaceName + " queue " + queueId + " failed: "
                        + Errno.name(-events));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
            }
        }
        sleeping = false;
        wakeRequested = false;
    }

    /** Makes the poll thread take a turn now: from any thread, cheap when it is not sleeping. */
    void wake() {
        wakeRequested = true;
        Runnable external = externalWakeup;
        if (external != null) {
            external.run();
        }
        else if (sleeping) {
            wakeup.signal();
        }
    }

    /**
     * Builds the frame into a free TX frame and puts it on the TX ring of this queue's transmitter.
     *
     * @return false on back-pressure
     */
    boolean send(long nextHopMac, boolean ipv6, long sourceHigh, long sourceLow, int sourcePort,
            long destinationHigh, long destinationLow, int destinationPort, ByteBuffer payload) {
        return transmitter.transmit(nextHopMac, ipv6, sourceHigh, sourceLow, sourcePort, destinationHigh,
                destinationLow, destinationPort, payload);
    }

    private boolean transmit(long nextHopMac, boolean ipv6, long sourceHigh, long sourceLow, int sourcePort,
            long destinationHigh, long destinationLow, int destinationPort, ByteBuffer payload) {
        int length = payload.remaining();
        int headers = ipv6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH;
        int maxPayload = Math.min(socket.parameters().frameSize(), mtu + 14) - headers;
        if (length > maxPayload) {
            throw new IllegalArgumentException("a payload of " + length + " bytes does not fit one frame on "
                    + interfaceName + " (at most " + maxPayload + " bytes for " + (ipv6 ? "IPv6" : "IPv4") + ")");
        }
        txLock.lock();
        try {
            if (!running || socket.isClosed()) {
                throw new IllegalStateException("the socket of " + interfaceName + " queue " + queueId
                        + " is closing or closed");
            }
            long frame = socket.acquireTxFrame();
            if (frame < 0) {
                counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
                return false;
            }
            int frameLength;
            try {
                int offset = (int) frame;
                frameLength = ipv6
                        ? UdpFrameWriter.writeIpv6(frames, offset, nextHopMac, interfaceMac, sourceHigh, sourceLow,
                                destinationHigh, destinationLow, sourcePort, destinationPort, payload,
                                payload.position(), length)
                        : UdpFrameWriter.writeIpv4(frames, offset, nextHopMac, interfaceMac, (int) sourceLow,
                                (int) destinationLow, sourcePort, destinationPort, payload, payload.position(),
                                length);
            }
            catch (RuntimeException | Error ex) {
                socket.releaseTxFrame(frame);
                throw ex;
            }
            if (!socket.transmit(frame, frameLength)) {
                socket.releaseTxFrame(frame);
                counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
                return false;
            }
            counters.addTx(SocketCounters.TX_PACKETS, 1);
            counters.addTx(SocketCounters.TX_BYTES, frameLength);
            if (Thread.currentThread() == thread) {
                kickPending = true;
            }
            else if (serviceTx(true) != 0) {
                // what the kernel did not take now, the poll thread keeps moving
                wake();
            }
            return true;
        }
        finally {
            txLock.unlock();
        }
    }

    /** Tells the poll thread to stop, waking it if it sleeps; it stops after the frame it is handling. */
    void requestStop() {
        running = false;
        wake();
    }

    /** Waits for the poll thread to stop, until {@code deadline} ({@link System#nanoTime()}). */
    void awaitStop(long deadline, Duration timeout) {
        Thread polling = thread;
        // a driving thread is not ours to wait for: it lets go at its next poll, or at detach
        if (polling != null && polling != Thread.currentThread() && settings.pollThreads()) {
            try {
                polling.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            if (polling.isAlive()) {
                LOG.log(Level.WARNING, polling.getName() + " did not stop within " + timeout + " (a handler may be "
                        + "blocked); its socket leaves the map now, its memory is freed when the handler returns");
            }
        }
    }

    /**
     * One step of waiting for frames already on the TX ring to be sent: reaps completions and, while
     * frames are in flight, kicks the kernel once. The caller repeats it, for every queue together, until
     * each is drained or its time is up.
     *
     * @return the frames still in flight
     */
    int drainStep() {
        txLock.lock();
        try {
            socket.reapCompletions();
            if (socket.txInFlight() > 0 && socket.txNeedsWakeup()) {
                socket.kick();
            }
            return socket.txInFlight();
        }
        finally {
            txLock.unlock();
        }
    }

    /**
     * Closes the socket, which takes it out of the XSKMAP. While the poll thread is still running (close
     * was called from a handler, or a handler is blocked) nothing it touches may be unmapped: the socket
     * is released now, which empties its slot, and the thread frees the rest when it leaves its loop.
     */
    void close() {
        running = false;
        wake();
        synchronized (lifecycle) {
            closeRequested = true;
            if (thread == null || exited) {
                closeSocket();
            }
            else {
                releaseSocket();
            }
        }
    }

    private void releaseSocket() {
        txLock.lock();
        try {
            socket.release();
            inMap = false;
        }
        catch (NativeIoException ex) {
            LOG.log(Level.ERROR, "Could not let go of the socket of " + interfaceName + " queue " + queueId
                    + " while its poll thread runs; it leaves the map when the thread ends: " + ex.getMessage());
        }
        finally {
            txLock.unlock();
        }
    }

    private void closeSocket() {
        txLock.lock();
        try {
            if (retained.get() > 0) {
                // retained frames are still read through the UMEM: only the socket goes now
                socket.release();
                umemKept = true;
            }
            else {
                socket.close();
            }
            inMap = false;
        }
        catch (NativeIoException ex) {
            LOG.log(Level.ERROR, "Could not let go of the socket of " + interfaceName + " queue " + queueId
                    + " while " + retained.get() + " of its frames are retained: " + ex.getMessage());
        }
        finally {
            wakeup.close();
            txLock.unlock();
        }
    }

    /** The socket's state; {@code unbound} when its interface is gone, which unbinds it in the kernel. */
    SocketState state(boolean unbound) {
        XdpStatistics kernel = null;
        if (!socket.isClosed()) {
            try {
                kernel = socket.statistics();
            }
            catch (NativeIoException ex) {
                // closed meanwhile: the state says so through bound=false
            }
        }
        return new SocketState(interfaceName, queueId, socket.zeroCopy() ? "zero-copy" : "copy",
                !socket.isClosed() && !unbound, inMap, counters.rx(SocketCounters.RX_PACKETS),
                counters.rx(SocketCounters.RX_BYTES), counters.rx(SocketCounters.RX_PARTIAL_CHECKSUM),
                counters.tx(SocketCounters.TX_PACKETS),
                counters.tx(SocketCounters.TX_BYTES), counters.tx(SocketCounters.TX_BACK_PRESSURE),
                counters.dropsByReason(), socket.frameAccounting(), transmitter.queueId, kernel);
    }
}
