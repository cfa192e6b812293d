package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A test's own network: a veth pair whose "app" end stays in this namespace and whose "peer" end lives in
 * a new network namespace, both with per-run unique names, addresses from 198.18.0.0/15 and
 * fd00:198:18::/48, and a bpffs directory for the test's pins. {@link #close()} removes all of it.
 *
 * <p>The peer's TX checksum offload is left as veth sets it up, on: UDP datagrams sent from the peer
 * arrive with partial checksums (the field holds only the pseudo-header sum), as from a container next
 * door. {@link #create(int, TxChecksumOffload)} turns it off, so that they arrive as over a real wire.
 */
public final class VethNamespace implements AutoCloseable {

    /** The peer end's TX checksum offload. */
    public enum TxChecksumOffload {

        /** Left as veth sets it up, on: the peer's UDP datagrams arrive with partial checksums. */
        DEFAULT,

        /** Turned off: the peer's kernel completes every checksum, as for a real wire. */
        OFF
    }

    private static final AtomicInteger NEXT_SUBNET = new AtomicInteger(ThreadLocalRandom.current().nextInt(512));

    private final String id;

    private final String namespace;

    private final String appInterface;

    private final String peerInterface;

    private final int subnet;

    private final Path pinDirectory;

    private final NamespaceThread peerThread;

    private final Thread cleanupOnExit = new Thread(this::removeAll, "veth-namespace-cleanup");

    private VethNamespace(int queues, TxChecksumOffload peerOffload) {
        this.id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 7);
        this.namespace = "qx-" + id;
        this.appInterface = "qxa" + id;
        this.peerInterface = "qxp" + id;
        this.subnet = freeSubnet();
        this.pinDirectory = Path.of("/sys/fs/bpf", "quicxdp-test-" + id);
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        boolean built = false;
        try {
            Commands.run("ip", "netns", "add", namespace);
            String q = Integer.toString(queues);
            Commands.run("ip", "link", "add", appInterface, "numrxqueues", q, "numtxqueues", q, "type", "veth",
                    "peer", "name", peerInterface, "numrxqueues", q, "numtxqueues", q, "netns", namespace);
            // no duplicate address detection: link-local addresses are usable at once, so neighbour
            // discovery does not wait a second or two for them
            Commands.run("sysctl", "-q", "-w", "net.ipv6.conf." + appInterface + ".accept_dad=0");
            Commands.run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w",
                    "net.ipv6.conf." + peerInterface + ".accept_dad=0");
            Commands.run("ip", "addr", "add", appIpv4Text() + "/24", "dev", appInterface);
            Commands.run("ip", "-6", "addr", "add", appIpv6Text() + "/64", "dev", appInterface, "nodad");
            Commands.run("ip", "link", "set", appInterface, "up");
            Commands.run("ip", "-n", namespace, "addr", "add", peerIpv4Text() + "/24", "dev", peerInterface);
            Commands.run("ip", "-n", namespace, "-6", "addr", "add", peerIpv6Text() + "/64", "dev", peerInterface,
                    "nodad");
            Commands.run("ip", "-n", namespace, "link", "set", "lo", "up");
            Commands.run("ip", "-n", namespace, "link", "set", peerInterface, "up");
            if (peerOffload == TxChecksumOffload.OFF) {
                Commands.run("ip", "netns", "exec", namespace, "ethtool", "-K", peerInterface, "tx", "off");
            }
            Files.createDirectories(pinDirectory);
            this.peerThread = new NamespaceThread(namespace);
            built = true;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        finally {
            if (!built) {
                removeAll();
            }
        }
    }

    /** Builds a pair with {@code queues} receive and transmit queues on each end, the peer's offload left on. */
    public static VethNamespace create(int queues) {
        return create(queues, TxChecksumOffload.DEFAULT);
    }

    /** Builds a pair with {@code queues} receive and transmit queues on each end, the peer's offload as given. */
    public static VethNamespace create(int queues, TxChecksumOffload peerOffload) {
        KernelSupport.assumeAvailable();
        return new VethNamespace(queues, peerOffload);
    }

    /** The per-run unique suffix of every name here. */
    public String id() {
        return id;
    }

    public String namespace() {
        return namespace;
    }

    /** The end in this JVM's namespace, where the datapath runs. */
    public String appInterface() {
        return appInterface;
    }

    /** The end in the peer namespace, where test traffic comes from. */
    public String peerInterface() {
        return peerInterface;
    }

    public InetAddress appIpv4() {
        return address(appIpv4Text());
    }

    public InetAddress peerIpv4() {
        return address(peerIpv4Text());
    }

    public InetAddress appIpv6() {
        return address(appIpv6Text());
    }

    public InetAddress peerIpv6() {
        return address(peerIpv6Text());
    }

    /** A path for a pin inside this fixture's own bpffs directory. */
    public Path pinPath(String name) {
        return pinDirectory.resolve(name);
    }

    /**
     * Runs {@code task} on a thread inside the peer namespace: sockets it opens live there.
     * Fails when the task does not finish within 30 seconds.
     */
    public <T> T inPeer(Callable<T> task) throws Exception {
        return peerThread.call(task);
    }

    /** Runs a command inside the peer namespace. */
    public String runInPeer(String... command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = namespace;
        System.arraycopy(command, 0, full, 4, command.length);
        return Commands.run(full);
    }

    @Override
    public void close() {
        if (peerThread != null) {
            peerThread.close();
        }
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        }
        catch (IllegalStateException ex) {
            // already shutting down: the hook runs removeAll, which is idempotent
        }
    }

    private void removeAll() {
        Commands.tryRun("ip", "netns", "del", namespace);
        if (Commands.tryRun("ip", "link", "show", appInterface).exitCode() == 0) {
            Commands.tryRun("ip", "link", "del", appInterface);
        }
        if (Files.exists(pinDirectory)) {
            try (Stream<Path> paths = Files.walk(pinDirectory)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            catch (IOException ex) {
                // best effort: the before-stop check lists anything left in bpffs
            }
        }
    }

    private static int freeSubnet() {
        String used = Commands.run("ip", "-o", "addr", "show");
        for (int attempt = 0; attempt < 512; attempt++) {
            int candidate = Math.floorMod(NEXT_SUBNET.getAndIncrement(), 512);
            if (!used.contains(" " + ipv4Prefix(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("every /24 of 198.18.0.0/15 is in use on this machine");
    }

    private static String ipv4Prefix(int subnet) {
        return "198." + (18 + subnet / 256) + "." + (subnet % 256) + ".";
    }

    private String appIpv4Text() {
        return ipv4Prefix(subnet) + "1";
    }

    private String peerIpv4Text() {
        return ipv4Prefix(subnet) + "2";
    }

    private String appIpv6Text() {
        return "fd00:198:18:" + Integer.toHexString(subnet) + "::1";
    }

    private String peerIpv6Text() {
        return "fd00:198:18:" + Integer.toHexString(subnet) + "::2";
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        }
        catch (UnknownHostException ex) {
            throw new IllegalArgumentException(text, ex);
        }
    }
}
