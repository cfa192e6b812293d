package io.quicxdp.datapath;

import io.quicxdp.datapath.linux.Errno;
import io.quicxdp.datapath.linux.NativeIoException;
import io.quicxdp.datapath.linux.SocketPoller;
import io.quicxdp.datapath.packet.DropReason;
import io.quicxdp.datapath.packet.ParsedUdpFrame;
import io.quicxdp.datapath.packet.UdpFrameParser;
import io.quicxdp.datapath.packet.UdpFrameWriter;
import io.quicxdp.datapath.xsk.XdpSocket;
import io.quicxdp.datapath.xsk.XdpStatistics;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One interface queue: its AF_XDP socket, the thread that polls it, and the lock that serialises sends.
 *
 * <p>The poll thread receives a batch, parses each frame in place, hands it to the endpoint bound to
 * its destination, then gives the whole batch back to the fill ring. Replies sent from a handler only
 * mark a TX wake-up as pending; the poll thread makes that one system call after the batch. Sends from
 * other threads wake the kernel themselves, and only when need_wakeup asks for it.
 */
final class QueueWorker implements Runnable {

    private static final System.Logger LOG = System.getLogger(QueueWorker.class.getName());

    private static final long HANDLER_FAILURE_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(10);

    private final String interfaceName;

    private final int queueId;

    private final XdpSocket socket;

    private final long interfaceMac;

    private final int mtu;

    private final EndpointTable endpoints;

    private final DatapathSettings settings;

    private final SocketCounters counters = new SocketCounters();

    private final ReentrantLock txLock = new ReentrantLock();

    private final ByteBuffer frames;

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private final ReceivedDatagram datagram;

    private final SocketPoller poller;

    private volatile boolean running;

    private volatile boolean inMap;

    private Thread thread;

    private boolean kickPending;

    /** Guards the hand-over of closing the socket between {@link #close()} and the exiting poll thread. */
    private final Object lifecycle = new Object();

    private boolean closeRequested;

    private boolean exited;

    private long lastHandlerFailureLog;

    QueueWorker(String interfaceName, int queueId, XdpSocket socket, long interfaceMac, int mtu,
            EndpointTable endpoints, DatapathSettings settings) {
        this.interfaceName = interfaceName;
        this.queueId = queueId;
        this.socket = socket;
        this.interfaceMac = interfaceMac;
        this.mtu = mtu;
        this.endpoints = endpoints;
        this.settings = settings;
        this.frames = socket.frames();
        this.datagram = new ReceivedDatagram(this, frames);
        this.poller = new SocketPoller(socket.fd(), SocketPoller.POLLIN);
    }

    String interfaceName() {
        return interfaceName;
    }

    int queueId() {
        return queueId;
    }

    XdpSocket socket() {
        return socket;
    }

    void markInMap(boolean inMap) {
        this.inMap = inMap;
    }

    boolean inMap() {
        return inMap;
    }

    void start() {
        running = true;
        synchronized (lifecycle) {
            thread = new Thread(this, "quic-xdp-" + interfaceName + "-q" + queueId);
            thread.setDaemon(true);
            thread.start();
        }
    }

    @Override
    public void run() {
        try {
            poll();
        }
        finally {
            synchronized (lifecycle) {
                exited = true;
                if (closeRequested) {
                    closeSocket();
                }
            }
        }
    }

    private void poll() {
        int batch = settings.rxBatchSize();
        boolean busy = settings.pollMode() == PollMode.BUSY;
        int timeoutMillis = (int) Math.max(1, settings.pollTimeout().toMillis());
        while (running) {
            int received = socket.receive(batch);
            if (received == 0) {
                idle(busy, timeoutMillis);
                continue;
            }
            int start = socket.rxStart(received);
            // after a handler, the datapath may be closing and the rings swapped out: stop at once
            for (int i = 0; i < received && running; i++) {
                handle(socket.rxAddress(start + i), socket.rxLength(start + i));
            }
            socket.recycle(start, received);
            if (busy && socket.fillNeedsWakeup()) {
                socket.wakeReceive();
            }
            if (kickPending) {
                kickPending = false;
                kickTx();
            }
        }
    }

    private void handle(long address, int length) {
        counters.addRx(SocketCounters.RX_PACKETS, 1);
        counters.addRx(SocketCounters.RX_BYTES, length);
        DropReason reason = UdpFrameParser.parse(frames, (int) address, length, settings.udpChecksumPolicy(), parsed);
        if (reason != null) {
            counters.drop(reason);
            return;
        }
        if (parsed.partialChecksum()) {
            counters.addRx(SocketCounters.RX_PARTIAL_CHECKSUM, 1);
        }
        UdpEndpoint endpoint = endpoints.find(frames, parsed);
        if (endpoint == null) {
            counters.drop(DropReason.NO_ENDPOINT);
            return;
        }
        datagram.set(parsed, endpoint);
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
        if (lastHandlerFailureLog == 0 || now - lastHandlerFailureLog > HANDLER_FAILURE_LOG_INTERVAL) {
            lastHandlerFailureLog = now;
            LOG.log(Level.WARNING, "The handler of " + endpoint + " failed on " + interfaceName + " queue " + queueId
                    + "; the datagram is dropped (further failures are counted, logged at most every 10 s)",
                    failure);
        }
    }

    private void idle(boolean busy, int timeoutMillis) {
        if (socket.txInFlight() > 0 && txLock.tryLock()) {
            try {
                socket.reapCompletions();
                if (socket.txPending()) {
                    kickTx();
                }
            }
            finally {
                txLock.unlock();
            }
        }
        if (busy) {
            if (socket.fillNeedsWakeup()) {
                socket.wakeReceive();
            }
            Thread.onSpinWait();
        }
        else {
            int events = poller.await(timeoutMillis);
            if (events < 0 && events != -Errno.EINTR) {
                LOG.log(Level.ERROR, "poll on " + interfaceName + " queue " + queueId + " failed: "
                        + Errno.name(-events));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
            }
        }
    }

    /**
     * Builds the frame into a free TX frame and puts it on the TX ring.
     *
     * @return false on back-pressure
     */
    boolean send(long nextHopMac, boolean ipv6, long sourceHigh, long sourceLow, int sourcePort,
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
            int offset = (int) frame;
            int frameLength = ipv6
                    ? UdpFrameWriter.writeIpv6(frames, offset, nextHopMac, interfaceMac, sourceHigh, sourceLow,
                            destinationHigh, destinationLow, sourcePort, destinationPort, payload,
                            payload.position(), length)
                    : UdpFrameWriter.writeIpv4(frames, offset, nextHopMac, interfaceMac, (int) sourceLow,
                            (int) destinationLow, sourcePort, destinationPort, payload, payload.position(), length);
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
            else {
                kickTx();
            }
            return true;
        }
        finally {
            txLock.unlock();
        }
    }

    private void kickTx() {
        if (!socket.txNeedsWakeup()) {
            return;
        }
        int result = socket.kick();
        if (result < 0 && !Errno.isTxRetry(-result)) {
            LOG.log(Level.WARNING, "TX wake-up on " + interfaceName + " queue " + queueId + " failed: "
                    + Errno.name(-result));
        }
    }

    /** Tells the poll thread to stop; it does so after the frame it is handling. */
    void requestStop() {
        running = false;
    }

    /** Waits for the poll thread to stop, until {@code deadline} ({@link System#nanoTime()}). */
    void awaitStop(long deadline, Duration timeout) {
        Thread polling = thread;
        if (polling != null && polling != Thread.currentThread()) {
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

    /** Waits, up to {@code timeout}, for frames already on the TX ring to be sent. */
    void drainTx(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        txLock.lock();
        try {
            socket.reapCompletions();
            while (socket.txInFlight() > 0 && System.nanoTime() - deadline < 0) {
                kickTx();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                socket.reapCompletions();
            }
            if (socket.txInFlight() > 0) {
                LOG.log(Level.WARNING, socket.txInFlight() + " frames on " + interfaceName + " queue " + queueId
                        + " were not sent within " + timeout);
            }
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
            socket.close();
            inMap = false;
        }
        finally {
            txLock.unlock();
        }
    }

    SocketState state() {
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
                !socket.isClosed(), inMap, counters.rx(SocketCounters.RX_PACKETS),
                counters.rx(SocketCounters.RX_BYTES), counters.rx(SocketCounters.RX_PARTIAL_CHECKSUM),
                counters.tx(SocketCounters.TX_PACKETS),
                counters.tx(SocketCounters.TX_BYTES), counters.tx(SocketCounters.TX_BACK_PRESSURE),
                counters.dropsByReason(), kernel);
    }
}
