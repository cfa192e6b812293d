package io.quicxdp.datapath.internal.queue;

import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.UdpGsoSocket;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.internal.packet.UdpHeader;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.state.TxFrameAccounting;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending side of one queue's socket: it builds frames into free TX frames, puts them on the TX ring
 * under a lock that serialises the senders, kicks the kernel, and takes back completed frames.
 *
 * <p>Frames queued on the queue's driving thread only mark a kick as pending. When the driving thread is about
 * to wait (nothing more on the RX ring) and need_wakeup is on, the kick is left to the {@code poll(2)} it waits
 * in, which sends the TX ring in copy mode and wakes a zero-copy driver just as a kick does: one system call
 * fewer per wake-up ({@link #handKickToPoll()}). Otherwise it kicks after its turn ({@link #afterTurn}), again
 * while the kernel's per-call budget runs out with frames left (bounded per turn); the budget is the whole TX
 * ring where the kernel lets it be raised. Sends from other threads kick the kernel themselves, only when
 * need_wakeup asks for it, and wake the driving thread when frames are left over. Completed frames are taken
 * back every turn, so that sends reuse the frames that left last, still in the cache.
 *
 * <p>A queue with no transmit queue of its own on the device (copy mode skips such a socket's TX ring without
 * a word) sends through a sibling's transmitter: {@link Queue#transmitter()} says which.
 */
public final class Transmitter {

    private static final System.Logger LOG = System.getLogger(Transmitter.class.getName());

    private static final long FAILURE_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(10);

    /** Kicks per turn while the kernel's budget (32 frames a call in copy mode, unless raised) runs out. */
    private static final int MAX_TX_KICKS = 16;

    private static final int ETHERNET_HEADER = 14;

    /** {@code xsk_tx_metadata.flags}: the kernel or the device computes the checksum from csum_start on. */
    private static final long XDP_TXMD_FLAGS_CHECKSUM = 1 << 1;

    private final String interfaceName;

    private final int queueId;

    private final XdpSocket socket;

    private final ByteBuffer frames;

    private final long interfaceMac;

    private final int mtu;

    private final SocketCounters counters;

    private final QueueThread driver;

    private final ReentrantLock lock = new ReentrantLock();

    /** Where a batch's payloads are copied: a view of the UMEM, used under the lock. */
    private final ByteBuffer payloadView;

    /** The UMEM in host byte order, for the TX metadata the kernel reads. */
    private final ByteBuffer metadata;

    /** Where each TX packet starts in its frame, after room for TX metadata. */
    private final int txOffset;

    /** Whether the kernel finishes the UDP checksums: the datapath writes only the pseudo-header sum. */
    private final boolean checksumOffload;

    /** Whether batches of datagrams go through the kernel's UDP socket ({@code UDP_SEGMENT}) rather than the ring. */
    private final boolean kernelBatches;

    /** Where a batch's payloads are gathered for the kernel's UDP socket; made on the first such batch. */
    private ByteBuffer gather;

    /** TX frames {@link #lend()} leaves free: a quarter, at least one. */
    private final int lendReserve;

    /** Set once the queue closed while frames were lent: the last one given back frees the UMEM. */
    private boolean closeWhenReturned;

    /** Whether a wake-up may be left to the driving thread's {@code poll(2)}: need_wakeup is on. */
    private final boolean pollKicks;

    /** A frame was queued on the driving thread since the last kick. */
    private boolean kickPending;

    /** The kick of an earlier turn was left to the driving thread's {@code poll(2)}, which has not come yet. */
    private boolean kickDeferred;

    /** The errno that held up the TX ring in the last turn, {@link Errno#EAGAIN} for more to do, or 0. */
    private int backlog;

    private volatile long lastKickFailureLog;

    Transmitter(String interfaceName, int queueId, XdpSocket socket, long interfaceMac, int mtu,
            SocketCounters counters, QueueThread driver, TxPath txPath) {
        this.interfaceName = interfaceName;
        this.queueId = queueId;
        this.socket = socket;
        this.frames = socket.frames();
        this.payloadView = frames.duplicate();
        this.metadata = frames.duplicate().order(ByteOrder.nativeOrder());
        this.txOffset = socket.txOffset();
        this.checksumOffload = socket.txChecksumOffload();
        this.kernelBatches = txPath == TxPath.KERNEL_GSO || (txPath == TxPath.AUTO && !socket.zeroCopy());
        this.interfaceMac = interfaceMac;
        this.mtu = mtu;
        this.counters = counters;
        this.driver = driver;
        this.pollKicks = socket.parameters().needWakeup();
        this.lendReserve = Math.max(1, socket.parameters().txFrames() / 4);
    }

    /** The interface of the socket that sends. */
    public String interfaceName() {
        return interfaceName;
    }

    /** Who computes sent UDP checksums: {@code offload} (the kernel or the device) or {@code software}. */
    public String checksum() {
        return checksumOffload ? "offload" : "software";
    }

    /** How batches leave: {@code xdp} (the TX ring) or {@code kernel-gso} (a kernel UDP socket's GSO writes). */
    public String path() {
        return kernelBatches ? "kernel-gso" : "xdp";
    }

    /** The queue id of the socket that sends. */
    public int queueId() {
        return queueId;
    }

    /**
     * Builds the frame into a free TX frame and puts it on the TX ring; any thread.
     *
     * @return false on back-pressure: every TX frame is in flight, or the TX ring is full
     * @throws IllegalArgumentException when the payload does not fit one frame or the MTU
     * @throws IllegalStateException when the queue is closing or closed
     */
    public boolean send(long nextHopMac, boolean ipv6, long sourceHigh, long sourceLow, int sourcePort,
            long destinationHigh, long destinationLow, int destinationPort, ByteBuffer payload) {
        int length = payload.remaining();
        checkFits(length, ipv6);
        int headers = ipv6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH;
        lock.lock();
        try {
            checkOpen();
            long frame = socket.acquireTxFrame();
            if (frame < 0) {
                counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
                return false;
            }
            int frameLength;
            try {
                frames.put((int) frame + txOffset + headers, payload, payload.position(), length);
                frameLength = writeHeaders(frame + txOffset, ipv6, nextHopMac, sourceHigh, sourceLow, sourcePort,
                        destinationHigh, destinationLow, destinationPort, length);
            }
            catch (RuntimeException | Error ex) {
                socket.releaseTxFrame(frame);
                throw ex;
            }
            if (!socket.transmit(frame + txOffset, frameLength)) {
                socket.releaseTxFrame(frame);
                counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
                return false;
            }
            submitted(1, frameLength);
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Sends the datagrams of {@code payloads} from index {@code from} on, all to one peer, under one lock, one TX
     * ring reservation and one publication; any thread. A payload written in place into a TX frame this transmitter
     * lent goes from there, its headers written in front of it; any other is copied straight into a free TX frame.
     *
     * @return how many went on the TX ring, from {@code from} on: fewer than the rest on back-pressure, when the
     *     TX frames or the TX ring run short
     * @throws IllegalArgumentException when a payload does not fit one frame or the MTU; nothing is sent then
     * @throws IllegalStateException when the queue is closing or closed
     */
    public int send(long nextHopMac, boolean ipv6, long sourceHigh, long sourceLow, int sourcePort,
            long destinationHigh, long destinationLow, int destinationPort, Payloads payloads, int from,
            UdpGsoSocket kernelSocket) {
        int count = payloads.count() - from;
        for (int i = from; i < payloads.count(); i++) {
            checkFits(payloads.length(i), ipv6);
        }
        if (count <= 0) {
            return 0;
        }
        if (kernelBatches && kernelSocket != null && count > 1 && evenlySegmented(payloads, from)) {
            return sendThroughKernel(ipv6, sourceHigh, sourceLow, destinationHigh, destinationLow, destinationPort,
                    payloads, from, kernelSocket);
        }
        int headers = ipv6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH;
        lock.lock();
        try {
            checkOpen();
            int reserved = socket.reserveTx(count);
            int written = 0;
            int inPlace = 0;
            int copiedFromFrames = 0;
            long bytes = 0;
            try {
                for (; written < reserved; written++) {
                    int index = from + written;
                    int length = payloads.length(index);
                    long payloadAt = payloads.inPlace(index, this);
                    long packet;
                    if (payloadAt >= 0 && fitsInPlace(payloadAt, headers, length)) {
                        packet = payloadAt - headers;
                        writeHeaders(packet, ipv6, nextHopMac, sourceHigh, sourceLow, sourcePort, destinationHigh,
                                destinationLow, destinationPort, length);
                        socket.setTxDescriptor(written, packet, headers + length);
                        socket.lentTxFrameSent();
                        payloads.sentInPlace(index);
                        inPlace++;
                    }
                    else {
                        long frame = socket.acquireTxFrame();
                        if (frame < 0) {
                            break;
                        }
                        if (payloadAt != Payloads.NOT_LENT) {
                            copiedFromFrames++;
                        }
                        packet = frame + txOffset;
                        try {
                            payloadView.limit((int) packet + headers + length).position((int) packet + headers);
                            payloads.copyTo(index, payloadView);
                            writeHeaders(packet, ipv6, nextHopMac, sourceHigh, sourceLow, sourcePort,
                                    destinationHigh, destinationLow, destinationPort, length);
                        }
                        catch (RuntimeException | Error ex) {
                            socket.releaseTxFrame(frame);
                            throw ex;
                        }
                        socket.setTxDescriptor(written, packet, headers + length);
                    }
                    bytes += headers + length;
                }
            }
            finally {
                // what was written goes out even when a copy failed half-way
                if (written < reserved) {
                    socket.cancelTx(reserved - written);
                }
                if (written > 0) {
                    socket.submitTx();
                    submitted(written, bytes);
                    counters.addTx(SocketCounters.TX_IN_PLACE, inPlace);
                    counters.addTx(SocketCounters.TX_FRAME_COPIES, copiedFromFrames);
                }
            }
            if (written < count) {
                counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
            }
            return written;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Whether a payload at {@code payloadAt} leaves room in its frame before it for the headers (and the TX
     * metadata), and ends in the frame.
     */
    private boolean fitsInPlace(long payloadAt, int headers, int length) {
        int frameSize = socket.parameters().frameSize();
        long inFrame = payloadAt & (frameSize - 1);
        return inFrame >= txOffset + headers && inFrame + length <= frameSize;
    }

    /**
     * Lends a free TX frame for a payload to be written into it, at {@link #lentPayloadOffset()}, and sent from
     * there: the frame is held until a {@link #send} takes it from a batch, or {@link #returnLent} gives it back;
     * any thread. A quarter of the TX frames is never lent: buffers can wait in a channel behind a write that needs
     * free frames for its copies, and those must come back once the kernel sent what it has.
     *
     * @return the frame's offset in {@link #frames()}, or -1 when no TX frame may be lent now (counted) or the queue
     *     is closing
     */
    public long lend() {
        lock.lock();
        try {
            if (!driver.running() || socket.isClosed()) {
                return -1;
            }
            if (socket.txFree() <= lendReserve) {
                socket.reapCompletions();
                if (socket.txFree() <= lendReserve) {
                    counters.addTx(SocketCounters.TX_LEND_REFUSED, 1);
                    return -1;
                }
            }
            return socket.lendTxFrame();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Gives back a frame {@link #lend()} lent that was not sent, addressed by any offset inside it; any thread. After
     * the queue closed, the last one back frees the UMEM.
     */
    public void returnLent(long frame) {
        lock.lock();
        try {
            socket.returnLentTxFrame(frame);
            if (closeWhenReturned && socket.txLent() == 0) {
                socket.close();
            }
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Where the payload goes in a lent frame: after room for the TX metadata and the largest headers (IPv6's), so
     * that a datagram of either family can be sent from it.
     */
    public int lentPayloadOffset() {
        return txOffset + UdpFrameWriter.IPV6_HEADERS_LENGTH;
    }

    /** The UMEM of the socket that sends, where the frames {@link #lend()} lends are; big-endian. */
    public ByteBuffer frames() {
        return frames;
    }

    /** Where the socket's TX frames are, from any thread: a snapshot under the lock, so it always balances. */
    public TxFrameAccounting frameAccounting() {
        lock.lock();
        try {
            return new TxFrameAccounting(socket.parameters().txFrames(), socket.txInFlight(), socket.txLent(),
                    socket.txFree());
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Writes the headers of the packet at {@code packetAt}, in front of its payload in place, and, with checksum
     * offload, the TX metadata before it asking the kernel to finish the UDP checksum.
     *
     * @return the packet's length
     */
    private int writeHeaders(long packetAt, boolean ipv6, long nextHopMac, long sourceHigh, long sourceLow,
            int sourcePort, long destinationHigh, long destinationLow, int destinationPort, int length) {
        int packet = (int) packetAt;
        int headers;
        if (ipv6) {
            UdpFrameWriter.writeIpv6Headers(frames, packet, nextHopMac, interfaceMac, sourceHigh, sourceLow,
                    destinationHigh, destinationLow, sourcePort, destinationPort, length, checksumOffload);
            headers = UdpFrameWriter.IPV6_HEADERS_LENGTH;
        }
        else {
            UdpFrameWriter.writeIpv4Headers(frames, packet, nextHopMac, interfaceMac, (int) sourceLow,
                    (int) destinationLow, sourcePort, destinationPort, length, checksumOffload);
            headers = UdpFrameWriter.IPV4_HEADERS_LENGTH;
        }
        if (checksumOffload) {
            // struct xsk_tx_metadata, in host byte order, right before the packet
            int meta = packet - XdpSocket.TX_METADATA_LENGTH;
            metadata.putLong(meta, XDP_TXMD_FLAGS_CHECKSUM);
            metadata.putShort(meta + 8, (short) (headers - UdpHeader.LENGTH));
            metadata.putShort(meta + 10, (short) UdpHeader.CHECKSUM_OFFSET);
        }
        return headers + length;
    }

    /** Whether every payload but the last has the first one's length, and the last is no longer: a GSO batch. */
    private static boolean evenlySegmented(Payloads payloads, int from) {
        int size = payloads.length(from);
        int last = payloads.count() - 1;
        for (int i = from + 1; i < last; i++) {
            if (payloads.length(i) != size) {
                return false;
            }
        }
        return payloads.length(last) <= size;
    }

    /**
     * Sends a batch through the kernel's UDP socket, as few {@code UDP_SEGMENT} writes as its limits allow; what
     * is already on the TX ring is sent first, so that a peer gets its datagrams in the order they were sent.
     *
     * @return how many were sent: fewer on back-pressure (the socket's buffer is full)
     * @throws IllegalStateException when the kernel refuses the send for another reason (no route, ...)
     */
    private int sendThroughKernel(boolean ipv6, long sourceHigh, long sourceLow, long destinationHigh,
            long destinationLow, int destinationPort, Payloads payloads, int from, UdpGsoSocket kernelSocket) {
        int count = payloads.count() - from;
        int segmentSize = payloads.length(from);
        int perSend = Math.min(UdpGsoSocket.MAX_SEGMENTS, UdpGsoSocket.MAX_BYTES / segmentSize);
        int headers = ipv6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH;
        lock.lock();
        try {
            checkOpen();
            if (socket.txPending()) {
                serviceTx(true);
            }
            if (gather == null) {
                gather = DirectBuffers.allocate(UdpGsoSocket.MAX_BYTES);
            }
            long address = DirectBuffers.address(gather);
            int sent = 0;
            while (sent < count) {
                int segments = Math.min(perSend, count - sent);
                int length = 0;
                int copiedFromFrames = 0;
                for (int i = 0; i < segments; i++) {
                    int index = from + sent + i;
                    int size = payloads.length(index);
                    gather.limit(length + size).position(length);
                    payloads.copyTo(index, gather);
                    length += size;
                    if (payloads.inPlace(index, this) != Payloads.NOT_LENT) {
                        copiedFromFrames++;
                    }
                }
                int result = kernelSocket.send(ipv6, destinationHigh, destinationLow, destinationPort, sourceHigh,
                        sourceLow, address, length, segmentSize);
                if (result < 0) {
                    if (Errno.isTxRetry(-result)) {
                        counters.addTx(SocketCounters.TX_BACK_PRESSURE, 1);
                        break;
                    }
                    throw new IllegalStateException("sendmsg(UDP_SEGMENT) on " + interfaceName + " failed: "
                            + Errno.name(-result));
                }
                sent += segments;
                counters.addTx(SocketCounters.TX_PACKETS, segments);
                counters.addTx(SocketCounters.TX_KERNEL_PACKETS, segments);
                counters.addTx(SocketCounters.TX_FRAME_COPIES, copiedFromFrames);
                counters.addTx(SocketCounters.TX_BYTES, length + (long) segments * headers);
            }
            return sent;
        }
        finally {
            lock.unlock();
        }
    }

    private void checkFits(int length, boolean ipv6) {
        int headers = ipv6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH;
        int maxPayload = Math.min(socket.parameters().frameSize() - txOffset, mtu + ETHERNET_HEADER) - headers;
        if (length > maxPayload) {
            throw new IllegalArgumentException("a payload of " + length + " bytes does not fit one frame on "
                    + interfaceName + " (at most " + maxPayload + " bytes for " + (ipv6 ? "IPv6" : "IPv4") + ")");
        }
    }

    /** Under the lock. */
    private void checkOpen() {
        if (!driver.running() || socket.isClosed()) {
            throw new IllegalStateException("the socket of " + interfaceName + " queue " + queueId
                    + " is closing or closed");
        }
    }

    /** Counts frames just published and sees that the kernel is woken for them; under the lock. */
    private void submitted(int count, long bytes) {
        counters.addTx(SocketCounters.TX_PACKETS, count);
        counters.addTx(SocketCounters.TX_BYTES, bytes);
        if (driver.isCurrent()) {
            kickPending = true;
        }
        else if (serviceTx(true) != 0) {
            // what the kernel did not take now, the driving thread keeps moving
            driver.wake();
        }
    }

    /**
     * Keeps the TX ring moving at the end of a turn that received {@code received} frames, and takes back
     * completed frames; the driving thread only. A kick for this turn's frames waits for the thread's
     * {@code poll(2)} when nothing more is on the RX ring; one left waiting by an earlier turn is made now if
     * this turn received, since the thread then goes on without waiting.
     */
    void afterTurn(int received) {
        boolean owed = kickPending || kickDeferred;
        boolean deferredBefore = kickDeferred;
        kickPending = false;
        kickDeferred = false;
        if (owed && (received == 0 || !deferredBefore) && kickLeftToPoll() && !socket.rxWaiting()) {
            kickDeferred = true;
            backlog = 0;
        }
        else {
            backlog = serviceTx(owed);
        }
        reap();
    }

    /**
     * Called by the driving thread right before it waits: whether its {@code poll(2)} is to wake the kernel for
     * frames queued since the last kick (counted as a kick), which a thread that does not sleep must then still
     * make, with a zero timeout. A kick that {@code poll(2)} cannot make is made here.
     */
    boolean handKickToPoll() {
        boolean owed = kickPending || kickDeferred;
        kickPending = false;
        kickDeferred = false;
        if (!owed) {
            return false;
        }
        if (kickLeftToPoll()) {
            counters.addKick();
            backlog = 0;
            return true;
        }
        backlog = serviceTx(true);
        return false;
    }

    /** Whether a {@code poll(2)} now would do the kick: the kernel asks for one, and one call sends what waits. */
    private boolean kickLeftToPoll() {
        return pollKicks && socket.txNeedsWakeup() && socket.txOutstanding() <= socket.txBudget();
    }

    /** Whether frames wait on the TX ring for a kernel that can move them; the driving thread only. */
    boolean hasBacklog() {
        // a link that is down (ENETDOWN) or gone (ENXIO: the socket was unbound) moves nothing for now
        return backlog != 0 && backlog != Errno.ENETDOWN && backlog != Errno.ENXIO;
    }

    /** Takes back completed frames, unless a sender holds the lock. */
    private void reap() {
        if (socket.txInFlight() > 0 && lock.tryLock()) {
            try {
                socket.reapCompletions();
            }
            finally {
                lock.unlock();
            }
        }
    }

    /**
     * Keeps the TX ring moving: kicks the kernel while need_wakeup asks for it and frames wait, up to
     * {@link #MAX_TX_KICKS} times, because copy mode sends at most a budget of frames per call (32 unless the
     * kernel let it be raised).
     *
     * @param force kick even if the ring looks drained (a frame was queued this turn)
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
            counters.addKick();
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

    /**
     * One step of waiting for frames already on the TX ring to be sent: reaps completions and, while frames
     * are in flight, kicks the kernel once. The caller repeats it, for every queue together, until each is
     * drained or its time is up.
     *
     * @return the frames still in flight
     */
    int drainStep() {
        lock.lock();
        try {
            socket.reapCompletions();
            if (socket.txInFlight() > 0 && socket.txNeedsWakeup()) {
                socket.kick();
                counters.addKick();
            }
            return socket.txInFlight();
        }
        finally {
            lock.unlock();
        }
    }

    /** Lets the kernel's socket go while no sender writes into it; the UMEM stays mapped. */
    void releaseSocket() throws NativeIoException {
        lock.lock();
        try {
            socket.release();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Closes the socket and frees its memory while no sender writes into it. While buffers still hold lent frames,
     * only the socket goes now, and the last frame given back frees the UMEM.
     */
    void closeSocket() throws NativeIoException {
        lock.lock();
        try {
            if (socket.txLent() > 0) {
                socket.release();
                closeWhenReturned = true;
            }
            else {
                socket.close();
            }
        }
        finally {
            lock.unlock();
        }
    }
}
