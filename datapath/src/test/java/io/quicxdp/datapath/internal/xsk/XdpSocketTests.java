package io.quicxdp.datapath.internal.xsk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.testing.VethNamespace;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** AF_XDP sockets on a real veth queue. */
class XdpSocketTests {

    private static final XskParameters SMALL = new XskParameters(256, 2048, 128, 128, 128, 128, BindMode.AUTO,
            true);

    private VethNamespace net;

    private int ifindex;

    @BeforeEach
    void createNetwork() throws Exception {
        net = VethNamespace.create(2);
        ifindex = InterfaceIndexes.of(net.appInterface());
    }

    @AfterEach
    void removeNetwork() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void bindsEachQueueInCopyModeOnVeth() throws Exception {
        try (XdpSocket q0 = XdpSocket.open(ifindex, 0, SMALL, Duration.ZERO);
                XdpSocket q1 = XdpSocket.open(ifindex, 1, SMALL, Duration.ZERO)) {
            assertThat(q0.zeroCopy()).isFalse();
            assertThat(q1.queueId()).isEqualTo(1);
            assertThat(q0.statistics().rxDropped()).isZero();
            assertThat(q0.txInFlight()).isZero();
            assertThat(q0.acquireTxFrame()).isGreaterThanOrEqualTo((long) SMALL.rxFrames() * SMALL.frameSize());
        }
    }

    @Test
    void secondSocketOnTheSameQueueIsRefusedWithEbusy() throws Exception {
        try (XdpSocket first = XdpSocket.open(ifindex, 0, SMALL, Duration.ZERO)) {
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> XdpSocket.open(ifindex, 0, SMALL, Duration.ofMillis(50)))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
            assertThat(first.isClosed()).isFalse();
        }
    }

    @Test
    void queueCanBeBoundAgainRightAfterClose() throws Exception {
        for (int round = 0; round < 5; round++) {
            XdpSocket socket = XdpSocket.open(ifindex, 1, SMALL, Duration.ofSeconds(2));
            socket.close();
            socket.close();
        }
    }

    @Test
    void zeroCopyRequiredFailsOnACopyModeDriver() {
        XskParameters zeroCopy = new XskParameters(256, 2048, 128, 128, 128, 128, BindMode.ZERO_COPY, true);
        assertThatExceptionOfType(NativeIoException.class)
                .isThrownBy(() -> XdpSocket.open(ifindex, 0, zeroCopy, Duration.ZERO))
                .satisfies(e -> assertThat(e.operation()).isEqualTo("bind(AF_XDP)"));
    }

    @Test
    void oneWakeUpMaySendTheWholeTxRingWhereTheKernelLetsTheBudgetBeRaised() throws Exception {
        // XDP_MAX_TX_SKB_BUDGET came with Linux 6.17; before, copy mode sends 32 descriptors per wake-up
        String[] release = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(release[0]);
        int minor = Integer.parseInt(release[1]);
        boolean raisable = major > 6 || (major == 6 && minor >= 17);
        try (XdpSocket socket = XdpSocket.open(ifindex, 0, SMALL, Duration.ZERO)) {
            assertThat(socket.txBudget()).isEqualTo(raisable ? SMALL.txRingSize() : XdpSocket.DEFAULT_TX_BUDGET);
        }
    }
}
