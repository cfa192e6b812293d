package io.quicxdp.autoconfigure.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import org.springframework.boot.test.system.CapturedOutput;

/** Whether Netty's leak detection reported a buffer that was collected without being released. */
public final class BufferLeaks {

    private BufferLeaks() {
    }

    /**
     * Collects what is garbage now, then allocates tracked buffers: paranoid leak detection reports a buffer
     * collected unreleased on the next allocation, as an error naming {@code LEAK:}.
     */
    public static void assertNoneLeaked(CapturedOutput output) throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            for (int j = 0; j < 64; j++) {
                ByteBufAllocator.DEFAULT.directBuffer(64).release();
                ByteBufAllocator.DEFAULT.heapBuffer(64).release();
            }
        }
        assertThat(output.toString()).doesNotContain("LEAK:");
    }
}
