package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.Bpf;
import io.quicxdp.datapath.internal.linux.BpfLoadException;
import io.quicxdp.datapath.internal.linux.FileDescriptor;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A loaded XDP program, owning its file descriptor. The kernel keeps the program while it is attached or
 * referenced elsewhere; {@link #close()} releases this process's handle.
 */
public final class XdpProgram implements AutoCloseable {

    /** The license most XDP code ships under; either half lets the program call GPL-only helpers. */
    public static final String DUAL_BSD_GPL = "Dual BSD/GPL";

    /** {@code sizeof(struct xdp_md)}: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress. */
    private static final int XDP_MD_SIZE = 24;

    private final FileDescriptor fd;

    private final String name;


    private XdpProgram(int fd, String name) {
        this.fd = new FileDescriptor(fd, "BPF program");
        this.name = name;
    }

    /**
     * Loads a program of type {@code BPF_PROG_TYPE_XDP}.
     *
     * @param name at most 15 letters, digits, {@code _} or {@code .}
     * @param instructions the program, as {@link BpfAssembler#assemble()} gives it
     * @param license such as {@link #DUAL_BSD_GPL} or {@code "GPL"}
     * @throws BpfLoadException when the verifier refuses the program; its message ends with the log's tail
     */
    public static XdpProgram load(String name, long[] instructions, String license) throws NativeIoException {
        int fd = Bpf.progLoad(Bpf.PROG_TYPE_XDP, Bpf.ATTACH_TYPE_XDP, name, BpfAssembler.toBytes(instructions),
                license);
        return new XdpProgram(fd, name);
    }

    /** The name the program was loaded with. */
    public String name() {
        return name;
    }

    /** The program's system-wide id, as {@code ip link} and {@code bpftool prog show} list it. */
    public int id() throws NativeIoException {
        return Bpf.programInfo(fd.intValue()).id();
    }

    /**
     * Runs the program once on {@code frame} in the kernel without any interface ({@code BPF_PROG_TEST_RUN}),
     * as if received on queue 0. A redirect is only reported, not carried out.
     *
     * @param frame an Ethernet frame of at least 14 bytes
     */
    public XdpTestResult testRun(byte[] frame) throws NativeIoException {
        return result(Bpf.progTestRun(fd.intValue(), frame, 1, null));
    }

    /**
     * Runs the program once on {@code frame} as if received on receive queue {@code rxQueueIndex} of the
     * interface {@code ingressIfindex}, which must exist and have that queue.
     */
    public XdpTestResult testRun(byte[] frame, int ingressIfindex, int rxQueueIndex) throws NativeIoException {
        // struct xdp_md as input: data 0 and data_end = length describe the whole frame
        byte[] context = new byte[XDP_MD_SIZE];
        ByteBuffer.wrap(context).order(ByteOrder.nativeOrder()).putInt(4, frame.length).putInt(12, ingressIfindex)
                .putInt(16, rxQueueIndex);
        return result(Bpf.progTestRun(fd.intValue(), frame, 1, context));
    }

    /** Attaches the program to interface {@code ifindex} through a BPF link, in the driver's mode of choice. */
    public XdpLink attach(int ifindex) throws NativeIoException {
        return attach(ifindex, XdpAttachMode.DEFAULT);
    }

    /**
     * Attaches the program to interface {@code ifindex} through a BPF link.
     *
     * @throws NativeIoException {@code EBUSY} when another XDP program is attached there in the same mode
     */
    public XdpLink attach(int ifindex, XdpAttachMode mode) throws NativeIoException {
        return new XdpLink(Bpf.linkCreate(fd.intValue(), ifindex, Bpf.ATTACH_TYPE_XDP, mode.flags()), ifindex);
    }

    /** The file descriptor, valid until {@link #close()}. */
    public int fd() {
        return fd.intValue();
    }

    /** Releases this process's descriptor; later calls do nothing. */
    @Override
    public void close() {
        fd.close();
    }

    private static XdpTestResult result(Bpf.TestRunResult run) {
        return new XdpTestResult(run.returnValue(), run.dataOut());
    }
}
