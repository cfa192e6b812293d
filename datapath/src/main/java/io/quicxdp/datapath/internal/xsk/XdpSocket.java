package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.MappedMemory;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import io.quicxdp.datapath.state.FrameAccounting;
import io.quicxdp.datapath.state.XdpStatistics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One AF_XDP socket bound to one interface queue, with its own UMEM and its four rings.
 *
 * <p>Ownership: this object owns the socket descriptor, the four ring mappings and the UMEM, and
 * releases them in that order in {@link #close()}: rings first, because a mapping keeps the socket
 * alive; then the descriptor, which makes the kernel remove the socket from every XSKMAP slot that still
 * points at it; the UMEM last, because the kernel may write into it until the socket is gone.
 *
 * <p>Threading: the receive side ({@link #receive}, {@link #giveBack}) belongs to one thread; the transmit
 * side ({@link #acquireTxFrame}, {@link #transmit}, {@link #reapCompletions}) to one thread at a time,
 * which the caller ensures. Frames are addressed by their offset in the UMEM.
 */
public final class XdpSocket implements AutoCloseable {

    private static final int SOL_XDP = 283;
    private static final int XDP_MMAP_OFFSETS = 1;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_TX_RING = 3;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final int XDP_STATISTICS = 7;
    private static final int XDP_OPTIONS = 8;
    private static final int XDP_OPTIONS_ZEROCOPY = 1;
    /** Linux 6.17+: how many TX descriptors one wake-up may send in copy mode (32 before, and by default). */
    private static final int XDP_MAX_TX_SKB_BUDGET = 9;

    /** {@code xdp_umem_reg.flags}: TX descriptors may carry metadata in the {@code tx_metadata_len} bytes before them (6.8+). */
    private static final int XDP_UMEM_TX_METADATA_LEN = 1 << 2;

    /**
     * Bytes of {@code struct xsk_tx_metadata} before each TX frame's packet: flags (u64), then the request's
     * csum_start and csum_offset (u16 each) and launch_time (u64); a multiple of 8, as the kernel requires.
     */
    public static final int TX_METADATA_LENGTH = 24;

    /** Descriptors one copy-mode wake-up sends when the kernel lets nobody raise it. */
    static final int DEFAULT_TX_BUDGET = 32;

    private static final int XDP_COPY = 1 << 1;
    private static final int XDP_ZEROCOPY = 1 << 2;
    private static final int XDP_USE_NEED_WAKEUP = 1 << 3;

    /** {@code xdp_desc.options}: the frame carries TX metadata before its packet (6.8+). */
    private static final int XDP_TX_METADATA = 1 << 1;

    /** {@code struct xdp_mmap_offsets}: four {@code struct xdp_ring_offset}s of four u64 each. */
    private static final int RING_OFFSET_SIZE = 32;
    private static final int MMAP_OFFSETS_SIZE = 4 * RING_OFFSET_SIZE;
    private static final int RX_OFFSETS = 0;
    private static final int TX_OFFSETS = RING_OFFSET_SIZE;
    private static final int FILL_OFFSETS = 2 * RING_OFFSET_SIZE;
    private static final int COMPLETION_OFFSETS = 3 * RING_OFFSET_SIZE;
    private static final int PRODUCER = 0;
    private static final int CONSUMER = 8;
    private static final int DESCRIPTORS = 16;
    private static final int FLAGS = 24;

    /** {@code struct xdp_desc} (u64 address, u32 length, u32 options) and a fill/completion entry (u64). */
    private static final int DESCRIPTOR_SIZE = 16;
    private static final int ADDRESS_SIZE = 8;

    /** {@code struct xdp_umem_reg}: u64 addr, u64 len, u32 chunk_size, u32 headroom, u32 flags, u32 tx_metadata_len. */
    private static final int UMEM_REG_SIZE = 32;

    /** {@code struct sockaddr_xdp}: u16 family, u16 flags, u32 ifindex, u32 queue_id, u32 shared_umem_fd. */
    private static final int SOCKADDR_XDP_SIZE = 16;

    /** {@code struct xdp_statistics}: six u64 counters. */
    private static final int STATISTICS_SIZE = 48;

    private static final long XDP_PGOFF_RX_RING = 0;
    private static final long XDP_PGOFF_TX_RING = 0x80000000L;
    private static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    private static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    private final int fd;

    private final int ifindex;

    private final int queueId;

    private final XskParameters parameters;

    private final MappedMemory umem;

    private final ByteBuffer frames;

    private final List<MappedMemory> ringMappings;

    private final ReceiveFrames receiveFrames;

    private final ProducerRing tx;

    private final ConsumerRing completion;

    private final boolean zeroCopy;

    private final long frameMask;

    /** TX descriptors one wake-up sends at most in copy mode. */
    private final int txBudget;

    /** Where a TX frame's packet starts in its frame: after the TX metadata, when the UMEM has room for it. */
    private final int txOffset;

    /** Whether the kernel finishes sent UDP checksums, asked for through each frame's TX metadata. */
    private final boolean txChecksumOffload;

    /** Free TX frame addresses, a stack. */
    private final long[] txFree;

    private int txFreeCount;

    /** TX frames lent out ({@link #lendTxFrame()}) for a payload to be written in place, neither free nor in flight. */
    private int txLent;

    /** TX ring entries claimed by the last {@link #reserveTx}. */
    private int txReserved;

    private final ByteBuffer statistics = DirectBuffers.allocate(STATISTICS_SIZE);

    /** Keeps readers from other threads (statistics, frame accounting) off what close releases. */
    private final Object statisticsLock = new Object();

    /** Set once the kernel's socket is let go: by {@link #release()} or {@link #close()}. */
    private final AtomicBoolean released = new AtomicBoolean();

    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Assembles a socket from parts already made, which it then owns: {@link #open} after the kernel set them
     * up, and the benchmarks, whose rings live in ordinary memory with the kernel's half played in process.
     */
    XdpSocket(int fd, int ifindex, int queueId, XskParameters parameters, MappedMemory umem,
            List<MappedMemory> ringMappings, ReceiveFrames receiveFrames, ProducerRing tx, ConsumerRing completion,
            boolean zeroCopy, int txBudget, boolean txMetadata) {
        this.fd = fd;
        this.ifindex = ifindex;
        this.queueId = queueId;
        this.parameters = parameters;
        this.umem = umem;
        this.frames = umem.buffer().order(ByteOrder.BIG_ENDIAN);
        this.ringMappings = ringMappings;
        this.receiveFrames = receiveFrames;
        this.tx = tx;
        this.completion = completion;
        this.zeroCopy = zeroCopy;
        this.txBudget = txBudget;
        this.txOffset = txMetadata ? TX_METADATA_LENGTH : 0;
        // a zero-copy driver may ignore the request without a word: only the kernel's copy path is sure to honour it
        this.txChecksumOffload = txMetadata && !zeroCopy;
        this.frameMask = ~((long) parameters.frameSize() - 1);
        this.txFree = new long[parameters.txFrames()];
        int firstTxFrame = parameters.rxFrames();
        for (int i = 0; i < txFree.length; i++) {
            txFree[txFreeCount++] = (long) (firstTxFrame + i) * parameters.frameSize();
        }
    }

    /**
     * Creates a socket with a fresh UMEM, fills the fill ring with every receive frame, and binds it to
     * {@code queueId} of {@code ifindex}. A bind that finds the queue busy is retried until
     * {@code busyRetry} has passed, because the kernel releases a just-closed socket's queue a little
     * after its descriptor is closed.
     *
     * @throws NativeIoException naming the step that failed; everything created so far is released
     */
    public static XdpSocket open(int ifindex, int queueId, XskParameters parameters, Duration busyRetry)
            throws NativeIoException {
        validate(parameters);
        int fd = Sockets.open(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, "AF_XDP");
        MappedMemory umem = null;
        List<MappedMemory> mappings = new ArrayList<>(4);
        try {
            umem = MappedMemory.anonymous(parameters.umemBytes());
            boolean txMetadata = registerUmem(fd, umem, parameters.frameSize(), parameters.txChecksumOffload());
            Sockets.setOption(fd, SOL_XDP, XDP_UMEM_FILL_RING, parameters.fillRingSize(), "XDP_UMEM_FILL_RING");
            Sockets.setOption(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, parameters.completionRingSize(),
                    "XDP_UMEM_COMPLETION_RING");
            Sockets.setOption(fd, SOL_XDP, XDP_RX_RING, parameters.rxRingSize(), "XDP_RX_RING");
            Sockets.setOption(fd, SOL_XDP, XDP_TX_RING, parameters.txRingSize(), "XDP_TX_RING");
            int txBudget = raiseTxBudget(fd, parameters.txRingSize());
            ByteBuffer offsets = DirectBuffers.allocate(MMAP_OFFSETS_SIZE);
            int length = Sockets.getOption(fd, SOL_XDP, XDP_MMAP_OFFSETS, offsets, "XDP_MMAP_OFFSETS");
            if (length < MMAP_OFFSETS_SIZE) {
                // kernels before 5.4 lack the flags field, and with it need_wakeup
                throw new NativeIoException("getsockopt(XDP_MMAP_OFFSETS) (" + length + " bytes, a kernel before 5.4)",
                        Errno.EOPNOTSUPP);
            }
            ConsumerRing rx = ConsumerRing.rx(map(fd, offsets, RX_OFFSETS, XDP_PGOFF_RX_RING, parameters.rxRingSize(),
                    DESCRIPTOR_SIZE, "RX ring", mappings), offsets(offsets, RX_OFFSETS), parameters.rxRingSize());
            ProducerRing tx = ProducerRing.tx(map(fd, offsets, TX_OFFSETS, XDP_PGOFF_TX_RING, parameters.txRingSize(),
                    DESCRIPTOR_SIZE, "TX ring", mappings), offsets(offsets, TX_OFFSETS), parameters.txRingSize());
            ProducerRing fill = ProducerRing.fill(map(fd, offsets, FILL_OFFSETS, XDP_UMEM_PGOFF_FILL_RING,
                    parameters.fillRingSize(), ADDRESS_SIZE, "fill ring", mappings), offsets(offsets, FILL_OFFSETS),
                    parameters.fillRingSize());
            ConsumerRing completion = ConsumerRing.completion(map(fd, offsets, COMPLETION_OFFSETS,
                    XDP_UMEM_PGOFF_COMPLETION_RING, parameters.completionRingSize(), ADDRESS_SIZE, "completion ring",
                    mappings), offsets(offsets, COMPLETION_OFFSETS), parameters.completionRingSize());
            ReceiveFrames receiveFrames = new ReceiveFrames(rx, fill, parameters.rxFrames(), parameters.frameSize());
            receiveFrames.refill();
            bind(fd, ifindex, queueId, parameters, busyRetry);
            ByteBuffer options = DirectBuffers.allocate(4);
            Sockets.getOption(fd, SOL_XDP, XDP_OPTIONS, options, "XDP_OPTIONS");
            boolean zeroCopy = (options.getInt(0) & XDP_OPTIONS_ZEROCOPY) != 0;
            return new XdpSocket(fd, ifindex, queueId, parameters, umem, mappings, receiveFrames, tx, completion,
                    zeroCopy, txBudget, txMetadata);
        }
        catch (NativeIoException | RuntimeException | Error ex) {
            mappings.forEach(MappedMemory::close);
            FileDescriptors.closeQuietly(fd);
            if (umem != null) {
                umem.close();
            }
            throw ex;
        }
    }

    private static void validate(XskParameters parameters) {
        int frameSize = parameters.frameSize();
        if (Integer.bitCount(frameSize) != 1 || frameSize < 2048 || frameSize > 4096) {
            throw new IllegalArgumentException("frame size must be 2048 or 4096 bytes, not " + frameSize);
        }
        if (parameters.frameCount() < 2) {
            throw new IllegalArgumentException("frame count must be at least 2, not " + parameters.frameCount());
        }
        if (parameters.umemBytes() > DatapathSettings.MAX_UMEM_BYTES) {
            throw new IllegalArgumentException("a UMEM of " + parameters.frameCount() + " frames of "
                    + frameSize + " bytes is over the 1 GiB that frame offsets (Java ints) address");
        }
        for (int size : new int[] {parameters.fillRingSize(), parameters.completionRingSize(),
                parameters.rxRingSize(), parameters.txRingSize()}) {
            if (Integer.bitCount(size) != 1) {
                throw new IllegalArgumentException("ring sizes must be powers of two, not " + size);
            }
        }
    }

    /**
     * Lets one copy-mode wake-up send the whole TX ring rather than 32 descriptors, where the kernel allows it
     * (6.17 and later); older kernels refuse the option and keep 32.
     *
     * @return the budget in force
     */
    private static int raiseTxBudget(int fd, int txRingSize) {
        if (txRingSize > DEFAULT_TX_BUDGET
                && Sockets.trySetOption(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, txRingSize) == 0) {
            return txRingSize;
        }
        return DEFAULT_TX_BUDGET;
    }

    /**
     * Registers the UMEM, with room for TX metadata before each TX packet when {@code txMetadata} asks for it and
     * the kernel knows the flag (6.8+; older ones refuse it as an unknown flag, and the UMEM is registered
     * without).
     *
     * @return whether TX frames carry metadata
     */
    private static boolean registerUmem(int fd, MappedMemory umem, int frameSize, boolean txMetadata)
            throws NativeIoException {
        ByteBuffer reg = DirectBuffers.allocate(UMEM_REG_SIZE);
        reg.putLong(0, umem.address());
        reg.putLong(8, umem.length());
        reg.putInt(16, frameSize);
        if (txMetadata) {
            reg.putInt(24, XDP_UMEM_TX_METADATA_LEN);
            reg.putInt(28, TX_METADATA_LENGTH);
            int result = Sockets.trySetOption(fd, SOL_XDP, XDP_UMEM_REG, reg, UMEM_REG_SIZE);
            if (result == 0) {
                return true;
            }
            if (result != -Errno.EINVAL) {
                throw new NativeIoException("setsockopt(XDP_UMEM_REG)", -result);
            }
            reg.putInt(24, 0);
            reg.putInt(28, 0);
        }
        Sockets.setOption(fd, SOL_XDP, XDP_UMEM_REG, reg, UMEM_REG_SIZE, "XDP_UMEM_REG");
        return false;
    }

    private static RingOffsets offsets(ByteBuffer offsets, int base) {
        return new RingOffsets((int) offsets.getLong(base + PRODUCER), (int) offsets.getLong(base + CONSUMER),
                (int) offsets.getLong(base + FLAGS), (int) offsets.getLong(base + DESCRIPTORS));
    }

    private static ByteBuffer map(int fd, ByteBuffer offsets, int base, long pageOffset, int entries,
            int entrySize, String what, List<MappedMemory> mappings) throws NativeIoException {
        long length = offsets.getLong(base + DESCRIPTORS) + (long) entries * entrySize;
        MappedMemory mapping = MappedMemory.shared(fd, pageOffset, length, what);
        mappings.add(mapping);
        return mapping.buffer();
    }

    private static void bind(int fd, int ifindex, int queueId, XskParameters parameters, Duration busyRetry)
            throws NativeIoException {
        int flags = switch (parameters.bindMode()) {
            case AUTO -> 0;
            case ZERO_COPY -> XDP_ZEROCOPY;
            case COPY -> XDP_COPY;
        };
        if (parameters.needWakeup()) {
            flags |= XDP_USE_NEED_WAKEUP;
        }
        ByteBuffer address = DirectBuffers.allocate(SOCKADDR_XDP_SIZE);
        address.putShort(0, (short) Sockets.AF_XDP);
        address.putShort(2, (short) flags);
        address.putInt(4, ifindex);
        address.putInt(8, queueId);
        long deadline = System.nanoTime() + busyRetry.toNanos();
        while (true) {
            int result = Sockets.tryBind(fd, address, SOCKADDR_XDP_SIZE);
            if (result == 0) {
                return;
            }
            if (result != -Errno.EBUSY || System.nanoTime() - deadline >= 0) {
                throw new NativeIoException("bind(AF_XDP)", -result);
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    /** The socket descriptor, to insert into an XSKMAP. */
    public int fd() {
        return fd;
    }

    /** The index of the interface the socket is bound to. */
    public int ifindex() {
        return ifindex;
    }

    /** The receive queue the socket is bound to. */
    public int queueId() {
        return queueId;
    }

    /** Whether the driver runs this socket in zero-copy mode (else copy mode). */
    public boolean zeroCopy() {
        return zeroCopy;
    }

    /** The geometry the socket was made with. */
    public XskParameters parameters() {
        return parameters;
    }

    /** The UMEM as a big-endian buffer; frames are addressed by absolute offsets. */
    public ByteBuffer frames() {
        return frames;
    }

    /**
     * Takes up to {@code max} received frames off the RX ring. They are held until {@link #giveBack} returns
     * them.
     *
     * @return how many, from {@link #rxStart(int)} on; read them with {@link #rxAddress}/{@link #rxLength}
     */
    public int receive(int max) {
        return receiveFrames.receive(max);
    }

    /** The ring index of the first of the {@code count} frames the last {@link #receive} took. */
    public int rxStart(int count) {
        return receiveFrames.start(count);
    }

    /** The UMEM offset of a received frame's first byte. */
    public long rxAddress(int index) {
        return receiveFrames.address(index);
    }

    /** The length of a received frame. */
    public int rxLength(int index) {
        return receiveFrames.length(index);
    }

    /**
     * Hands the RX ring's entries taken so far back to the kernel while their frames stay held, to be
     * returned one by one with {@link #giveBack}.
     */
    public void releaseRxEntries() {
        receiveFrames.releaseRxEntries();
    }

    /** Returns one held frame, addressed by any offset inside it, to the free frames. */
    public void giveBack(long address) {
        receiveFrames.giveBack(address);
    }

    /**
     * Moves free receive frames onto the fill ring, as many as it takes now.
     *
     * @return how many stay free for want of room
     */
    public int refill() {
        return receiveFrames.refill();
    }

    /** Receive frames waiting for room on the fill ring; the poll thread only. */
    public int freeReceiveFrames() {
        return receiveFrames.freeCount();
    }

    /**
     * Where the receive frames are, from any thread; {@code null} once the socket is closed and its rings
     * are unmapped.
     */
    public FrameAccounting frameAccounting() {
        synchronized (statisticsLock) {
            return closed.get() ? null : receiveFrames.accounting();
        }
    }

    /** Whether the kernel waits for a wake-up call before it takes frames from the fill ring again. */
    public boolean fillNeedsWakeup() {
        return receiveFrames.fillNeedsWakeup();
    }

    /**
     * Asks the kernel to resume receiving (the fill ring's wake-up call), without waiting.
     *
     * @return 0, or {@code -errno}
     */
    public int wakeReceive() {
        return Sockets.wakeReceive(fd);
    }

    /**
     * Takes a free TX frame, reaping completions first if none is free.
     *
     * @return the frame's UMEM offset, or -1 when every TX frame is in flight (back-pressure)
     */
    public long acquireTxFrame() {
        if (txFreeCount == 0 && reapCompletions() == 0) {
            return -1;
        }
        return txFree[--txFreeCount];
    }

    /** Returns a frame taken by {@link #acquireTxFrame()} that will not be transmitted after all. */
    public void releaseTxFrame(long address) {
        txFree[txFreeCount++] = address;
    }

    /**
     * Takes a free TX frame, as {@link #acquireTxFrame()} does, for a payload to be written into it before it is
     * sent: the frame counts as lent, until {@link #lentTxFrameSent()} or {@link #returnLentTxFrame}.
     *
     * @return the frame's UMEM offset, or -1 when every TX frame is lent or in flight
     */
    public long lendTxFrame() {
        long frame = acquireTxFrame();
        if (frame >= 0) {
            txLent++;
        }
        return frame;
    }

    /** Takes back a lent frame that was not sent, addressed by any offset inside it. */
    public void returnLentTxFrame(long address) {
        txFree[txFreeCount++] = address & frameMask;
        txLent--;
    }

    /** Counts a lent frame, just described on the TX ring, as in flight. */
    public void lentTxFrameSent() {
        txLent--;
    }

    /** TX frames lent out and not yet sent or returned. */
    public int txLent() {
        return txLent;
    }

    /** TX frames free to take. */
    public int txFree() {
        return txFreeCount;
    }

    /**
     * Puts one frame on the TX ring and publishes it.
     *
     * @return false when the TX ring is full; the frame stays the caller's
     */
    public boolean transmit(long address, int length) {
        if (tx.reserve(1) == 0) {
            return false;
        }
        tx.setDescriptor(tx.reservedStart(1), address, length, txOptions());
        tx.submit();
        return true;
    }

    /**
     * Claims up to {@code wanted} TX ring entries, reaping completions first when fewer frames are free; take the
     * frames with {@link #acquireTxFrame()} (or send lent ones), describe them with {@link #setTxDescriptor}, then
     * {@link #submitTx()} (after {@link #cancelTx} for those left unused, as when the frames ran out).
     *
     * @return how many: fewer than wanted when the ring runs short, 0 for none (back-pressure)
     */
    public int reserveTx(int wanted) {
        if (txFreeCount < wanted) {
            reapCompletions();
        }
        int claimed = tx.reserve(wanted);
        txReserved = claimed;
        return claimed;
    }

    /**
     * Describes the {@code nth} frame of the last {@link #reserveTx}: the UMEM offset of its packet and its length;
     * with {@link #txChecksumOffload()}, the descriptor also says the frame carries TX metadata.
     */
    public void setTxDescriptor(int nth, long address, int length) {
        tx.setDescriptor(tx.reservedStart(txReserved) + nth, address, length, txOptions());
    }

    private int txOptions() {
        return txChecksumOffload ? XDP_TX_METADATA : 0;
    }

    /** Gives back the last {@code count} entries of the last {@link #reserveTx}, left undescribed. */
    public void cancelTx(int count) {
        tx.cancel(count);
        txReserved -= count;
    }

    /** Publishes the frames described since the last {@link #reserveTx} to the kernel. */
    public void submitTx() {
        tx.submit();
    }

    /** Whether a wake-up call is needed for the kernel to process the TX ring. */
    public boolean txNeedsWakeup() {
        return !parameters.needWakeup() || tx.needsWakeup();
    }

    /** Whether the TX ring holds descriptors the kernel has not taken yet (reads its index). */
    public boolean txPending() {
        return tx.outstanding() > 0;
    }

    /** Descriptors on the TX ring the kernel has not taken yet (reads its index). */
    public int txOutstanding() {
        return tx.outstanding();
    }

    /**
     * Where a TX frame's packet starts in its frame: {@link #TX_METADATA_LENGTH} when the UMEM was registered with
     * TX metadata (the kernel reads the metadata just before the packet), else 0. Descriptors point there.
     */
    public int txOffset() {
        return txOffset;
    }

    /** Whether sent UDP checksums are left to the kernel: each TX frame's metadata asks for it. */
    public boolean txChecksumOffload() {
        return txChecksumOffload;
    }

    /** The most TX descriptors one wake-up sends in copy mode: the ring's size where the kernel allows it, else 32. */
    public int txBudget() {
        return txBudget;
    }

    /** Whether received frames wait on the RX ring beyond those taken so far (reads the kernel's index). */
    public boolean rxWaiting() {
        return receiveFrames.waiting();
    }

    /**
     * Asks the kernel to process the TX ring (and, with need_wakeup, to resume filling from the fill
     * ring).
     *
     * @return 0, or {@code -errno}; {@link Errno#isTxRetry} errors mean "try again later", not failure
     */
    public int kick() {
        return Sockets.kick(fd);
    }

    /**
     * Moves completed TX frames back to the free list.
     *
     * @return how many were completed
     */
    public int reapCompletions() {
        int done = completion.peek(txFree.length - txFreeCount);
        if (done > 0) {
            int start = completion.peekedStart(done);
            for (int i = 0; i < done; i++) {
                txFree[txFreeCount++] = completion.address(start + i) & frameMask;
            }
            completion.release();
        }
        return done;
    }

    /** TX frames handed to the kernel and not yet taken back from the completion ring. */
    public int txInFlight() {
        return txFree.length - txFreeCount - txLent;
    }

    /** Reads the kernel's counters for this socket (one system call). */
    public XdpStatistics statistics() throws NativeIoException {
        synchronized (statisticsLock) {
            if (released.get()) {
                // the descriptor number may already belong to something else
                throw new NativeIoException("getsockopt(XDP_STATISTICS) on a closed socket", Errno.EBADF);
            }
            Sockets.getOption(fd, SOL_XDP, XDP_STATISTICS, statistics, "XDP_STATISTICS");
            return new XdpStatistics(statistics.getLong(0), statistics.getLong(8), statistics.getLong(16),
                    statistics.getLong(24), statistics.getLong(32), statistics.getLong(40));
        }
    }

    /** Whether the kernel's socket has been let go, by {@link #release()} or {@link #close()}. */
    public boolean isClosed() {
        return released.get();
    }

    /**
     * Lets the kernel's socket go, which takes it out of every map slot that still points at it, without
     * unmapping anything a thread may still touch: the rings are swapped for anonymous memory at the same
     * addresses, the descriptor number for a placeholder socket, and the UMEM stays mapped. For a poll
     * thread that is still running (a blocked handler); {@link #close()} frees the rest once it is done.
     */
    public void release() throws NativeIoException {
        if (released.compareAndSet(false, true)) {
            for (MappedMemory ring : ringMappings) {
                ring.replaceWithAnonymous();
            }
            synchronized (statisticsLock) {
                FileDescriptors.replaceWithPlaceholder(fd);
            }
        }
    }

    /**
     * Unmaps the rings, closes the socket (the kernel drops it from every map slot that still points at
     * it) and frees the UMEM. Idempotent; after {@link #release()} it frees what release kept.
     */
    @Override
    public void close() {
        synchronized (statisticsLock) {
            if (closed.compareAndSet(false, true)) {
                released.set(true);
                ringMappings.forEach(MappedMemory::close);
                FileDescriptors.closeQuietly(fd);
                umem.close();
            }
        }
    }
}
