package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.internal.linux.MappedMemory;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link XdpSocket} whose four rings and UMEM are anonymous memory, with the kernel's half of the rings
 * played by this object on the calling thread: {@link #receive} moves fill entries to the RX ring,
 * {@link #complete} moves TX descriptors to the completion ring, each by plain index updates, as a
 * zero-copy driver would. The kernel never asks for a wake-up (the need_wakeup flags stay clear), so the
 * socket makes no system call; it has no descriptor (-1). The socket owns the memory and frees it on close.
 * With {@link XskParameters#txChecksumOffload()} its TX frames carry TX metadata asking for the UDP checksum, as a
 * copy-mode socket's do on Linux 6.8+; this kernel computes none.
 *
 * <p>What a received frame holds is whatever its UMEM frame holds past {@link #HEADROOM}: write it there
 * beforehand, since this kernel copies nothing.
 */
public final class MemoryKernel {

    /** Where the kernel puts a received packet in its frame: {@code XDP_PACKET_HEADROOM}. */
    public static final int HEADROOM = 256;

    /** Producer, consumer and flags each on a cache line of their own, entries after them. */
    private static final RingOffsets OFFSETS = new RingOffsets(0, 64, 128, 192);

    private static final int DESCRIPTOR_SIZE = 16;

    private static final int ADDRESS_SIZE = 8;

    private final XdpSocket socket;

    private final ByteBuffer fill;

    private final ByteBuffer rx;

    private final ByteBuffer tx;

    private final ByteBuffer completion;

    private final int fillMask;

    private final int rxMask;

    private final int txMask;

    private final int completionMask;

    /** The kernel's own indexes: it consumes fill and TX, produces RX and completion. */
    private int fillConsumer;

    private int rxProducer;

    private int txConsumer;

    private int completionProducer;

    private MemoryKernel(XskParameters parameters, int queueId) throws NativeIoException {
        List<MappedMemory> rings = new ArrayList<>(4);
        MappedMemory umem = MappedMemory.anonymous(parameters.umemBytes());
        try {
            fill = ring(rings, parameters.fillRingSize(), ADDRESS_SIZE);
            rx = ring(rings, parameters.rxRingSize(), DESCRIPTOR_SIZE);
            tx = ring(rings, parameters.txRingSize(), DESCRIPTOR_SIZE);
            completion = ring(rings, parameters.completionRingSize(), ADDRESS_SIZE);
        }
        catch (NativeIoException | RuntimeException ex) {
            rings.forEach(MappedMemory::close);
            umem.close();
            throw ex;
        }
        fillMask = parameters.fillRingSize() - 1;
        rxMask = parameters.rxRingSize() - 1;
        txMask = parameters.txRingSize() - 1;
        completionMask = parameters.completionRingSize() - 1;
        ReceiveFrames receiveFrames = new ReceiveFrames(ConsumerRing.rx(rx, OFFSETS, parameters.rxRingSize()),
                ProducerRing.fill(fill, OFFSETS, parameters.fillRingSize()), parameters.rxFrames(),
                parameters.frameSize());
        receiveFrames.refill();
        socket = new XdpSocket(-1, 0, queueId, parameters, umem, List.copyOf(rings), receiveFrames,
                ProducerRing.tx(tx, OFFSETS, parameters.txRingSize()),
                ConsumerRing.completion(completion, OFFSETS, parameters.completionRingSize()),
                // a socket that asks for TX metadata plays copy mode, where the kernel honours it
                !parameters.txChecksumOffload(), parameters.txRingSize(), parameters.txChecksumOffload());
    }

    /**
     * A socket of {@code parameters}' geometry for {@code queueId}, its fill ring holding every receive frame
     * as after {@link XdpSocket#open}.
     *
     * @throws NativeIoException when the memory cannot be mapped
     */
    public static MemoryKernel open(XskParameters parameters, int queueId) throws NativeIoException {
        return new MemoryKernel(parameters, queueId);
    }

    private static ByteBuffer ring(List<MappedMemory> rings, int entries, int entrySize) throws NativeIoException {
        MappedMemory memory = MappedMemory.anonymous(OFFSETS.descriptors() + (long) entries * entrySize);
        rings.add(memory);
        return memory.buffer().order(ByteOrder.nativeOrder());
    }

    /** The socket, to hand to a queue; closing it frees the rings and the UMEM. */
    public XdpSocket socket() {
        return socket;
    }

    /**
     * Receives up to {@code count} packets of {@code length} bytes each into the next frames of the fill ring:
     * one RX descriptor each, at the frame's address plus {@link #HEADROOM}, published at once.
     *
     * @return how many: fewer when the fill ring runs short of frames or the RX ring of room
     */
    public int receive(int count, int length) {
        int frames = (int) XskRing.INDEX.getAcquire(fill, OFFSETS.producer()) - fillConsumer;
        int room = rxMask + 1 - (rxProducer - (int) XskRing.INDEX.getAcquire(rx, OFFSETS.consumer()));
        int received = Math.min(count, Math.min(frames, room));
        for (int i = 0; i < received; i++) {
            long frame = fill.getLong(OFFSETS.descriptors() + ((fillConsumer + i) & fillMask) * ADDRESS_SIZE);
            int at = OFFSETS.descriptors() + ((rxProducer + i) & rxMask) * DESCRIPTOR_SIZE;
            rx.putLong(at, frame + HEADROOM);
            rx.putInt(at + 8, length);
            rx.putInt(at + 12, 0);
        }
        fillConsumer += received;
        rxProducer += received;
        XskRing.INDEX.setRelease(fill, OFFSETS.consumer(), fillConsumer);
        XskRing.INDEX.setRelease(rx, OFFSETS.producer(), rxProducer);
        return received;
    }

    /**
     * Sends every packet on the TX ring: each descriptor's frame goes onto the completion ring, published at once.
     *
     * @return how many
     */
    public int complete() {
        int pending = (int) XskRing.INDEX.getAcquire(tx, OFFSETS.producer()) - txConsumer;
        int room = completionMask + 1 - (completionProducer
                - (int) XskRing.INDEX.getAcquire(completion, OFFSETS.consumer()));
        int sent = Math.min(pending, room);
        for (int i = 0; i < sent; i++) {
            long frame = tx.getLong(OFFSETS.descriptors() + ((txConsumer + i) & txMask) * DESCRIPTOR_SIZE);
            completion.putLong(OFFSETS.descriptors() + ((completionProducer + i) & completionMask) * ADDRESS_SIZE,
                    frame);
        }
        txConsumer += sent;
        completionProducer += sent;
        XskRing.INDEX.setRelease(tx, OFFSETS.consumer(), txConsumer);
        XskRing.INDEX.setRelease(completion, OFFSETS.producer(), completionProducer);
        return sent;
    }

    /** The length of the last packet {@link #complete} sent, as its TX descriptor gave it; 0 before any. */
    public int lastSentLength() {
        if (txConsumer == 0) {
            return 0;
        }
        return tx.getInt(OFFSETS.descriptors() + ((txConsumer - 1) & txMask) * DESCRIPTOR_SIZE + 8);
    }
}
