package io.quicxdp.datapath.internal.bpf;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R10;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R3;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R4;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R6;

import io.quicxdp.datapath.internal.bpf.BpfAssembler.AluOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalInt;

/**
 * Reads which slots of an XSKMAP hold a socket, and which receive queue each socket is bound to.
 *
 * <p>User space cannot look up XSKMAP elements ({@code BPF_MAP_LOOKUP_ELEM} fails with {@code EOPNOTSUPP}),
 * but an XDP program can: {@code bpf_map_lookup_elem} on an XSKMAP gives a {@code struct bpf_xdp_sock}, whose
 * {@code queue_id} it may read. So this loads a tiny program against the map and asks it through
 * {@code BPF_PROG_TEST_RUN}, which changes nothing anywhere: the key goes in the first 4 bytes of a dummy
 * frame, and the program writes a found flag and the queue id into bytes 4 and 8 of it.
 *
 * <p>The program holds a reference to the map until {@link #close()}.
 */
public final class XskMapProbe implements AutoCloseable {

    /** The shortest frame a test run accepts (an Ethernet header); room for key, flag and queue id. */
    private static final int FRAME_LENGTH = 14;

    private final XdpProgram program;

    private XskMapProbe(XdpProgram program) {
        this.program = program;
    }

    /**
     * Loads the probe for {@code xskMap}; the map may be opened read-only.
     *
     * @throws BpfSetupException ({@link BpfSetupException.Problem#WRONG_OBJECT}) when it is not an XSKMAP (whose
     *         keys and values the kernel fixes at 4 bytes)
     */
    public static XskMapProbe load(BpfMap xskMap) throws IOException {
        xskMap.requireXskMap();
        return new XskMapProbe(XdpProgram.load("qx_xsk_probe", instructions(xskMap.fd()), "GPL"));
    }

    /**
     * The receive queue of the socket at {@code key}, or empty when the slot holds none (or {@code key} is
     * beyond the map).
     */
    public OptionalInt queueIdAt(int key) throws NativeIoException {
        byte[] frame = new byte[FRAME_LENGTH];
        ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder()).putInt(0, key);
        ByteBuffer out = ByteBuffer.wrap(program.testRun(frame).frame()).order(ByteOrder.nativeOrder());
        return out.getInt(4) == 1 ? OptionalInt.of(out.getInt(8)) : OptionalInt.empty();
    }

    /** Whether the slot at {@code key} holds a socket. */
    public boolean isOccupied(int key) throws NativeIoException {
        return queueIdAt(key).isPresent();
    }

    /** Unloads the probe; later calls do nothing. */
    @Override
    public void close() {
        program.close();
    }

    private static long[] instructions(int mapFd) {
        return new BpfAssembler()
                // R6 = data, R3 = data_end: struct xdp_md's first two fields
                .load(Size.WORD, R3, R1, 4)
                .load(Size.WORD, R6, R1, 0)
                .mov64Reg(R4, R6)
                .alu64(AluOp.ADD, R4, 12)
                .jumpReg(JumpOp.JGT, R4, R3, "out")
                // the key, copied to the stack for the lookup helper
                .load(Size.WORD, R1, R6, 0)
                .store(Size.WORD, R10, -4, R1)
                .loadMapFd(R1, mapFd)
                .mov64Reg(R2, R10)
                .alu64(AluOp.ADD, R2, -4)
                .call(BpfAssembler.HELPER_MAP_LOOKUP_ELEM)
                .jump(JumpOp.JEQ, R0, 0, "empty")
                // R0 is a struct bpf_xdp_sock *: queue_id is its first field
                .load(Size.WORD, R1, R0, 0)
                .store(Size.WORD, R6, 8, R1)
                .storeImm(Size.WORD, R6, 4, 1)
                .jumpAlways("out")
                .label("empty")
                .storeImm(Size.WORD, R6, 4, 0)
                .label("out")
                .mov64(R0, XdpAction.PASS)
                .exit()
                .assemble();
    }
}
