package io.quicxdp.datapath.testing;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R10;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R3;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R4;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R5;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R6;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R7;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R8;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R9;

import io.quicxdp.datapath.internal.bpf.BpfAssembler;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.AluOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import io.quicxdp.datapath.internal.bpf.UdpParsing;
import io.quicxdp.datapath.internal.bpf.XdpAction;
import io.quicxdp.datapath.internal.bpf.XdpLink;
import io.quicxdp.datapath.internal.bpf.XdpProgram;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The operator's Initial rate limit of {@code docs/examples/initial_rate_limit.c}, assembled in Java for the tests:
 * the same decisions and the same maps, without clang. UDP datagrams to the port that begin with a QUIC version 1
 * Initial are let through at {@code rate} a second at most (a one-second window, over all queues) and the rest
 * dropped and counted; every other datagram to the port goes to the XSKMAP slot of its receive queue, or to the
 * kernel when the slot is empty, as the reference program sends it. The program is attached in the calling
 * thread's network namespace.
 */
public final class InitialRateLimitProgram implements AutoCloseable {

    /** The program's name, as {@code bpftool prog show} lists it. */
    public static final String PROGRAM_NAME = "qx_initial_rl";

    private static final int UDP_HEADER = 8;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** The window's value: its start, the Initials let through in it, the Initials dropped. */
    private static final int WINDOW_START = 0;
    private static final int WINDOW_COUNT = 8;
    private static final int WINDOW_DROPPED = 16;

    private final BpfMap window;

    private final XdpProgram program;

    private XdpLink link;

    private InitialRateLimitProgram(BpfMap window, XdpProgram program) {
        this.window = window;
        this.program = program;
    }

    /**
     * Creates the window's map and loads the program, not attached yet.
     *
     * @param xskMap the XSKMAP the rest of the port's datagrams are redirected into
     * @param port the QUIC service's UDP port
     * @param rate Initials let through a second
     */
    public static InitialRateLimitProgram load(BpfMap xskMap, int port, int rate) throws IOException {
        if (port < 1 || port > 65535 || rate < 0) {
            throw new IllegalArgumentException("UDP port " + port + " and rate " + rate + ": the port must be between "
                    + "1 and 65535, the rate not negative");
        }
        BpfMap window = BpfMap.create(BpfMapType.ARRAY, 4, 24, 1, "initial_limit");
        try {
            return new InitialRateLimitProgram(window, XdpProgram.load(PROGRAM_NAME,
                    instructions(xskMap.fd(), window.fd(), port, rate), XdpProgram.DUAL_BSD_GPL));
        }
        catch (IOException | RuntimeException ex) {
            window.close();
            throw ex;
        }
    }

    /** Attaches the program to {@code interfaceName} of the calling thread's network namespace, once. */
    public synchronized void attach(String interfaceName) throws IOException {
        if (link != null) {
            throw new IllegalStateException("already attached to interface " + link.ifindex());
        }
        link = program.attach(InterfaceIndexes.of(interfaceName));
    }

    /** Initials dropped since the program was loaded. */
    public long dropped() {
        return dropped(window);
    }

    /** Initials dropped, as {@code window} (the program's map {@code initial_limit}, or the C program's) counts. */
    public static long dropped(BpfMap window) {
        try {
            return ByteBuffer.wrap(window.lookup(new byte[4])).order(ByteOrder.nativeOrder()).getLong(WINDOW_DROPPED);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Detaches the program and releases its map. */
    @Override
    public synchronized void close() {
        if (link != null) {
            link.close();
        }
        program.close();
        window.close();
    }

    /**
     * R6 the context, R7 the frame's start, R8 its end, R4 the UDP header ({@link UdpParsing}), R9 the window's
     * value across the clock helper's call.
     */
    static long[] instructions(int xskMapFd, int windowFd, int port, int rate) {
        BpfAssembler asm = new BpfAssembler()
                .mov64Reg(R6, R1)
                .load(Size.WORD, R7, R6, 0)
                .load(Size.WORD, R8, R6, 4);
        UdpParsing.emit(asm, R7, R8, R4, R5, "pass", (ipv4) -> { }, (ipv6) -> { });

        asm.load(Size.HALF, R2, R4, 2)
                .toBigEndian(R2, 16)
                .jump(JumpOp.JNE, R2, port, "pass")
                // a long header of type Initial (1100xxxx), version 1
                .mov64Reg(R2, R4)
                .alu64(AluOp.ADD, R2, UDP_HEADER + 5)
                .jumpReg(JumpOp.JGT, R2, R8, "redirect")
                .load(Size.BYTE, R2, R4, UDP_HEADER)
                .alu64(AluOp.AND, R2, 0xf0)
                .jump(JumpOp.JNE, R2, 0xc0, "redirect")
                .load(Size.WORD, R2, R4, UDP_HEADER + 1)
                .toBigEndian(R2, 32)
                .jump(JumpOp.JNE, R2, 1, "redirect")
                // the window
                .storeImm(Size.WORD, R10, -4, 0)
                .loadMapFd(R1, windowFd)
                .mov64Reg(R2, R10)
                .alu64(AluOp.ADD, R2, -4)
                .call(BpfAssembler.HELPER_MAP_LOOKUP_ELEM)
                .jump(JumpOp.JEQ, R0, 0, "redirect")
                .mov64Reg(R9, R0)
                .call(BpfAssembler.HELPER_KTIME_GET_NS)
                .load(Size.DOUBLE, R2, R9, WINDOW_START)
                .mov64Reg(R3, R0)
                .alu64Reg(AluOp.SUB, R3, R2)
                .jump(JumpOp.JLT, R3, (int) NANOS_PER_SECOND, "counted")
                .store(Size.DOUBLE, R9, WINDOW_START, R0)
                .storeImm(Size.DOUBLE, R9, WINDOW_COUNT, 0);
        asm.label("counted")
                .load(Size.DOUBLE, R2, R9, WINDOW_COUNT)
                .jump(JumpOp.JGE, R2, rate, "drop")
                .mov64(R2, 1)
                .atomicAdd(Size.DOUBLE, R9, WINDOW_COUNT, R2)
                .jumpAlways("redirect");

        asm.label("drop")
                .mov64(R2, 1)
                .atomicAdd(Size.DOUBLE, R9, WINDOW_DROPPED, R2)
                .mov64(R0, XdpAction.DROP)
                .exit();
        return ReferenceXdpProgram.redirectByQueue(asm.label("redirect"), xskMapFd)
                .label("pass")
                .mov64(R0, XdpAction.PASS)
                .exit()
                .assemble();
    }
}
