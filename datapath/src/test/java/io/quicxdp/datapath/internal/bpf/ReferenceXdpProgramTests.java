package io.quicxdp.datapath.internal.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.internal.bpf.BpfSetupException.Problem;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ReferenceXdpProgramTests {

    private static final int PORT = TestPorts.ECHO;
    private static final int SECOND_PORT = 853;
    private static final int OTHER_PORT = TestPorts.UNREDIRECTED;
    private static final Set<Integer> PORTS = Set.of(PORT, SECOND_PORT);

    /**
     * Test runs against a map whose slot 0 (a test run's receive queue) holds an AF_XDP socket. The kernel
     * accepts an unbound socket there, and a test run only reports the redirect, so none is bound.
     */
    @Nested
    class TestRuns {

        private BpfMap map;

        private XdpProgram program;

        private TestXdpSocket socket;

        @BeforeEach
        void load() throws Exception {
            KernelSupport.assumeAvailable();
            map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
            program = ReferenceXdpProgram.load(map, PORTS);
            socket = TestXdpSocket.unbound();
            map.update(0, socket.fd(), BpfMap.BPF_ANY);
        }

        @AfterEach
        void unload() {
            if (socket != null) {
                socket.close();
            }
            if (program != null) {
                program.close();
            }
            if (map != null) {
                map.close();
            }
        }

        @Test
        void redirectsUdpToListedPortsOverIpv4AndIpv6() throws Exception {
            assertAction(TestFrames.ipv4Udp(PORT, 0), XdpAction.REDIRECT);
            assertAction(TestFrames.ipv4Udp(SECOND_PORT, 0), XdpAction.REDIRECT);
            assertAction(TestFrames.ipv6Udp(PORT), XdpAction.REDIRECT);
            assertAction(TestFrames.ipv6Udp(SECOND_PORT), XdpAction.REDIRECT);
        }

        @Test
        void redirectsIpv4WithOptionsUpToTheLongestHeader() throws Exception {
            for (int optionWords = 1; optionWords <= 10; optionWords++) {
                assertAction(TestFrames.ipv4Udp(PORT, optionWords), XdpAction.REDIRECT);
                assertAction(TestFrames.ipv4Udp(OTHER_PORT, optionWords), XdpAction.PASS);
            }
        }

        @Test
        void passesOtherPortsAndProtocols() throws Exception {
            assertAction(TestFrames.ipv4Udp(OTHER_PORT, 0), XdpAction.PASS);
            assertAction(TestFrames.ipv6Udp(OTHER_PORT), XdpAction.PASS);
            assertAction(TestFrames.ipv4Tcp(PORT), XdpAction.PASS);
            assertAction(TestFrames.ipv6(TestFrames.IPPROTO_TCP, new byte[20]), XdpAction.PASS);
            assertAction(TestFrames.arp(), XdpAction.PASS);
            // the port in the source port position must not match: swap the ports around
            byte[] swapped = TestFrames.ipv4Udp(OTHER_PORT, 0);
            swapped[34] = (byte) (PORT >> 8);
            swapped[35] = (byte) PORT;
            assertAction(swapped, XdpAction.PASS);
        }

        @Test
        void passesFragmentsToTheKernelWhichReassemblesThem() throws Exception {
            assertAction(TestFrames.ipv4UdpFragment(PORT, 185), XdpAction.PASS);
            assertAction(TestFrames.ipv4UdpFragment(PORT, TestFrames.IPV4_MORE_FRAGMENTS), XdpAction.PASS);
            assertAction(TestFrames.ipv6UdpFragment(PORT), XdpAction.PASS);
            // "don't fragment" is not a fragment
            assertAction(TestFrames.ipv4UdpFragment(PORT, 0x4000), XdpAction.REDIRECT);
        }

        @Test
        void passesMalformedIpv4Headers() throws Exception {
            assertAction(TestFrames.ipv4WithVersionAndIhl(0x44, PORT), XdpAction.PASS);
            assertAction(TestFrames.ipv4WithVersionAndIhl(0x65, PORT), XdpAction.PASS);
            byte[] ipv6InIpv4EtherType = TestFrames.ipv6Udp(PORT);
            ipv6InIpv4EtherType[12] = 0x08;
            ipv6InIpv4EtherType[13] = 0x00;
            assertAction(ipv6InIpv4EtherType, XdpAction.PASS);
        }

        @Test
        void passesFramesTruncatedInsideAnyHeaderAndRedirectsFromTheFullUdpHeaderOn() throws Exception {
            assertTruncations(TestFrames.ipv4Udp(PORT, 0), 14 + 20 + 8);
            assertTruncations(TestFrames.ipv4Udp(PORT, 3), 14 + 32 + 8);
            assertTruncations(TestFrames.ipv4Udp(PORT, 10), 14 + 60 + 8);
            assertTruncations(TestFrames.ipv6Udp(PORT), 14 + 40 + 8);
        }

        @Test
        void theKernelRefusesFramesShorterThanAnEthernetHeader() {
            byte[] frame = TestFrames.ipv4Udp(PORT, 0);
            for (int length = 0; length < 14; length++) {
                byte[] truncated = Arrays.copyOf(frame, length);
                assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> program.testRun(truncated))
                        .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            }
        }

        @Test
        void anEmptySlotFallsBackToPass() throws Exception {
            map.delete(0);
            assertAction(TestFrames.ipv4Udp(PORT, 0), XdpAction.PASS);
            assertAction(TestFrames.ipv6Udp(PORT), XdpAction.PASS);
        }

        @Test
        void leavesTheFrameUnchanged() throws Exception {
            byte[] frame = TestFrames.ipv4Udp(PORT, 2);
            assertThat(program.testRun(frame).frame()).isEqualTo(frame);
        }

        private void assertTruncations(byte[] frame, int headersEnd) throws Exception {
            for (int length = 14; length < headersEnd; length++) {
                assertThat(program.testRun(Arrays.copyOf(frame, length)).action())
                        .as("frame cut to %d bytes", length).isEqualTo(XdpAction.PASS);
            }
            for (int length = headersEnd; length <= frame.length; length++) {
                assertThat(program.testRun(Arrays.copyOf(frame, length)).action())
                        .as("frame cut to %d bytes", length).isEqualTo(XdpAction.REDIRECT);
            }
        }

        private void assertAction(byte[] frame, int expected) throws Exception {
            int action = program.testRun(frame).action();
            assertThat(XdpAction.nameOf(action)).isEqualTo(XdpAction.nameOf(expected));
        }
    }

    @Test
    void redirectsToTheSlotOfTheReceiveQueue() throws Exception {
        try (VethNamespace net = VethNamespace.create(2);
                BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                XdpProgram program = ReferenceXdpProgram.load(map, PORTS);
                TestXdpSocket socket = TestXdpSocket.unbound()) {
            int ifindex = InterfaceIndexes.of(net.appInterface());
            byte[] frame = TestFrames.ipv4Udp(PORT, 0);
            map.update(0, socket.fd(), BpfMap.BPF_ANY);
            assertThat(program.testRun(frame, ifindex, 1).action()).isEqualTo(XdpAction.PASS);
            map.update(1, socket.fd(), BpfMap.BPF_ANY);
            map.delete(0);
            assertThat(program.testRun(frame, ifindex, 1).action()).isEqualTo(XdpAction.REDIRECT);
            assertThat(program.testRun(frame, ifindex, 0).action()).isEqualTo(XdpAction.PASS);
        }
    }

    @Test
    void installAttachesPinsAndCloseUndoesBoth() throws Exception {
        try (VethNamespace net = VethNamespace.create(2)) {
            Path pin = net.pinPath("xsks");
            InstalledReferenceProgram installed = ReferenceXdpProgram.install(net.appInterface(), PORTS, pin);
            try {
                assertThat(installed.mapPinPath()).isEqualTo(pin);
                assertThat(installed.interfaceName()).isEqualTo(net.appInterface());
                assertThat(installed.udpPorts()).isEqualTo(PORTS);
                assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface()))
                        .contains("prog/xdp id " + installed.programId() + " name " + ReferenceXdpProgram.PROGRAM_NAME);
                try (BpfMap pinned = BpfMap.openPinned(pin)) {
                    BpfMapInfo info = pinned.info();
                    assertThat(info.id()).isEqualTo(installed.mapId());
                    assertThat(info.is(BpfMapType.XSKMAP)).isTrue();
                    assertThat(info.maxEntries()).isEqualTo(ReferenceXdpProgram.DEFAULT_MAX_ENTRIES);
                    assertThat(info.name()).isEqualTo(ReferenceXdpProgram.MAP_NAME);
                }
            }
            finally {
                installed.close();
            }
            installed.close();
            assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface())).doesNotContain("xdp");
            assertThat(pin).doesNotExist();
        }
    }

    @Test
    void installRefusesAnInterfaceThatHasAProgramAndLeavesNothingBehind() throws Exception {
        try (VethNamespace net = VethNamespace.create(1);
                InstalledReferenceProgram first = ReferenceXdpProgram.install(net.appInterface(), PORTS,
                        net.pinPath("first"), 4)) {
            Path second = net.pinPath("second");
            assertThatExceptionOfType(BpfSetupException.class)
                    .isThrownBy(() -> ReferenceXdpProgram.install(net.appInterface(), PORTS, second))
                    .satisfies(e -> {
                        assertThat(e.problem()).isEqualTo(Problem.INTERFACE_BUSY);
                        assertThat(e.getMessage()).contains(net.appInterface());
                    });
            assertThat(second).doesNotExist();
            assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface()))
                    .contains("prog/xdp id " + first.programId() + " ");
        }
    }

    @Test
    void installRefusesAnExistingPinAndLeavesItAlone() throws Exception {
        try (VethNamespace net = VethNamespace.create(1)) {
            Path pin = net.pinPath("taken");
            try (BpfMap other = BpfMap.create(BpfMapType.ARRAY, 4, 4, 1, "qx_test_array")) {
                other.pin(pin);
            }
            assertThatExceptionOfType(BpfSetupException.class)
                    .isThrownBy(() -> ReferenceXdpProgram.install(net.appInterface(), PORTS, pin))
                    .satisfies(e -> {
                        assertThat(e.problem()).isEqualTo(Problem.PIN_EXISTS);
                        assertThat(e.getMessage()).contains(pin.toString());
                    });
            try (BpfMap stillThere = BpfMap.openPinned(pin)) {
                assertThat(stillThere.info().typeName()).isEqualTo("ARRAY");
            }
            assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface())).doesNotContain("xdp");
        }
    }

    @Test
    void installNamesAMissingInterfaceAndAPinPathOffBpffs() throws Exception {
        try (TestPinDirectory pins = TestPinDirectory.create()) {
            assertThatExceptionOfType(BpfSetupException.class)
                    .isThrownBy(() -> ReferenceXdpProgram.install("qx-no-such-if", PORTS, pins.resolve("xsks")))
                    .satisfies(e -> {
                        assertThat(e.problem()).isEqualTo(Problem.INTERFACE_MISSING);
                        assertThat(e.getMessage()).contains("qx-no-such-if");
                    });
            Path offBpffs = Files.createTempDirectory("quicxdp-not-bpffs");
            try {
                assertThatExceptionOfType(BpfSetupException.class)
                        .isThrownBy(() -> ReferenceXdpProgram.install("lo", PORTS, offBpffs.resolve("xsks")))
                        .satisfies(e -> {
                            assertThat(e.problem()).isEqualTo(Problem.NOT_ON_BPFFS);
                            assertThat(e.getMessage()).contains("not on bpffs").contains("mount -t bpf");
                        });
            }
            finally {
                Files.delete(offBpffs);
            }
            assertThatExceptionOfType(BpfSetupException.class)
                    .isThrownBy(() -> ReferenceXdpProgram.install("lo", PORTS, pins.resolve("missing/xsks")))
                    .satisfies(e -> {
                        assertThat(e.problem()).isEqualTo(Problem.NOT_ON_BPFFS);
                        assertThat(e.getMessage()).contains("does not exist");
                    });
        }
    }

    @Test
    void theVerifierAcceptsTheMostPorts() throws Exception {
        KernelSupport.assumeAvailable();
        Set<Integer> ports = IntStream.rangeClosed(1, ReferenceXdpProgram.MAX_PORTS).map(i -> 60000 - i).boxed()
                .collect(Collectors.toSet());
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 1, "qx_test_xsks");
                XdpProgram program = ReferenceXdpProgram.load(map, ports);
                TestXdpSocket socket = TestXdpSocket.unbound()) {
            map.update(0, socket.fd(), BpfMap.BPF_ANY);
            assertThat(program.testRun(TestFrames.ipv6Udp(60000 - ReferenceXdpProgram.MAX_PORTS)).action())
                    .isEqualTo(XdpAction.REDIRECT);
            assertThat(program.testRun(TestFrames.ipv6Udp(60000)).action()).isEqualTo(XdpAction.PASS);
        }
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 1, "qx_test_xsks")) {
            Set<Integer> tooMany = IntStream.rangeClosed(1, ReferenceXdpProgram.MAX_PORTS + 1).boxed()
                    .collect(Collectors.toSet());
            assertThatIllegalArgumentException().isThrownBy(() -> ReferenceXdpProgram.load(map, tooMany));
        }
    }

    @Test
    void loadRefusesMapsOtherThanXskmapsAndBadPorts() throws Exception {
        KernelSupport.assumeAvailable();
        try (BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 4, "qx_test_array")) {
            assertThatExceptionOfType(BpfSetupException.class)
                    .isThrownBy(() -> ReferenceXdpProgram.load(array, PORTS))
                    .satisfies(e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_OBJECT));
            assertThatIllegalArgumentException().isThrownBy(() -> ReferenceXdpProgram.load(array, Set.of()));
            assertThatIllegalArgumentException().isThrownBy(() -> ReferenceXdpProgram.load(array, Set.of(0)));
            assertThatIllegalArgumentException().isThrownBy(() -> ReferenceXdpProgram.load(array, Set.of(65536)));
        }
    }
}
