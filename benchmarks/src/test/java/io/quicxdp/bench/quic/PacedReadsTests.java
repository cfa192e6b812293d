package io.quicxdp.bench.quic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PacedReadsTests {

    private static final long MS = 1_000_000;

    @Test
    void readsFollowTheRateWhateverEachReadBrings() {
        // 20 MB/s, ticks of 1 ms, a burst of 2 ms; each read brings 64 KiB, far more than a tick's 20 KB
        PacedReads pacer = new PacedReads(20_000_000, 2 * MS, 0);
        long read = 0;
        for (long now = MS; now <= 1000 * MS; now += MS) {
            if (pacer.mayRead(now)) {
                pacer.consumed(65536);
                read += 65536;
            }
        }
        // one second: 20 MB, within one burst and one read
        assertThat(read).isBetween(20_000_000L - 65536, 20_000_000L + 40_000 + 65536);
    }

    @Test
    void anIdleSpellGivesNoMoreThanTheBurst() {
        PacedReads pacer = new PacedReads(1_000_000, 2 * MS, 0);
        assertThat(pacer.mayRead(10_000 * MS)).isTrue();
        pacer.consumed(2000);
        assertThat(pacer.mayRead(10_000 * MS)).isFalse();
        assertThat(pacer.mayRead(10_001 * MS)).isTrue();
    }

    @Test
    void nothingBeforeTime() {
        PacedReads pacer = new PacedReads(1_000_000, MS, 5 * MS);
        assertThat(pacer.mayRead(5 * MS)).isFalse();
    }

    @Test
    void rejectsNonPositiveRates() {
        assertThatIllegalArgumentException().isThrownBy(() -> new PacedReads(0, MS, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> new PacedReads(1, 0, 0));
    }
}
