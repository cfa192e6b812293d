package io.quicxdp.datapath.internal.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.VethNamespace;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class XskMapProbeTests {

    @Test
    void seesASocketWithItsQueueAndSeesItGoWhenTheSocketCloses() throws Exception {
        try (VethNamespace net = VethNamespace.create(2);
                BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                XskMapProbe probe = XskMapProbe.load(map)) {
            assertThat(probe.queueIdAt(1)).isEmpty();
            TestXdpSocket socket = TestXdpSocket.bound(InterfaceIndexes.of(net.appInterface()), 1);
            try {
                map.update(1, socket.fd(), BpfMap.BPF_NOEXIST);
                assertThat(probe.queueIdAt(1)).isEqualTo(OptionalInt.of(1));
                assertThat(probe.isOccupied(1)).isTrue();
                assertThat(probe.isOccupied(0)).isFalse();
            }
            finally {
                socket.close();
            }
            // releasing the socket removes it from every map holding it
            assertThat(waitUntilEmpty(probe, 1)).isTrue();
        }
    }

    @Test
    void unboundSocketsCanBeInsertedAndShowQueueZero() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                XskMapProbe probe = XskMapProbe.load(map);
                TestXdpSocket socket = TestXdpSocket.unbound()) {
            map.update(2, socket.fd(), BpfMap.BPF_ANY);
            assertThat(probe.queueIdAt(2)).isEqualTo(OptionalInt.of(0));
            map.delete(2);
            assertThat(probe.queueIdAt(2)).isEmpty();
        }
    }

    @Test
    void keysBeyondTheMapAreEmpty() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                XskMapProbe probe = XskMapProbe.load(map)) {
            assertThat(probe.queueIdAt(4)).isEmpty();
            assertThat(probe.queueIdAt(-1)).isEmpty();
        }
    }

    @Test
    void worksThroughAReadOnlyDescriptorOfAPinnedMap() throws Exception {
        try (TestPinDirectory pins = TestPinDirectory.create();
                TestXdpSocket socket = TestXdpSocket.unbound()) {
            Path pin = pins.resolve("xsks");
            try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks")) {
                map.pin(pin);
                map.update(3, socket.fd(), BpfMap.BPF_ANY);
            }
            try (BpfMap readOnly = BpfMap.openPinned(pin, PinAccess.READ_ONLY);
                    XskMapProbe probe = XskMapProbe.load(readOnly)) {
                assertThat(probe.isOccupied(3)).isTrue();
                assertThat(probe.isOccupied(0)).isFalse();
            }
        }
    }

    @Test
    void refusesMapsOfOtherTypes() throws Exception {
        KernelSupport.assumeAvailable();
        try (BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 4, "qx_test_array")) {
            assertThatExceptionOfType(BpfSetupException.class).isThrownBy(() -> XskMapProbe.load(array))
                    .satisfies(e -> {
                        assertThat(e.problem()).isEqualTo(BpfSetupException.Problem.WRONG_OBJECT);
                        assertThat(e.getMessage()).contains("ARRAY").contains("not an XSKMAP");
                    });
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        KernelSupport.assumeAvailable();
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks")) {
            XskMapProbe probe = XskMapProbe.load(map);
            probe.close();
            probe.close();
        }
    }

    private static boolean waitUntilEmpty(XskMapProbe probe, int key) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            if (!probe.isOccupied(key)) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
