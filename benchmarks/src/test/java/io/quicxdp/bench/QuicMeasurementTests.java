package io.quicxdp.bench;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuicMeasurementTests {

    @Test
    void readsTimesAndNameOfAStatLineWhoseNameHoldsSpacesAndParentheses() {
        String stat = "4242 (C2 CompilerThre) S 1 4242 4242 0 -1 4194368 5000 0 0 0 250 30 0 0 20 0 30 0 100 "
                + "1000000 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 -1 1 0 0 0 0 0";
        assertThat(ThreadCpu.comm(stat)).isEqualTo("C2 CompilerThre");
        assertThat(ThreadCpu.times(stat)).containsExactly(2_500_000_000L, 300_000_000L);
        assertThat(ThreadCpu.isJit(ThreadCpu.comm(stat))).isTrue();
        String odd = "77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 7 9 0 0 20 0 1 0 1 1 1";
        assertThat(ThreadCpu.comm(odd)).isEqualTo("a) b (c");
        assertThat(ThreadCpu.times(odd)).containsExactly(70_000_000L, 90_000_000L);
        assertThat(ThreadCpu.isJit("quic-server-xdp")).isFalse();
    }

    @Test
    void readsVoluntarySwitches() {
        assertThat(ThreadCpu.voluntarySwitches("Name:\tx\nvoluntary_ctxt_switches:\t1234\n"
                + "nonvoluntary_ctxt_switches:\t5\n")).isEqualTo(1234);
        assertThatIllegalArgumentException().isThrownBy(() -> ThreadCpu.voluntarySwitches("Name:\tx\n"));
    }

    @Test
    void readsTheCurrentProcess() throws Exception {
        long pid = ProcessHandle.current().pid();
        ThreadCpu cpu = ThreadCpu.read(pid, pid);
        assertThat(cpu.process()).isPositive();
        assertThat(cpu.loopWakeups()).isNotNegative();
    }

    @Test
    void parsesSnapshotsAndTheClientCore() throws Exception {
        assertThat(QuicBenchRunner.snapFields("snap alloc=5 loopTid=77 quic.lost=0"))
                .containsExactly(Map.entry("alloc", 5L), Map.entry("loopTid", 77L), Map.entry("quic.lost", 0L));
        assertThatThrownBy(() -> QuicBenchRunner.snapFields("snap 1 2 3")).hasMessageContaining("not a snapshot");
        assertThatThrownBy(() -> QuicBenchRunner.snapFields("snap alloc=1")).hasMessageContaining("without loopTid");
        String procStat = "cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 5 1 4 40 10 2 3 0 0 0\ncpu1 5 0 6 60 0 0 0 0 0 0\n";
        assertThat(QuicBenchRunner.coreTicks(procStat, "0")).containsExactly(15L, 65L);
        assertThat(QuicBenchRunner.coreTicks(procStat, "1")).containsExactly(11L, 71L);
        String interrupts = "           CPU0       CPU1       \n"
                + " LOC:      100        200   Local timer interrupts\n"
                + " RES:       10         20   Rescheduling interrupts\n"
                + " CAL:        3          4   Function call interrupts\n";
        assertThat(QuicBenchRunner.ipis(interrupts, "0")).isEqualTo(13L);
        assertThat(QuicBenchRunner.ipis(interrupts, "1")).isEqualTo(24L);
        assertThatIllegalArgumentException().isThrownBy(() -> QuicBenchRunner.ipis(interrupts, "2"));
    }

    @Test
    void selectsCellsByIdAndRefusesUnknownOnes() {
        assertThat(QuicBenchRunner.selectCells(null)).isEqualTo(QuicBenchRunner.CELLS);
        assertThat(QuicBenchRunner.selectCells("paced,requests")).extracting(QuicBenchRunner.Cell::id)
                .containsExactly("requests", "paced");
        assertThatIllegalArgumentException().isThrownBy(() -> QuicBenchRunner.selectCells("bulk"))
                .withMessageContaining("QUIC_CELLS");
    }

    @Test
    void worksOutPerMegabyteFigures() {
        Map<String, String> result = Map.of("completed", "2", "failed", "0", "bytes", "20000000", "seconds", "2.000",
                "p50us", "900", "p99us", "1500", "rttus", "250");
        // 0.5 s of CPU of which 0.1 s system; the loop 0.3 s user + 0.1 s system and 2000 wake-ups; JIT 10 ms
        ThreadCpu cpu = new ThreadCpu(400_000_000, 100_000_000, 300_000_000, 100_000_000, 2000, 10_000_000);
        Map<String, Long> before = Map.of("alloc", 1000L, "loopTid", 1L, "xdp.txPackets", 0L, "xdp.txKicks", 0L,
                "quic.sent", 0L, "quic.lost", 0L);
        Map<String, Long> after = Map.of("alloc", 21_001_000L, "loopTid", 1L, "xdp.txPackets", 18_000L,
                "xdp.txKicks", 600L, "quic.sent", 18_000L, "quic.lost", 18L, "quic.rttNanos", 300_000L);
        QuicSample sample = QuicSample.of(true, result, cpu, before, after, 4000,
                new QuicSample.Cores(0.75, 600, 100));
        assertThat(sample.get(QuicSample.MBPS)).isEqualTo(10.0);
        assertThat(sample.get(QuicSample.CPU)).isEqualTo(25_000_000.0);
        assertThat(sample.get(QuicSample.LOOP_USER)).isEqualTo(15_000_000.0);
        assertThat(sample.get(QuicSample.LOOP_SYSTEM)).isEqualTo(5_000_000.0);
        assertThat(sample.get(QuicSample.JIT)).isEqualTo(500_000.0);
        assertThat(sample.get(QuicSample.WAKEUPS)).isEqualTo(100.0);
        assertThat(sample.get(QuicSample.RX_DATAGRAMS)).isEqualTo(200.0);
        assertThat(sample.get(QuicSample.KICKS)).isEqualTo(30.0);
        assertThat(sample.get(QuicSample.PER_KICK)).isEqualTo(30.0);
        assertThat(sample.get(QuicSample.LOSS)).isEqualTo(0.1);
        assertThat(sample.get(QuicSample.RTT)).isEqualTo(250.0);
        assertThat(sample.get(QuicSample.SERVER_RTT)).isEqualTo(300.0);
        assertThat(sample.get(QuicSample.ALLOC)).isEqualTo(1_050_000.0);
        assertThat(sample.get(QuicSample.BUSY)).isEqualTo(0.25);
        assertThat(sample.get(QuicSample.SYSTEM)).isEqualTo(0.2);
        assertThat(sample.get(QuicSample.CLIENT_BUSY)).isEqualTo(0.75);
        assertThat(sample.get(QuicSample.SERVER_IPIS)).isEqualTo(30.0);
        assertThat(sample.get(QuicSample.CLIENT_IPIS)).isEqualTo(5.0);
    }

    @Test
    void aServerWithoutSnapshotsHasNoJitAllocationKicksNorLoss() {
        Map<String, String> result = Map.of("completed", "1000", "failed", "3", "bytes", "100000", "seconds", "1.000",
                "p50us", "900", "p99us", "1500", "rttus", "0");
        ThreadCpu cpu = new ThreadCpu(10_000_000, 0, 10_000_000, 0, 10, 0);
        QuicSample sample = QuicSample.of(false, result, cpu, Map.of(), Map.of(), 1500,
                new QuicSample.Cores(0.5, 0, 0));
        assertThat(sample.get(QuicSample.CPU)).isEqualTo(10_000.0);
        assertThat(sample.get(QuicSample.RX_DATAGRAMS)).isEqualTo(1.5);
        assertThat(sample.get(QuicSample.JIT)).isNaN();
        assertThat(sample.get(QuicSample.ALLOC)).isNaN();
        assertThat(sample.get(QuicSample.KICKS)).isNaN();
        assertThat(sample.get(QuicSample.LOSS)).isNaN();
        assertThat(sample.get(QuicSample.RTT)).isNaN();
        assertThat(sample.failed()).isEqualTo(3);
    }
}
