package io.quicxdp.bench.quic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LongQueueTests {

    @Test
    void keepsOrderAcrossGrowthAndWrap() {
        LongQueue queue = new LongQueue(1024);
        long next = 0;
        long expected = 0;
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 5 + round * 5; i++) {
                assertThat(queue.offer(next++)).isTrue();
            }
            for (int i = 0; i < 3 + round * 2; i++) {
                assertThat(queue.poll()).isEqualTo(expected++);
            }
        }
        while (!queue.isEmpty()) {
            assertThat(queue.peek()).isEqualTo(expected);
            assertThat(queue.poll()).isEqualTo(expected++);
        }
        assertThat(expected).isEqualTo(next);
    }

    @Test
    void refusesBeyondItsLimit() {
        LongQueue queue = new LongQueue(16);
        for (int i = 0; i < 16; i++) {
            assertThat(queue.offer(i)).isTrue();
        }
        assertThat(queue.offer(16)).isFalse();
        assertThat(queue.size()).isEqualTo(16);
        assertThat(queue.poll()).isZero();
        assertThat(queue.offer(16)).isTrue();
    }

    @Test
    void limitMustBeAPowerOfTwo() {
        assertThatIllegalArgumentException().isThrownBy(() -> new LongQueue(100));
    }
}
