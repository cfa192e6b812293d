package io.quicxdp.bench.quic;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServerControlTests {

    @Test
    void snapshotLineKeepsTheOrder() {
        Map<String, Long> figures = new LinkedHashMap<>();
        figures.put("alloc", 123L);
        figures.put("loopTid", 4567L);
        figures.put("quic.lost", 0L);
        assertThat(ServerControl.snapLine(figures)).isEqualTo("snap alloc=123 loopTid=4567 quic.lost=0");
    }

    @Test
    void findsTheCallingThreadsLinuxId() throws Exception {
        long main = ServerControl.currentThreadId();
        long[] other = new long[1];
        Thread thread = new Thread(() -> {
            try {
                other[0] = ServerControl.currentThreadId();
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        thread.start();
        thread.join();
        assertThat(main).isPositive();
        assertThat(other[0]).isPositive().isNotEqualTo(main);
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/task/" + main))).isTrue();
    }
}
