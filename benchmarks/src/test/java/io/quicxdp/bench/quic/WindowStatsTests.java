package io.quicxdp.bench.quic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WindowStatsTests {

    private final WindowStats stats = new WindowStats();

    @Test
    void countsOnlyWhileOpen() {
        stats.completed(1_000_000);
        stats.failed();
        stats.bytes(100);
        stats.open(0);
        stats.completed(2_000_000);
        stats.completed(4_000_000);
        stats.failed();
        stats.bytes(250);
        String result = stats.close(2_500_000_000L, 1_234_567);
        stats.completed(1);
        stats.bytes(1);
        assertThat(result).matches("result completed=2 failed=1 bytes=250 seconds=2\\.500 p50us=\\d+ p99us=\\d+ rttus=1235");
        // the histogram's buckets are within 0.4 %
        assertThat(field(result, "p50us")).isBetween(1992L, 2008L);
        assertThat(field(result, "p99us")).isBetween(3984L, 4016L);
        assertThat(stats.isOpen()).isFalse();
    }

    @Test
    void emptyWindowReportsZeroLatencies() {
        stats.open(1000);
        assertThat(stats.close(1_000_001_000L, 0))
                .isEqualTo("result completed=0 failed=0 bytes=0 seconds=1.000 p50us=0 p99us=0 rttus=0");
    }

    private static long field(String result, String name) {
        for (String word : result.split(" ")) {
            if (word.startsWith(name + "=")) {
                return Long.parseLong(word.substring(name.length() + 1));
            }
        }
        throw new AssertionError(name + " missing in " + result);
    }

    @Test
    void reopeningStartsFromZero() {
        stats.open(0);
        stats.completed(5_000);
        stats.bytes(7);
        stats.close(1, 0);
        stats.open(10);
        assertThat(stats.close(1_000_000_010L, 0))
                .isEqualTo("result completed=0 failed=0 bytes=0 seconds=1.000 p50us=0 p99us=0 rttus=0");
    }
}
