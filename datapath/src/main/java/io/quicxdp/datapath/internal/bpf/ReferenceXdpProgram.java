package io.quicxdp.datapath.internal.bpf;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R3;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R4;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R5;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R6;

import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import io.quicxdp.datapath.internal.bpf.BpfSetupException.Problem;
import io.quicxdp.datapath.internal.linux.Bpf;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * A ready-made XDP program for interfaces that have none of their own: it sends UDP datagrams (IPv4, with or
 * without options, and IPv6) whose destination port is in a given set to the AF_XDP socket at key = receive
 * queue in an XSKMAP, and passes everything else to the kernel. This is what an application's own XDP program
 * does in map mode; quic-xdp itself never installs it in map mode. Tests, the sample application and operators
 * trying quic-xdp out use it.
 *
 * <p>The program passes to the kernel: other protocols and ports, IPv4 fragments (a first fragment too, since
 * the fragments after it would reach the kernel, not the socket), IPv6 packets whose UDP header follows
 * extension headers, frames with VLAN tags, and any frame too short for the headers it claims. When the slot
 * for the queue is empty, {@code bpf_redirect_map} falls back to passing the frame.
 */
public final class ReferenceXdpProgram {

    /** XSKMAP capacity when none is given: enough queues for most NICs. */
    public static final int DEFAULT_MAX_ENTRIES = 64;

    /** The program's name, as {@code bpftool prog show} lists it. */
    public static final String PROGRAM_NAME = "qx_reference";

    /** The XSKMAP's name, as {@code bpftool map show} lists it. */
    public static final String MAP_NAME = "qx_xsks";

    /** The most ports one program compares against, one instruction each. */
    static final int MAX_PORTS = 1024;

    private ReferenceXdpProgram() {
    }

    /**
     * Creates an XSKMAP of {@link #DEFAULT_MAX_ENTRIES} slots, pins it at {@code mapPinPath}, and attaches the
     * program to {@code interfaceName} through a BPF link.
     *
     * @see #install(String, Set, Path, int)
     */
    public static InstalledReferenceProgram install(String interfaceName, Set<Integer> udpPorts, Path mapPinPath)
            throws IOException {
        return install(interfaceName, udpPorts, mapPinPath, DEFAULT_MAX_ENTRIES);
    }

    /**
     * Creates an XSKMAP of {@code maxEntries} slots, pins it at {@code mapPinPath}, and attaches the program to
     * {@code interfaceName} through a BPF link. Everything is undone when a step fails, and by
     * {@link InstalledReferenceProgram#close()}.
     *
     * <p>Frames from receive queues at or beyond {@code maxEntries} find no slot and are passed to the kernel.
     *
     * @param udpPorts destination ports to redirect, 1 to 65535
     * @throws BpfSetupException for a missing interface, a pin path that exists or is not on bpffs, an interface
     *         that already has an XDP program, or missing privilege
     * @throws NativeIoException when the kernel refuses a step for another reason
     */
    public static InstalledReferenceProgram install(String interfaceName, Set<Integer> udpPorts, Path mapPinPath,
            int maxEntries) throws IOException {
        int[] ports = checkPorts(udpPorts);
        int ifindex = interfaceIndex(interfaceName);
        checkPinPath(mapPinPath);
        BpfMap map = step("creating the XSKMAP", () -> BpfMap.create(BpfMapType.XSKMAP, 4, 4, maxEntries,
                MAP_NAME));
        XdpProgram program = null;
        boolean pinned = false;
        try {
            program = step("loading the XDP program", () -> XdpProgram.load(PROGRAM_NAME,
                    instructions(map.fd(), ports), XdpProgram.DUAL_BSD_GPL));
            int mapId = map.info().id();
            int programId = program.id();
            pin(map, mapPinPath);
            pinned = true;
            XdpLink link = attach(program, ifindex, interfaceName);
            return new InstalledReferenceProgram(interfaceName, ifindex, Set.copyOf(udpPorts), mapPinPath, mapId,
                    programId, map, program, link);
        }
        catch (IOException | RuntimeException ex) {
            if (pinned) {
                try {
                    Files.deleteIfExists(mapPinPath);
                }
                catch (IOException removal) {
                    ex.addSuppressed(removal);
                }
            }
            if (program != null) {
                program.close();
            }
            map.close();
            throw ex;
        }
    }

    /**
     * Loads the program against an existing XSKMAP without attaching it, to run it with
     * {@link XdpProgram#testRun}.
     *
     * @throws BpfSetupException ({@link Problem#WRONG_OBJECT}) when the map is not an XSKMAP
     */
    public static XdpProgram load(BpfMap xskMap, Set<Integer> udpPorts) throws IOException {
        int[] ports = checkPorts(udpPorts);
        xskMap.requireXskMap();
        return step("loading the XDP program",
                () -> XdpProgram.load(PROGRAM_NAME, instructions(xskMap.fd(), ports), XdpProgram.DUAL_BSD_GPL));
    }

    /** The program: parse Ethernet, then IPv4 or IPv6, then UDP ({@link UdpParsing}), compare the port, redirect. */
    static long[] instructions(int xskMapFd, int[] ports) {
        BpfAssembler asm = new BpfAssembler()
                .mov64Reg(R6, R1)
                // R2 = data, R3 = data_end
                .load(Size.WORD, R2, R6, 0)
                .load(Size.WORD, R3, R6, 4);
        UdpParsing.emit(asm, R2, R3, R4, R5, "pass", (ipv4) -> { }, (ipv6) -> { });
        // R4 = the UDP header

        asm.load(Size.HALF, R5, R4, 2)
                .toBigEndian(R5, 16);
        for (int port : ports) {
            asm.jump(JumpOp.JEQ, R5, port, "redirect");
        }
        asm.jumpAlways("pass");

        return redirectByQueue(asm.label("redirect"), xskMapFd)
                .label("pass")
                .mov64(R0, XdpAction.PASS)
                .exit()
                .assemble();
    }

    /**
     * Emits {@code return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS)} with the context in R6: how a
     * program that feeds the datapath hands a frame to the socket of its receive queue, or to the kernel while that
     * slot is empty.
     */
    public static BpfAssembler redirectByQueue(BpfAssembler asm, int xskMapFd) {
        return asm.load(Size.WORD, R2, R6, 16)
                .loadMapFd(R1, xskMapFd)
                .mov64(R3, XdpAction.PASS)
                .call(BpfAssembler.HELPER_REDIRECT_MAP)
                .exit();
    }

    private static int[] checkPorts(Set<Integer> udpPorts) {
        if (udpPorts.isEmpty() || udpPorts.size() > MAX_PORTS) {
            throw new IllegalArgumentException("between 1 and " + MAX_PORTS + " UDP ports are needed, not "
                    + udpPorts.size());
        }
        for (int port : udpPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("UDP port " + port + " is not between 1 and 65535");
            }
        }
        return new TreeSet<>(udpPorts).stream().mapToInt(Integer::intValue).toArray();
    }

    private static int interfaceIndex(String interfaceName) throws IOException {
        try {
            return InterfaceIndexes.of(interfaceName);
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.ENODEV) {
                throw new BpfSetupException(Problem.INTERFACE_MISSING, "no network interface '" + interfaceName
                        + "' in this network namespace", ex);
            }
            throw ex;
        }
    }

    private static void checkPinPath(Path mapPinPath) throws IOException {
        Path directory = mapPinPath.toAbsolutePath().getParent();
        boolean onBpfFs;
        try {
            onBpfFs = Bpf.isOnBpfFileSystem(directory.toString());
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.ENOENT) {
                throw new BpfSetupException(Problem.NOT_ON_BPFFS, "the directory " + directory + " for the map pin "
                        + mapPinPath + " does not exist; create it on bpffs (mounted at /sys/fs/bpf)", ex);
            }
            throw ex;
        }
        if (!onBpfFs) {
            throw new BpfSetupException(Problem.NOT_ON_BPFFS, "cannot pin the map at " + mapPinPath + ": "
                    + directory + " is not on bpffs; mount it (mount -t bpf bpf /sys/fs/bpf) or choose a path"
                    + " under a bpffs mount", null);
        }
        if (Files.exists(mapPinPath, LinkOption.NOFOLLOW_LINKS)) {
            throw pinExists(mapPinPath, null);
        }
    }

    private static void pin(BpfMap map, Path mapPinPath) throws IOException {
        try {
            map.pin(mapPinPath);
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.EEXIST) {
                throw pinExists(mapPinPath, ex);
            }
            throw explain("pinning the XSKMAP", ex);
        }
    }

    private static XdpLink attach(XdpProgram program, int ifindex, String interfaceName) throws IOException {
        try {
            return program.attach(ifindex);
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.EBUSY || ex.errno() == Errno.EEXIST) {
                throw new BpfSetupException(Problem.INTERFACE_BUSY, "interface " + interfaceName
                        + " already has an XDP program attached; detach it first, or redirect from that program"
                        + " into an XSKMAP (map mode)", ex);
            }
            throw explain("attaching the XDP program to " + interfaceName, ex);
        }
    }

    private static BpfSetupException pinExists(Path mapPinPath, Throwable cause) {
        return new BpfSetupException(Problem.PIN_EXISTS, "something is already pinned at " + mapPinPath
                + "; remove it (rm " + mapPinPath + ") or choose another path", cause);
    }

    private static <T> T step(String what, NativeStep<T> step) throws IOException {
        try {
            return step.run();
        }
        catch (NativeIoException ex) {
            throw explain(what, ex);
        }
    }

    private static IOException explain(String what, NativeIoException ex) {
        if (ex.errno() == Errno.EPERM) {
            return new BpfSetupException(Problem.PERMISSION_DENIED, what + " was refused (EPERM): XDP programs and"
                    + " maps need CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN), for example as root", ex);
        }
        return ex;
    }

    /** A step that may fail in the kernel. */
    private interface NativeStep<T> {
        T run() throws NativeIoException;
    }
}
