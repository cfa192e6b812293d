package io.quicxdp.datapath.internal.xsk;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import io.quicxdp.datapath.state.FrameAccounting;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The receive frames' accounting against a simulated kernel that, like {@code xsk_flush}, publishes RX
 * entries before it publishes that it consumed their fill entries.
 */
class ReceiveFramesTests {

    private static final RingOffsets OFFSETS = new RingOffsets(0, 64, 128, 192);

    private static final int FRAME_SIZE = 2048;

    private static final int FRAMES = 8;

    private final ByteBuffer fillMemory = ring(8);

    private final ByteBuffer rxMemory = ring(16);

    private final ProducerRing fill = ProducerRing.fill(fillMemory, OFFSETS, FRAMES);

    private final ConsumerRing rx = ConsumerRing.rx(rxMemory, OFFSETS, FRAMES);

    /** The kernel's private cursor into the fill ring: entries it has read, published or not. */
    private int kernelFillCursor;

    @Test
    void startsWithEveryFrameOnTheFillRing() {
        ReceiveFrames frames = new ReceiveFrames(rx, fill, FRAMES, FRAME_SIZE);
        assertThat(frames.accounting()).isEqualTo(new FrameAccounting(FRAMES, 0, 0, 0, 0, FRAMES));
        assertThat(frames.refill()).isZero();
        assertThat(frames.accounting()).isEqualTo(new FrameAccounting(FRAMES, FRAMES, FRAMES, 0, 0, 0));
        assertThat(fillEntries()).containsExactly(0L, 2048L, 4096L, 6144L, 8192L, 10240L, 12288L, 14336L);
    }

    @Test
    void framesTheFullLookingFillRingCannotTakeWaitForTheNextRefillInsteadOfBeingLost() {
        ReceiveFrames frames = new ReceiveFrames(rx, fill, FRAMES, FRAME_SIZE);
        frames.refill();
        // the kernel receives into 5 frames and publishes the RX entries, but not yet the fill consumer
        kernelReceives(5);
        int taken = frames.receive(64);
        assertThat(taken).isEqualTo(5);
        assertThat(frames.accounting().held()).isEqualTo(5);
        int start = frames.start(taken);
        for (int i = 0; i < taken; i++) {
            frames.giveBack(frames.address(start + i) + 42);
        }
        frames.releaseRxEntries();
        // the fill ring still looks full: nothing fits, and nothing is dropped from the accounting
        assertThat(frames.refill()).isEqualTo(5);
        FrameAccounting waiting = frames.accounting();
        assertThat(waiting.balanced()).isTrue();
        assertThat(waiting.free()).isEqualTo(5);
        assertThat(waiting.withKernel()).isEqualTo(3);

        // the kernel publishes its consumer: the next refill moves every waiting frame
        kernelPublishesFillConsumer();
        assertThat(frames.refill()).isZero();
        FrameAccounting settled = frames.accounting();
        assertThat(settled).isEqualTo(new FrameAccounting(FRAMES, FRAMES, FRAMES, 0, 0, 0));
        Set<Long> onTheRing = new HashSet<>(fillEntries());
        assertThat(onTheRing).as("every frame once, at its start").hasSize(FRAMES)
                .allSatisfy(address -> assertThat(address % FRAME_SIZE).isZero());
    }

    @Test
    void aPartlyRoomyFillRingTakesWhatFitsAndKeepsTheRest() {
        ReceiveFrames frames = new ReceiveFrames(rx, fill, FRAMES, FRAME_SIZE);
        frames.refill();
        kernelReceives(6);
        kernelPublishesFillConsumer();
        kernelReceives(2);
        int taken = frames.receive(64);
        assertThat(taken).isEqualTo(8);
        int start = frames.start(taken);
        for (int i = 0; i < taken; i++) {
            frames.giveBack(frames.address(start + i));
        }
        frames.releaseRxEntries();
        assertThat(frames.refill()).as("room for the 6 published, not the 2 still unpublished").isEqualTo(2);
        assertThat(frames.accounting().balanced()).isTrue();
        kernelPublishesFillConsumer();
        assertThat(frames.refill()).isZero();
        assertThat(frames.accounting()).isEqualTo(new FrameAccounting(FRAMES, FRAMES, FRAMES, 0, 0, 0));
    }

    @Test
    void framesHeldByTheApplicationAreCountedUntilGivenBack() {
        ReceiveFrames frames = new ReceiveFrames(rx, fill, FRAMES, FRAME_SIZE);
        frames.refill();
        kernelReceives(3);
        kernelPublishesFillConsumer();
        int taken = frames.receive(64);
        int start = frames.start(taken);
        long kept = frames.address(start + 1);
        frames.giveBack(frames.address(start));
        frames.giveBack(frames.address(start + 2));
        frames.releaseRxEntries();
        frames.refill();
        assertThat(frames.accounting()).isEqualTo(new FrameAccounting(FRAMES, 7, 7, 0, 1, 0));
        frames.giveBack(kept);
        frames.refill();
        assertThat(frames.accounting()).isEqualTo(new FrameAccounting(FRAMES, FRAMES, FRAMES, 0, 0, 0));
    }

    /** Takes {@code count} fill entries and publishes them as received RX descriptors, as the kernel would. */
    private void kernelReceives(int count) {
        int rxProducer = rxMemory.getInt(0);
        for (int i = 0; i < count; i++) {
            long address = fillMemory.getLong(192 + ((kernelFillCursor + i) & (FRAMES - 1)) * 8);
            int at = 192 + ((rxProducer + i) & (FRAMES - 1)) * 16;
            rxMemory.putLong(at, address);
            rxMemory.putInt(at + 8, 100);
        }
        kernelFillCursor += count;
        rxMemory.putInt(0, rxProducer + count);
    }

    private void kernelPublishesFillConsumer() {
        fillMemory.putInt(64, kernelFillCursor);
    }

    private List<Long> fillEntries() {
        List<Long> entries = new ArrayList<>();
        for (int index = fillMemory.getInt(64); index != fillMemory.getInt(0); index++) {
            entries.add(fillMemory.getLong(192 + (index & (FRAMES - 1)) * 8));
        }
        return entries;
    }

    private static ByteBuffer ring(int entrySize) {
        return ByteBuffer.allocateDirect(192 + FRAMES * entrySize).order(ByteOrder.nativeOrder());
    }
}
