package io.quicxdp.sample;

import io.quicxdp.datapath.sandbox.NetworkNamespaces;
import io.quicxdp.datapath.sandbox.ReferenceProgram;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * What an operator would provide in map mode, built on this host for the zero-setup demo: a veth pair whose
 * "app" end stays in this network namespace and whose "peer" end lives in a new namespace, the reference XDP
 * program on the app end redirecting the ports of the UDP echo, the QUIC echo and HTTP/3, and its XSKMAP
 * pinned in bpffs.
 *
 * <p>Every name carries a per-run unique id; the addresses come from 198.18.0.0/15 and fd00:198:18::/48
 * only. {@link #close()} removes all of it. The XDP program here is the demo's scaffolding, standing in for
 * the operator's own: map mode itself never loads one.
 */
final class DemoSandbox implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(DemoSandbox.class);

    private static final Path BPFFS = Path.of("/sys/fs/bpf");

    /** /24s of 198.18.0.0/15. */
    private static final int SUBNETS = 512;

    /** How gtlsclient prints a response's status header. */
    private static final Pattern HTTP3_STATUS = Pattern.compile("\\[:status: (\\d{3})\\]");

    private static final int CAP_NET_ADMIN = 12;

    private static final int CAP_NET_RAW = 13;

    private static final int CAP_SYS_ADMIN = 21;

    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 7);

    private final String namespace = "qxs-" + this.id;

    private final String appInterface = "qxsa" + this.id;

    private final String peerInterface = "qxsp" + this.id;

    private final Path pinDirectory = BPFFS.resolve("quic-xdp-sample-" + this.id);

    private final int port;

    private final int quicPort;

    private final @Nullable Integer http3Port;

    private final int queues;

    private int subnet;

    private @Nullable ReferenceProgram program;

    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile @Nullable Burst lastBurst;

    private DemoSandbox(int port, int quicPort, @Nullable Integer http3Port, int queues) {
        this.port = port;
        this.quicPort = quicPort;
        this.http3Port = http3Port;
        this.queues = queues;
    }

    /**
     * Builds the sandbox for the UDP echo's {@code port}, the QUIC echo's {@code quicPort} and, unless
     * {@code null}, HTTP/3's {@code http3Port} on a veth pair with {@code queues} queues.
     *
     * @throws SandboxException naming what is missing (root, bpffs, a tool) or the step that failed; whatever
     *     was built before the failure is removed again
     */
    static DemoSandbox create(int port, int quicPort, @Nullable Integer http3Port, int queues) {
        checkHost();
        DemoSandbox sandbox = new DemoSandbox(port, quicPort, http3Port, queues);
        try {
            sandbox.build();
        }
        catch (RuntimeException | Error ex) {
            sandbox.close();
            throw ex;
        }
        return sandbox;
    }

    private static void checkHost() {
        List<String> missing = missingCapabilities();
        if (!missing.isEmpty()) {
            throw new SandboxException("it builds a network namespace, a veth pair and an XDP program, which needs "
                    + "root, and this process lacks " + String.join(", ", missing) + ".",
                    "Run the sample as root (for example sudo java -jar sample-app/target/quic-xdp-sample-app-"
                            + "0.1.0-SNAPSHOT.jar), or run it in map mode against the XSKMAP of your own XDP "
                            + "program, which needs only CAP_NET_RAW: --quic.xdp.maps[0].interface=IF "
                            + "--quic.xdp.maps[0].path=PIN (docs/operator-guide.md).");
        }
        if (!bpffsMounted()) {
            throw new SandboxException("bpffs is not mounted at " + BPFFS + ", where the sandbox pins its XSKMAP.",
                    "Mount it: mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf");
        }
        if (HostCommands.tryRun("ip", "-V").exitCode() != 0) {
            throw new SandboxException("the ip command is missing.", "Install it: apt-get install iproute2");
        }
        if (!Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
            throw new SandboxException("this kernel has IPv6 turned off, and the demo echoes over IPv4 and IPv6.",
                    "Boot without ipv6.disable=1, or run the sample in map mode against your own XDP program.");
        }
    }

    /** The capabilities the sandbox needs and this process does not have in its effective set. */
    private static List<String> missingCapabilities() {
        long effective;
        try {
            effective = Files.readAllLines(Path.of("/proc/self/status"))
                .stream()
                .filter((line) -> line.startsWith("CapEff:"))
                .map((line) -> Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16))
                .findFirst()
                .orElse(0L);
        }
        catch (IOException | NumberFormatException ex) {
            return List.of("a readable /proc/self/status (" + ex.getMessage() + ")");
        }
        List<String> missing = new ArrayList<>();
        if ((effective & (1L << CAP_SYS_ADMIN)) == 0) {
            missing.add("CAP_SYS_ADMIN");
        }
        if ((effective & (1L << CAP_NET_ADMIN)) == 0) {
            missing.add("CAP_NET_ADMIN");
        }
        if ((effective & (1L << CAP_NET_RAW)) == 0) {
            missing.add("CAP_NET_RAW");
        }
        return missing;
    }

    private static boolean bpffsMounted() {
        try {
            return Files.readAllLines(Path.of("/proc/mounts"))
                .stream()
                .anyMatch((line) -> line.contains(" " + BPFFS + " bpf "));
        }
        catch (IOException ex) {
            return false;
        }
    }

    private void build() {
        this.subnet = freeSubnet();
        String q = Integer.toString(this.queues);
        HostCommands.run("ip", "netns", "add", this.namespace);
        HostCommands.run("ip", "link", "add", this.appInterface, "numrxqueues", q, "numtxqueues", q, "type", "veth",
                "peer", "name", this.peerInterface, "numrxqueues", q, "numtxqueues", q, "netns", this.namespace);
        // no duplicate address detection, so that neighbour discovery can use the link-local addresses at once
        writeSysctl(Path.of("/proc/sys/net/ipv6/conf", this.appInterface, "accept_dad"));
        HostCommands.run("ip", "netns", "exec", this.namespace, "sh", "-c",
                "echo 0 > /proc/sys/net/ipv6/conf/" + this.peerInterface + "/accept_dad");
        HostCommands.run("ip", "addr", "add", appIpv4Text() + "/24", "dev", this.appInterface);
        HostCommands.run("ip", "-6", "addr", "add", appIpv6Text() + "/64", "dev", this.appInterface, "nodad");
        HostCommands.run("ip", "link", "set", this.appInterface, "up");
        HostCommands.run("ip", "-n", this.namespace, "addr", "add", peerIpv4Text() + "/24", "dev", this.peerInterface);
        HostCommands.run("ip", "-n", this.namespace, "-6", "addr", "add", peerIpv6Text() + "/64", "dev",
                this.peerInterface, "nodad");
        HostCommands.run("ip", "-n", this.namespace, "link", "set", "lo", "up");
        // the peer keeps veth's TX checksum offload on, as a container does: its UDP checksums arrive partial
        HostCommands.run("ip", "-n", this.namespace, "link", "set", this.peerInterface, "up");
        logger.info("Sandbox: network namespace " + this.namespace + " holds veth end " + this.peerInterface + " ("
                + peerIpv4Text() + ", " + peerIpv6Text() + "); the other end, " + this.appInterface + " ("
                + appIpv4Text() + ", " + appIpv6Text() + "), stays here, with " + this.queues + " queues");
        try {
            Files.createDirectory(this.pinDirectory);
            this.program = ReferenceProgram.install(this.appInterface, redirectedPorts(), mapPin());
        }
        catch (IOException ex) {
            throw new SandboxException("installing the reference XDP program on " + this.appInterface
                    + " failed: " + ex.getMessage(), "Run the sample as root on Linux 5.10 or newer with bpffs "
                            + "mounted at /sys/fs/bpf, or run it in map mode against your own XDP program.", ex);
        }
        logger.info("Sandbox: the reference XDP program (id " + this.program.programId() + ") on " + this.appInterface
                + " redirects UDP ports " + this.port + " (echo), " + this.quicPort + " (QUIC echo)"
                + ((this.http3Port != null) ? " and " + this.http3Port + " (HTTP/3)" : "")
                + " into the XSKMAP pinned at " + mapPin() + " (id " + this.program.mapId() + "). It is the demo's "
                + "stand-in for an operator's own program: map mode itself never loads, attaches or changes an XDP "
                + "program");
    }

    private Set<Integer> redirectedPorts() {
        Set<Integer> ports = new HashSet<>(Set.of(this.port, this.quicPort));
        if (this.http3Port != null) {
            ports.add(this.http3Port);
        }
        return ports;
    }

    private static void writeSysctl(Path path) {
        try {
            Files.writeString(path, "0");
        }
        catch (IOException ex) {
            throw new SandboxException("writing 0 to " + path + " failed: " + ex.getMessage(),
                    "Run the sample as root.", ex);
        }
    }

    private static int freeSubnet() {
        String used = HostCommands.run("ip", "-o", "addr", "show");
        int start = ThreadLocalRandom.current().nextInt(SUBNETS);
        for (int i = 0; i < SUBNETS; i++) {
            int candidate = (start + i) % SUBNETS;
            if (!used.contains(" " + ipv4Prefix(candidate))) {
                return candidate;
            }
        }
        throw new SandboxException("every /24 of 198.18.0.0/15 is in use on this host.",
                "Remove stale sandboxes (ip netns list; ip netns del qxs-...) or run in map mode.");
    }

    /** The per-run unique id in every name here. */
    String id() {
        return this.id;
    }

    String namespace() {
        return this.namespace;
    }

    /** The end in this namespace, where map mode runs. */
    String appInterface() {
        return this.appInterface;
    }

    /** The end in the sandbox's namespace, where the demo burst comes from. */
    String peerInterface() {
        return this.peerInterface;
    }

    /** The bpffs directory of the sandbox's pins. */
    Path pinDirectory() {
        return this.pinDirectory;
    }

    /** Where the XSKMAP is pinned: what map mode is pointed at. */
    Path mapPin() {
        return this.pinDirectory.resolve("xsks");
    }

    InetAddress appIpv4() {
        return address(appIpv4Text());
    }

    InetAddress appIpv6() {
        return address(appIpv6Text());
    }

    /** The last demo burst, or {@code null} before the first. */
    @Nullable Burst lastBurst() {
        return this.lastBurst;
    }

    /**
     * Sends {@code count} datagrams to the echo port from the peer end over IPv4, then over IPv6, and
     * collects the echoes, waiting at most {@code timeout} per family.
     */
    Burst sendBurst(int count, Duration timeout) throws InterruptedException {
        FutureTask<Burst> task = new FutureTask<>(() -> {
            NetworkNamespaces.enter("/var/run/netns/" + this.namespace);
            List<FamilyBurst> families = new ArrayList<>();
            families.add(sendAndCollect("IPv4", address(peerIpv4Text()), appIpv4(), appIpv4Text() + ":" + this.port,
                    count, timeout));
            families.add(sendAndCollect("IPv6", address(peerIpv6Text()), appIpv6(),
                    "[" + appIpv6Text() + "]:" + this.port, count, timeout));
            return new Burst(List.copyOf(families));
        });
        // a thread of its own: it stays in the sandbox's network namespace until it ends
        Thread peer = new Thread(task, "sandbox-peer-" + this.id);
        peer.setDaemon(true);
        peer.start();
        try {
            Burst burst = task.get(timeout.multipliedBy(2).toMillis() + 5000, TimeUnit.MILLISECONDS);
            this.lastBurst = burst;
            return burst;
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException("the demo burst failed: " + ex.getCause(), ex.getCause());
        }
        catch (TimeoutException ex) {
            peer.interrupt();
            throw new IllegalStateException("the demo burst did not end in time", ex);
        }
    }

    /** Whether the {@code gtlsclient} command (Debian's ngtcp2-client) is on this host. */
    static boolean hasHttp3Client() {
        return HostCommands.tryRun("gtlsclient", "--help").exitCode() == 0;
    }

    /**
     * Fetches {@code path} from HTTP/3's port over IPv4 from the peer end with {@code gtlsclient}, which does not
     * verify the certificate. It exits 0 whatever happened, so the response is what it downloaded and the status
     * it printed.
     *
     * @throws IllegalStateException when HTTP/3 is off here, or the download directory cannot be made
     */
    Http3Fetch fetchOverHttp3(String path) {
        if (this.http3Port == null) {
            throw new IllegalStateException("the sandbox redirects no HTTP/3 port");
        }
        String target = "https://" + appIpv4Text() + ":" + this.http3Port + path;
        Path downloads;
        try {
            downloads = Files.createTempDirectory("quic-xdp-sample-h3-");
        }
        catch (IOException ex) {
            throw new IllegalStateException("no directory for gtlsclient's download: " + ex.getMessage(), ex);
        }
        try {
            long start = System.nanoTime();
            HostCommands.Result result = HostCommands.tryRun("ip", "netns", "exec", this.namespace, "gtlsclient",
                    "--exit-on-all-streams-close", "--no-quic-dump", "--download=" + downloads, "--timeout=5s",
                    appIpv4Text(), Integer.toString(this.http3Port), target);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Matcher status = HTTP3_STATUS.matcher(result.output());
            byte[] body = downloaded(downloads);
            return new Http3Fetch(target, status.find() ? Integer.valueOf(status.group(1)) : null, body, elapsed,
                    result.output());
        }
        finally {
            delete(downloads);
        }
    }

    /** The file gtlsclient saved, named after the path's last segment; empty when it saved none. */
    private static byte[] downloaded(Path downloads) {
        try (Stream<Path> files = Files.list(downloads)) {
            Path file = files.findFirst().orElse(null);
            return (file != null) ? Files.readAllBytes(file) : new byte[0];
        }
        catch (IOException ex) {
            return new byte[0];
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
        catch (IOException ex) {
            logger.debug("Removing " + directory + " failed", ex);
        }
    }

    private FamilyBurst sendAndCollect(String family, InetAddress from, InetAddress to, String toText, int count,
            Duration timeout) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        InetSocketAddress target = new InetSocketAddress(to, this.port);
        Set<String> outstanding = new HashSet<>();
        String example = null;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            for (int i = 1; i <= count; i++) {
                String text = "quic-xdp demo datagram " + i + " of " + count + " over " + family;
                byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(bytes, bytes.length, target));
                outstanding.add(text);
            }
            byte[] buffer = new byte[2048];
            while (!outstanding.isEmpty()) {
                long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remaining <= 0) {
                    break;
                }
                socket.setSoTimeout((int) remaining);
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                }
                catch (SocketTimeoutException ex) {
                    break;
                }
                String echo = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII);
                if (target.equals(packet.getSocketAddress()) && outstanding.remove(echo) && example == null) {
                    example = echo;
                }
            }
        }
        return new FamilyBurst(family, toText, count, count - outstanding.size(), example,
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Removes the XDP program and its pin, the namespace, the veth pair and the pin directory. Idempotent. */
    @Override
    public void close() {
        if (!this.closed.compareAndSet(false, true)) {
            return;
        }
        List<String> left = new ArrayList<>();
        ReferenceProgram installed = this.program;
        if (installed != null) {
            try {
                installed.close();
            }
            catch (RuntimeException ex) {
                logger.warn("Sandbox: removing the XDP program and its pin failed: " + ex.getMessage());
            }
        }
        HostCommands.tryRun("ip", "netns", "del", this.namespace);
        // deleting the namespace deletes the peer end, and with it the pair; delete this end if it stayed
        if (linkExists()) {
            HostCommands.tryRun("ip", "link", "del", this.appInterface);
        }
        if (Files.exists(this.pinDirectory)) {
            // what stays is reported below
            delete(this.pinDirectory);
        }
        if (Files.exists(Path.of("/var/run/netns", this.namespace))) {
            left.add("ip netns del " + this.namespace);
        }
        if (linkExists()) {
            left.add("ip link del " + this.appInterface);
        }
        if (Files.exists(this.pinDirectory)) {
            left.add("rm -r " + this.pinDirectory);
        }
        if (left.isEmpty()) {
            logger.info("Sandbox removed: XDP program, XSKMAP pin " + this.pinDirectory + ", network namespace "
                    + this.namespace + " and veth pair " + this.appInterface + "/" + this.peerInterface);
        }
        else {
            logger.warn("Sandbox " + this.id + " was not removed completely; remove the rest with: "
                    + String.join("; ", left));
        }
    }

    private boolean linkExists() {
        return HostCommands.tryRun("ip", "link", "show", "dev", this.appInterface).exitCode() == 0;
    }

    private static String ipv4Prefix(int subnet) {
        return "198." + (18 + subnet / 256) + "." + (subnet % 256) + ".";
    }

    private String appIpv4Text() {
        return ipv4Prefix(this.subnet) + "1";
    }

    private String peerIpv4Text() {
        return ipv4Prefix(this.subnet) + "2";
    }

    private String appIpv6Text() {
        return "fd00:198:18:" + Integer.toHexString(this.subnet) + "::1";
    }

    private String peerIpv6Text() {
        return "fd00:198:18:" + Integer.toHexString(this.subnet) + "::2";
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        }
        catch (UnknownHostException ex) {
            throw new IllegalArgumentException(literal, ex);
        }
    }

    /**
     * The demo's page fetched over HTTP/3.
     *
     * @param target the URL fetched
     * @param status the response's status as gtlsclient printed it, or {@code null} when none came
     * @param body what gtlsclient downloaded, empty when nothing
     * @param output what gtlsclient printed, for when it went wrong
     */
    record Http3Fetch(String target, @Nullable Integer status, byte[] body, Duration elapsed, String output) {

        /** Whether the page came back: status 200 and a body. */
        boolean succeeded() {
            return this.status != null && this.status == 200 && this.body.length > 0;
        }

        /** The body's first line, for the log. */
        String firstLine() {
            return new String(this.body, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        }
    }

    /** One demo burst: IPv4, then IPv6. */
    record Burst(List<FamilyBurst> families) {

        int sent() {
            return this.families.stream().mapToInt(FamilyBurst::sent).sum();
        }

        int echoed() {
            return this.families.stream().mapToInt(FamilyBurst::echoed).sum();
        }
    }

    /**
     * The datagrams of one address family.
     *
     * @param target the echo's address and port, as text
     * @param echoed how many of the sent datagrams came back unchanged, from the target
     * @param example one of those echoes, or {@code null} when none came back
     */
    record FamilyBurst(String family, String target, int sent, int echoed, @Nullable String example,
            Duration elapsed) {
    }
}
