package io.quicxdp.bench.quic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyHistogramTests {

    private final LatencyHistogram histogram = new LatencyHistogram();

    @Test
    void emptyReportsZero() {
        assertThat(histogram.valueAt(0.5)).isZero();
        assertThat(histogram.valueAt(0.99)).isZero();
        assertThat(histogram.count()).isZero();
    }

    @Test
    void smallValuesAreExact() {
        for (long v = 0; v < 256; v++) {
            assertThat(LatencyHistogram.middle(LatencyHistogram.index(v))).isEqualTo(v);
        }
    }

    @Test
    void bucketsAreContiguousAndOrdered() {
        long previous = -1;
        for (int i = 0; i < 5000; i++) {
            long low = LatencyHistogram.lowest(i);
            assertThat(low).isGreaterThan(previous);
            assertThat(LatencyHistogram.index(low)).isEqualTo(i);
            assertThat(LatencyHistogram.index(LatencyHistogram.lowest(i + 1) - 1)).isEqualTo(i);
            previous = low;
        }
    }

    @Test
    void largeValuesStayWithinHalfAPercent() {
        for (long v = 256; v > 0 && v < Long.MAX_VALUE / 3; v = v * 3 + 7) {
            long reported = LatencyHistogram.middle(LatencyHistogram.index(v));
            assertThat((double) reported).isCloseTo(v, within(v * 0.004));
        }
        histogram.record(Long.MAX_VALUE);
        assertThat(histogram.valueAt(1.0)).isPositive();
    }

    @Test
    void percentilesOfAUniformSpread() {
        // 1..10000 microseconds
        for (long us = 1; us <= 10_000; us++) {
            histogram.record(us * 1000);
        }
        assertThat((double) histogram.valueAt(0.50)).isCloseTo(5_000_000, within(5_000_000 * 0.004));
        assertThat((double) histogram.valueAt(0.99)).isCloseTo(9_900_000, within(9_900_000 * 0.004));
        assertThat(histogram.count()).isEqualTo(10_000);
    }

    @Test
    void percentileIsTheRankedValue() {
        histogram.record(10);
        histogram.record(20);
        histogram.record(30);
        histogram.record(40);
        assertThat(histogram.valueAt(0.50)).isEqualTo(20);
        assertThat(histogram.valueAt(0.51)).isEqualTo(30);
        assertThat(histogram.valueAt(0.99)).isEqualTo(40);
    }

    @Test
    void negativeValuesCountAsZeroAndResetEmpties() {
        histogram.record(-5);
        assertThat(histogram.valueAt(0.5)).isZero();
        assertThat(histogram.count()).isEqualTo(1);
        histogram.reset();
        histogram.record(100);
        assertThat(histogram.count()).isEqualTo(1);
        assertThat(histogram.valueAt(0.01)).isEqualTo(100);
    }
}
