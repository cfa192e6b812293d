package io.quicxdp.datapath.internal.xsk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The ring protocol against a simulated kernel side, across the 2^32 index wrap. */
class XskRingTests {

    private static final RingOffsets OFFSETS = new RingOffsets(0, 64, 128, 192);

    private static final int SIZE = 8;

    private final ByteBuffer shared = ByteBuffer.allocateDirect(192 + SIZE * 16).order(ByteOrder.nativeOrder());

    @Test
    void fillRingWrapsAtTwoToTheThirtySecond() {
        setIndices(-3, -3);
        ProducerRing fill = ProducerRing.fill(shared, OFFSETS, SIZE);
        long produced = 0;
        long consumed = 0;
        for (int round = 0; round < 5; round++) {
            int claimed = fill.reserve(5);
            assertThat(claimed).isEqualTo(5);
            int start = fill.reservedStart(claimed);
            for (int i = 0; i < claimed; i++) {
                fill.setAddress(start + i, (produced + i) * 2048);
            }
            fill.submit();
            produced += claimed;
            // the kernel consumes everything published, in order
            int kernelConsumer = shared.getInt(64);
            int kernelProducer = shared.getInt(0);
            for (int index = kernelConsumer; index != kernelProducer; index++) {
                assertThat(shared.getLong(192 + (index & (SIZE - 1)) * 8)).isEqualTo(consumed * 2048);
                consumed++;
            }
            shared.putInt(64, kernelProducer);
        }
        assertThat(produced).isEqualTo(25);
        assertThat(consumed).isEqualTo(25);
        assertThat(shared.getInt(0)).isEqualTo(-3 + 25);
    }

    @Test
    void producerStopsAtTheKernelsConsumerIndex() {
        setIndices(Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 2);
        ProducerRing tx = ProducerRing.tx(shared, OFFSETS, SIZE);
        assertThat(tx.reserve(SIZE + 3)).isEqualTo(SIZE);
        tx.submit();
        assertThat(tx.reserve(1)).isZero();
        assertThat(tx.outstanding()).isEqualTo(SIZE);
        shared.putInt(64, Integer.MAX_VALUE - 2 + 3);
        assertThat(tx.reserve(4)).isEqualTo(3);
    }

    @Test
    void rxRingHandsOutOnlyWhatTheKernelPublishedAcrossTheWrap() {
        setIndices(-2, -2);
        ConsumerRing rx = ConsumerRing.rx(shared, OFFSETS, SIZE);
        assertThat(rx.peek(4)).isZero();
        for (int i = 0; i < 5; i++) {
            int index = -2 + i;
            shared.putLong(192 + (index & (SIZE - 1)) * 16, 4096L * i + 256);
            shared.putInt(192 + (index & (SIZE - 1)) * 16 + 8, 60 + i);
        }
        shared.putInt(0, -2 + 5);
        int taken = rx.peek(3);
        assertThat(taken).isEqualTo(3);
        int start = rx.peekedStart(taken);
        assertThat(rx.address(start)).isEqualTo(256);
        assertThat(rx.length(start + 2)).isEqualTo(62);
        rx.release();
        assertThat(shared.getInt(64)).isEqualTo(1);
        taken = rx.peek(8);
        assertThat(taken).isEqualTo(2);
        assertThat(rx.address(rx.peekedStart(taken) + 1)).isEqualTo(4096L * 4 + 256);
        rx.release();
        assertThat(shared.getInt(64)).isEqualTo(3);
        assertThat(rx.peek(8)).isZero();
    }

    @Test
    void needWakeupIsOneFlagTest() {
        setIndices(0, 0);
        ProducerRing fill = ProducerRing.fill(shared, OFFSETS, SIZE);
        assertThat(fill.needsWakeup()).isFalse();
        shared.putInt(128, XskRing.NEED_WAKEUP);
        assertThat(fill.needsWakeup()).isTrue();
    }

    @Test
    void ringSizeMustBeAPowerOfTwo() {
        assertThatIllegalArgumentException().isThrownBy(() -> ConsumerRing.completion(shared, OFFSETS, 6))
                .withMessageContaining("power of two");
    }

    private void setIndices(int producer, int consumer) {
        shared.putInt(0, producer);
        shared.putInt(64, consumer);
    }
}
