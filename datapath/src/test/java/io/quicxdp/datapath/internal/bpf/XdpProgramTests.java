package io.quicxdp.datapath.internal.bpf;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R3;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.internal.bpf.BpfAssembler.AluOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import io.quicxdp.datapath.internal.linux.BpfLoadException;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.VethNamespace;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class XdpProgramTests {

    private static long[] returning(int action) {
        return new BpfAssembler().mov64(R0, action).exit().assemble();
    }

    @BeforeEach
    void needsTheKernel() {
        KernelSupport.assumeAvailable();
    }

    @Test
    void refusedProgramReportsTheVerifierLogTail() {
        // R0 is never set before exit
        long[] program = new BpfAssembler().exit().assemble();
        assertThatExceptionOfType(BpfLoadException.class)
                .isThrownBy(() -> XdpProgram.load("qx_test_bad", program, "GPL"))
                .satisfies(e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EACCES);
                    assertThat(e.operation()).isEqualTo("bpf(BPF_PROG_LOAD qx_test_bad)");
                    assertThat(e.verifierLog()).contains("R0 !read_ok");
                    assertThat(e.getMessage()).startsWith("bpf(BPF_PROG_LOAD qx_test_bad) failed: EACCES")
                            .contains("verifier log").contains("R0 !read_ok");
                });
    }

    @Test
    void uncheckedPacketAccessIsRefusedWithTheVerifiersReason() {
        long[] program = new BpfAssembler()
                .load(Size.WORD, R2, R1, 0)
                .load(Size.BYTE, R0, R2, 0)
                .exit()
                .assemble();
        assertThatExceptionOfType(BpfLoadException.class)
                .isThrownBy(() -> XdpProgram.load("qx_test_bad", program, "GPL"))
                .satisfies(e -> assertThat(e.getMessage()).contains("invalid access to packet"));
    }

    @Test
    void namesTheKernelWouldRefuseAreRefusedUpFront() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> XdpProgram.load("name-with-dash", returning(XdpAction.PASS), "GPL"));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> XdpProgram.load("a_name_longer_than_15", returning(XdpAction.PASS), "GPL"));
    }

    @Test
    void testRunReturnsTheActionAndTheFrameAsTheProgramLeftIt() throws Exception {
        // writes 0xab into the first byte of the frame, bounds-checked, and drops it
        long[] program = new BpfAssembler()
                .load(Size.WORD, R2, R1, 0)
                .load(Size.WORD, R3, R1, 4)
                .mov64Reg(R1, R2)
                .alu64(AluOp.ADD, R1, 1)
                .jumpReg(JumpOp.JGT, R1, R3, "out")
                .storeImm(Size.BYTE, R2, 0, 0xab)
                .label("out")
                .mov64(R0, XdpAction.DROP)
                .exit()
                .assemble();
        try (XdpProgram xdp = XdpProgram.load("qx_test_write", program, XdpProgram.DUAL_BSD_GPL)) {
            assertThat(xdp.name()).isEqualTo("qx_test_write");
            assertThat(xdp.id()).isPositive();
            XdpTestResult result = xdp.testRun(new byte[20]);
            assertThat(result.action()).isEqualTo(XdpAction.DROP);
            assertThat(result.frame()).hasSize(20).startsWith((byte) 0xab, (byte) 0);
        }
    }

    @Test
    void testRunNeedsAnEthernetHeaderAndAnExistingQueue() throws Exception {
        try (XdpProgram xdp = XdpProgram.load("qx_test_pass", returning(XdpAction.PASS), "GPL")) {
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> xdp.testRun(new byte[13]))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            int loopback = InterfaceIndexes.of("lo");
            assertThat(xdp.testRun(new byte[14], loopback, 0).action()).isEqualTo(XdpAction.PASS);
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> xdp.testRun(new byte[14], loopback, 5))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }

    @Test
    void attachesInGenericModeThroughALinkAndDetachesOnClose() throws Exception {
        try (VethNamespace net = VethNamespace.create(1);
                XdpProgram xdp = XdpProgram.load("qx_test_pass", returning(XdpAction.PASS), "GPL")) {
            int ifindex = InterfaceIndexes.of(net.appInterface());
            XdpLink link = xdp.attach(ifindex, XdpAttachMode.GENERIC);
            try {
                assertThat(link.ifindex()).isEqualTo(ifindex);
                // iproute2 names the mode on the first line and the program in the details
                assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface()))
                        .contains(" xdpgeneric ").contains("prog/xdp id " + xdp.id() + " ");
                // a second program in the same mode is refused while the link holds the interface
                try (XdpProgram other = XdpProgram.load("qx_test_pass", returning(XdpAction.PASS), "GPL")) {
                    assertThatExceptionOfType(NativeIoException.class)
                            .isThrownBy(() -> other.attach(ifindex, XdpAttachMode.GENERIC))
                            .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
                }
            }
            finally {
                link.close();
            }
            link.close();
            assertThat(Commands.run("ip", "-d", "link", "show", "dev", net.appInterface())).doesNotContain("xdp");
        }
    }
}
