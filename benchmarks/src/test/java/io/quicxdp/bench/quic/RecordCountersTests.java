package io.quicxdp.bench.quic;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RecordCountersTests {

    record Kernel(long rxFillRingEmpty, long rxDropped) {
    }

    record Socket(int queueId, long rxPackets, long txKicks, Map<String, Long> drops, Kernel kernel, String mode) {
    }

    @Test
    void sumsLongsMapsAndNestedRecordsSkippingIdsAndText() {
        Map<String, Long> counters = RecordCounters.sum("xdp.", List.of(
                new Socket(0, 10, 2, Map.of("TOO_SHORT", 1L), new Kernel(3, 0), "copy"),
                new Socket(1, 5, 1, Map.of("TOO_SHORT", 2L), null, "copy")));
        assertThat(counters).containsExactlyInAnyOrderEntriesOf(Map.of("xdp.rxPackets", 15L, "xdp.txKicks", 3L,
                "xdp.drops.TOO_SHORT", 3L, "xdp.kernel.rxFillRingEmpty", 3L, "xdp.kernel.rxDropped", 0L));
    }
}
