package io.quicxdp.datapath.testing;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R10;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R3;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R4;
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
import io.quicxdp.datapath.internal.bpf.UdpParsing;
import io.quicxdp.datapath.internal.bpf.XdpAction;
import io.quicxdp.datapath.internal.bpf.XdpLink;
import io.quicxdp.datapath.internal.bpf.XdpProgram;
import io.quicxdp.datapath.internal.bpf.XdpTestResult;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference QUIC load balancer of {@code docs/examples/quic_lb.c}, assembled in Java for the tests: the same
 * decisions, the same maps, the same hash, without clang. On the interface clients reach, UDP datagrams to the
 * service port go to a backend:
 *
 * <ul>
 * <li>a short-header QUIC packet (first bit 0) whose destination connection ID is QUIC-LB plaintext, with
 * config-rotation bits other than {@code 0b111} and a server ID at its octets 1 to {@code serverIdLength}
 * that the server-ID map knows: to that server ID's backend slot;</li>
 * <li>anything else to the port (long headers, unroutable or unknown connection IDs, datagrams too short to
 * hold a server ID, not QUIC at all): to the slot {@link #hashSlot} picks from the addresses and ports, among
 * the configured number of backends.</li>
 * </ul>
 *
 * <p>The frame leaves through the DEVMAP slot's interface with the slot's Ethernet addresses written over its
 * own, as an XDP load balancer on the backends' L2 segment does. Everything else (not UDP, another port, IPv4
 * fragments, IPv6 extension headers, no backend configured) passes to the load balancer's kernel. The program
 * is attached, and its DEVMAP written, in the calling thread's network namespace: interface names are looked up
 * there.
 */
public final class LoadBalancerProgram implements AutoCloseable {

    /** The program's name, as {@code bpftool prog show} lists it. */
    public static final String PROGRAM_NAME = "qx_quic_lb";

    /** Backend slots: DEVMAP and MAC entries. */
    public static final int MAX_BACKENDS = 64;

    /** Server IDs the map holds: more than one a backend while IDs rotate. */
    public static final int MAX_SERVER_IDS = 1024;

    /** QUIC-LB's longest server ID. */
    public static final int MAX_SERVER_ID_LENGTH = 15;

    /** The config-rotation codepoint QUIC-LB reserves for connection IDs no load balancer can route. */
    public static final int UNROUTABLE = 0b111;

    private static final int UDP_HEADER = 8;
    private static final int MAC_PAIR = 12;
    /** The hash's multiplier: an odd constant whose bits mix well ({@code 0x45d9f3b}). */
    private static final int MIX = 0x45d9f3b;

    private final BpfMap serverIds;

    private final BpfMap backends;

    private final BpfMap macs;

    private final BpfMap config;

    private final XdpProgram program;

    private final int serverIdLength;

    private XdpLink link;

    private LoadBalancerProgram(BpfMap serverIds, BpfMap backends, BpfMap macs, BpfMap config, XdpProgram program,
            int serverIdLength) {
        this.serverIds = serverIds;
        this.backends = backends;
        this.macs = macs;
        this.config = config;
        this.program = program;
        this.serverIdLength = serverIdLength;
    }

    /**
     * Creates the maps and loads the program, not attached yet; with no backend configured, it passes every frame.
     *
     * @param port the service's UDP port, the one balanced
     * @param serverIdLength octets of the server ID after the connection ID's first octet, 1 to 15
     */
    public static LoadBalancerProgram load(int port, int serverIdLength) throws IOException {
        if (serverIdLength < 1 || serverIdLength > MAX_SERVER_ID_LENGTH) {
            throw new IllegalArgumentException("a QUIC-LB server ID has 1 to " + MAX_SERVER_ID_LENGTH
                    + " octets, not " + serverIdLength);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is not between 1 and 65535");
        }
        List<AutoCloseable> made = new ArrayList<>();
        try {
            BpfMap serverIds = made(made, BpfMap.create(BpfMapType.HASH, serverIdLength, 4, MAX_SERVER_IDS,
                    "lb_server_ids"));
            BpfMap backends = made(made, BpfMap.create(BpfMapType.DEVMAP, 4, 4, MAX_BACKENDS, "lb_backends"));
            BpfMap macs = made(made, BpfMap.create(BpfMapType.ARRAY, 4, MAC_PAIR, MAX_BACKENDS, "lb_macs"));
            BpfMap config = made(made, BpfMap.create(BpfMapType.ARRAY, 4, 4, 1, "lb_config"));
            XdpProgram program = XdpProgram.load(PROGRAM_NAME, instructions(serverIds.fd(), backends.fd(),
                    macs.fd(), config.fd(), port, serverIdLength), XdpProgram.DUAL_BSD_GPL);
            return new LoadBalancerProgram(serverIds, backends, macs, config, program, serverIdLength);
        }
        catch (IOException | RuntimeException ex) {
            closeAll(made);
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

    /**
     * Runs the program once on {@code frame} without an interface: the action, and the frame as the program
     * left it (a redirect is only reported).
     */
    public XdpTestResult testRun(byte[] frame) throws IOException {
        return program.testRun(frame);
    }

    /**
     * Sends what slot {@code slot} receives out of {@code egressInterface} (of the calling thread's network
     * namespace), from {@code sourceMac} to {@code destinationMac}.
     */
    public void backend(int slot, String egressInterface, byte[] destinationMac, byte[] sourceMac)
            throws IOException {
        if (destinationMac.length != 6 || sourceMac.length != 6) {
            throw new IllegalArgumentException("MAC addresses have 6 octets");
        }
        byte[] pair = new byte[MAC_PAIR];
        System.arraycopy(destinationMac, 0, pair, 0, 6);
        System.arraycopy(sourceMac, 0, pair, 6, 6);
        macs.update(key(slot), pair, BpfMap.BPF_ANY);
        backends.update(slot, InterfaceIndexes.of(egressInterface), BpfMap.BPF_ANY);
    }

    /** Routes short-header packets whose connection ID carries {@code serverId} to {@code slot}. */
    public void serverId(byte[] serverId, int slot) throws IOException {
        if (serverId.length != serverIdLength) {
            throw new IllegalArgumentException("this load balancer reads server IDs of " + serverIdLength
                    + " octets, not " + serverId.length);
        }
        serverIds.update(serverId, key(slot), BpfMap.BPF_ANY);
    }

    /** Spreads what no server ID routes over slots 0 to {@code count - 1}; 0 passes it to the kernel. */
    public void hashedBackends(int count) throws IOException {
        if (count < 0 || count > MAX_BACKENDS) {
            throw new IllegalArgumentException("0 to " + MAX_BACKENDS + " backends, not " + count);
        }
        config.update(0, count, BpfMap.BPF_ANY);
    }

    /**
     * The slot the program's hash picks, among {@code backends}, for a datagram from {@code source} to
     * {@code destination}: the same arithmetic, for a test to know where a datagram must arrive.
     */
    public static int hashSlot(InetSocketAddress source, InetSocketAddress destination, int backends) {
        int hash = words(source.getAddress().getAddress()) ^ words(destination.getAddress().getAddress());
        // the two ports as the program loads them: one little-endian word of the header's first four octets
        byte[] ports = { (byte) (source.getPort() >>> 8), (byte) source.getPort(),
            (byte) (destination.getPort() >>> 8), (byte) destination.getPort() };
        hash ^= ByteBuffer.wrap(ports).order(ByteOrder.LITTLE_ENDIAN).getInt();
        hash ^= hash >>> 16;
        hash *= MIX;
        hash ^= hash >>> 16;
        return Integer.remainderUnsigned(hash, backends);
    }

    /** Detaches the program and releases the maps. */
    @Override
    public synchronized void close() {
        if (link != null) {
            link.close();
        }
        closeAll(List.of(program, config, macs, backends, serverIds));
    }

    /**
     * R6 the context, R7 the frame's start, R8 its end, R9 the hash and then the slot, R4 the UDP header
     * ({@link UdpParsing}). Every packet read is preceded by the bounds check the verifier demands; R7 to R9
     * survive the helper calls.
     */
    static long[] instructions(int serverIdsFd, int backendsFd, int macsFd, int configFd, int port,
            int serverIdLength) {
        BpfAssembler asm = new BpfAssembler()
                .mov64Reg(R6, R1)
                .load(Size.WORD, R7, R6, 0)
                .load(Size.WORD, R8, R6, 4);
        // R9 = the addresses folded into one word: source ^ destination, all of IPv6's eight words
        UdpParsing.emit(asm, R7, R8, R4, R3, "pass", (ipv4) -> ipv4
                .load(Size.WORD, R9, R7, UdpParsing.ETH_HEADER + 12)
                .load(Size.WORD, R2, R7, UdpParsing.ETH_HEADER + 16)
                .alu32Reg(AluOp.XOR, R9, R2), (ipv6) -> {
                    ipv6.mov64(R9, 0);
                    for (int offset = 8; offset < 40; offset += 4) {
                        ipv6.load(Size.WORD, R2, R7, UdpParsing.ETH_HEADER + offset)
                                .alu32Reg(AluOp.XOR, R9, R2);
                    }
                });

        asm.load(Size.HALF, R2, R4, 2)
                .toBigEndian(R2, 16)
                .jump(JumpOp.JNE, R2, port, "pass")
                // both ports as one word, then mix
                .load(Size.WORD, R2, R4, 0)
                .alu32Reg(AluOp.XOR, R9, R2)
                .alu32Reg(AluOp.MOV, R2, R9)
                .alu32(AluOp.RSH, R2, 16)
                .alu32Reg(AluOp.XOR, R9, R2)
                .alu32(AluOp.MUL, R9, MIX)
                .alu32Reg(AluOp.MOV, R2, R9)
                .alu32(AluOp.RSH, R2, 16)
                .alu32Reg(AluOp.XOR, R9, R2)
                // a short header: first octet, then the connection ID's first octet, then the server ID
                .mov64Reg(R2, R4)
                .alu64(AluOp.ADD, R2, UDP_HEADER + 2 + serverIdLength)
                .jumpReg(JumpOp.JGT, R2, R8, "hashed")
                .load(Size.BYTE, R2, R4, UDP_HEADER)
                .jump(JumpOp.JSET, R2, 0x80, "hashed")
                .load(Size.BYTE, R2, R4, UDP_HEADER + 1)
                .alu64(AluOp.RSH, R2, 5)
                .jump(JumpOp.JEQ, R2, UNROUTABLE, "hashed")
                // the server ID in the packet is the map's key
                .loadMapFd(R1, serverIdsFd)
                .mov64Reg(R2, R4)
                .alu64(AluOp.ADD, R2, UDP_HEADER + 2)
                .call(BpfAssembler.HELPER_MAP_LOOKUP_ELEM)
                .jump(JumpOp.JEQ, R0, 0, "hashed")
                .load(Size.WORD, R9, R0, 0)
                .jumpAlways("forward");

        asm.label("hashed")
                .storeImm(Size.WORD, R10, -4, 0)
                .loadMapFd(R1, configFd)
                .mov64Reg(R2, R10)
                .alu64(AluOp.ADD, R2, -4)
                .call(BpfAssembler.HELPER_MAP_LOOKUP_ELEM)
                .jump(JumpOp.JEQ, R0, 0, "pass")
                .load(Size.WORD, R2, R0, 0)
                .jump(JumpOp.JEQ, R2, 0, "pass")
                .alu32Reg(AluOp.MOD, R9, R2);

        asm.label("forward")
                .store(Size.WORD, R10, -8, R9)
                .loadMapFd(R1, macsFd)
                .mov64Reg(R2, R10)
                .alu64(AluOp.ADD, R2, -8)
                .call(BpfAssembler.HELPER_MAP_LOOKUP_ELEM)
                .jump(JumpOp.JEQ, R0, 0, "drop");
        // the slot's destination and source MACs over the frame's, as they lie in the Ethernet header
        for (int offset = 0; offset < MAC_PAIR; offset += 4) {
            asm.load(Size.WORD, R2, R0, offset)
                    .store(Size.WORD, R7, offset, R2);
        }
        return asm.loadMapFd(R1, backendsFd)
                .mov64Reg(R2, R9)
                .mov64(R3, XdpAction.DROP)
                .call(BpfAssembler.HELPER_REDIRECT_MAP)
                .exit()
                .label("drop")
                .mov64(R0, XdpAction.DROP)
                .exit()
                .label("pass")
                .mov64(R0, XdpAction.PASS)
                .exit()
                .assemble();
    }

    private static int words(byte[] address) {
        ByteBuffer buffer = ByteBuffer.wrap(address).order(ByteOrder.LITTLE_ENDIAN);
        int xor = 0;
        while (buffer.hasRemaining()) {
            xor ^= buffer.getInt();
        }
        return xor;
    }

    private static byte[] key(int slot) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
    }

    private static <T extends AutoCloseable> T made(List<AutoCloseable> made, T resource) {
        made.add(resource);
        return resource;
    }

    private static void closeAll(List<? extends AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            }
            catch (Exception ex) {
                // these close without failing: they only release descriptors
            }
        }
    }
}
