package io.quicxdp.datapath.internal.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.state.FillRingStarvation;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The stretches of fill-ring starvation made out of the kernel's counter as reads see it move. */
class StarvationWatchTests {

    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");

    private final StarvationWatch watch = new StarvationWatch();

    private FillRingStarvation read(long count, long millis) {
        return watch.observe(count, millis * 1_000_000L, T0.plusMillis(millis));
    }

    @Test
    void aCounterThatNeverMovesIsNoStarvation() {
        assertThat(read(0, 0)).isEqualTo(FillRingStarvation.NONE);
        assertThat(read(0, 5000)).isEqualTo(FillRingStarvation.NONE);
        assertThat(FillRingStarvation.NONE.duration()).isZero();
    }

    @Test
    void aStretchLastsWhileReadsSeeTheCounterMoveAndEndsAtAReadASecondOrMoreAfterTheLastMove() {
        read(0, 0);
        FillRingStarvation first = read(100, 1000);
        assertThat(first.ongoing()).isTrue();
        assertThat(first.since()).isEqualTo(T0.plusMillis(1000));
        assertThat(first.duration()).isZero();
        assertThat(first.packets()).isEqualTo(100);
        read(250, 3000);
        FillRingStarvation moving = read(400, 6000);
        assertThat(moving.ongoing()).isTrue();
        assertThat(moving.duration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(moving.packets()).isEqualTo(400);
        FillRingStarvation ended = read(400, 7000);
        assertThat(ended.ongoing()).as("still for a second after the last move").isFalse();
        assertThat(ended.since()).isEqualTo(T0.plusMillis(1000));
        assertThat(ended.lastSeen()).isEqualTo(T0.plusMillis(6000));
        assertThat(ended.packets()).isEqualTo(400);
        assertThat(read(400, 60_000)).as("nothing new: the last stretch stays").isEqualTo(ended);
    }

    @Test
    void readsInQuickSuccessionThatFindTheCounterStillDoNotEndAStretch() {
        read(10, 1000);
        FillRingStarvation quick = read(10, 1001);
        assertThat(quick.ongoing()).as("a millisecond after a move: meters reading one after another").isTrue();
        assertThat(read(10, 1999).ongoing()).isTrue();
        assertThat(read(20, 2500).ongoing()).isTrue();
        assertThat(read(20, 3500).ongoing()).isFalse();
    }

    @Test
    void aLaterStretchReplacesTheLastOneAndCountsOnlyItsOwnPackets() {
        read(0, 0);
        read(50, 1000);
        read(50, 5000);
        FillRingStarvation second = read(70, 9000);
        assertThat(second.ongoing()).isTrue();
        assertThat(second.since()).isEqualTo(T0.plusMillis(9000));
        assertThat(second.packets()).as("from the read before it began").isEqualTo(20);
        assertThat(watch.latest()).isEqualTo(second);
    }
}
