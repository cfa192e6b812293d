package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.internal.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fleet in network namespaces: a client, a load balancer, and hosts behind it, as in docs/fleet.md. The
 * client's veth reaches the load balancer's client-facing veth; each host has a veth of its own to the load
 * balancer, with the reference XDP program redirecting the service port into a pinned XSKMAP, ready for an
 * application instance (a datapath opened on {@link Host#mapConfig()} from {@link Host#inHost}, or a process
 * started in {@link Host#namespace()}). Every name is unique to the run; {@link #close()} removes all of it.
 *
 * <p>The service has one address, {@link #serviceIpv4()} and {@link #serviceIpv6()}, that every host holds on
 * its loopback; the client routes it to the load balancer, whose XDP program (the Java copy of
 * docs/examples/quic_lb.c, or none, for a test that loads its own) sends each datagram to a host with the
 * Ethernet addresses rewritten. Host {@code i} has server ID {@code i + 1} in {@link #serverIdLength()}
 * octets, big-endian, and is backend slot {@code i}. Replies go back through the load balancer's kernel,
 * which forwards them to the client.
 *
 * <p>Addresses: the client's link 198.18.1.0/24 and fd00:198:18:1::/64 (client .2, load balancer .1), host
 * {@code i}'s link 198.18.(16+i).0/24 and fd00:198:18:(16+i in hex)::/64 (load balancer .1, host .2), the
 * service 198.18.0.100 and fd00:198:18::100. Nothing of it is reachable from this JVM's own namespace.
 *
 * <p>The client's TX checksum offload is off, as over a wire: the load balancer's XDP program passes a frame on
 * as it came, and a host's kernel drops a datagram whose checksum a veth left partial. A load balancer's
 * {@code XDP_REDIRECT} into a veth is delivered only when the veth's peer runs an XDP program (or has GRO on,
 * which enables its NAPI): each host's reference program is what makes it arrive.
 */
public final class FleetFixture implements AutoCloseable {

    private static final String SERVICE_IPV4 = "198.18.0.100";

    private static final String SERVICE_IPV6 = "fd00:198:18::100";

    private static final Pattern MAC = Pattern.compile("link/ether ([0-9a-f:]{17})");

    private final String id;

    private final int port;

    private final int serverIdLength;

    private final String clientNamespace;

    private final String loadBalancerNamespace;

    private final Path pinDirectory;

    private final List<String> namespaces = new ArrayList<>();

    private final List<Host> hosts = new ArrayList<>();

    private final List<AutoCloseable> resources = new ArrayList<>();

    private final Thread cleanupOnExit = new Thread(this::removeAll, "fleet-cleanup");

    private NamespaceThread clientThread;

    private NamespaceThread loadBalancerThread;

    private LoadBalancerProgram loadBalancer;

    private FleetFixture(Builder builder) {
        this.id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 7);
        this.port = builder.port;
        this.serverIdLength = builder.serverIdLength;
        this.clientNamespace = "qx-" + id + "-c";
        this.loadBalancerNamespace = "qx-" + id + "-lb";
        this.pinDirectory = Path.of("/sys/fs/bpf", "quicxdp-fleet-" + id);
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        boolean built = false;
        try {
            build(builder);
            built = true;
        }
        catch (Exception ex) {
            throw new IllegalStateException("building the fleet " + id + " failed: " + ex.getMessage(), ex);
        }
        finally {
            if (!built) {
                close();
            }
        }
    }

    /** A fleet of two hosts with one queue each, a 2-octet server ID, and the Java copy of the load balancer. */
    public static Builder builder(int port) {
        return new Builder(port);
    }

    private void build(Builder builder) throws Exception {
        namespace(clientNamespace);
        namespace(loadBalancerNamespace);
        for (String setting : List.of("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")) {
            Commands.run("ip", "netns", "exec", loadBalancerNamespace, "sysctl", "-q", "-w", setting);
        }
        String clientInterface = clientInterface();
        String loadBalancerInterface = loadBalancerInterface();
        link(clientNamespace, clientInterface, loadBalancerNamespace, loadBalancerInterface, 1);
        address(clientNamespace, clientInterface, "198.18.1.2", "fd00:198:18:1::2");
        address(loadBalancerNamespace, loadBalancerInterface, "198.18.1.1", "fd00:198:18:1::1");
        route(clientNamespace, "198.18.1.1", "fd00:198:18:1::1");
        // full checksums, as over a wire: the load balancer passes frames on as they came
        Commands.run("ip", "netns", "exec", clientNamespace, "ethtool", "-K", clientInterface, "tx", "off");
        Files.createDirectories(pinDirectory);
        clientThread = new NamespaceThread(clientNamespace);
        loadBalancerThread = new NamespaceThread(loadBalancerNamespace);
        for (int index = 0; index < builder.hosts; index++) {
            hosts.add(host(index, builder.queues));
        }
        if (builder.loadBalancer) {
            loadBalancer = loadBalancerThread.call(() -> {
                LoadBalancerProgram program = LoadBalancerProgram.load(port, serverIdLength);
                resources.add(program);
                program.attach(loadBalancerInterface);
                for (Host host : hosts) {
                    program.backend(host.index, host.loadBalancerInterface, host.mac(), host.loadBalancerMac());
                    program.serverId(host.serverId(), host.index);
                }
                program.hashedBackends(hosts.size());
                return program;
            });
        }
    }

    private Host host(int index, int queues) throws Exception {
        String namespace = "qx-" + id + "-h" + index;
        namespace(namespace);
        String hostInterface = "qxh" + index + id;
        String loadBalancerSide = "qxb" + index + id;
        link(loadBalancerNamespace, loadBalancerSide, namespace, hostInterface, queues);
        int subnet = 16 + index;
        address(loadBalancerNamespace, loadBalancerSide, "198.18." + subnet + ".1",
                "fd00:198:18:" + Integer.toHexString(subnet) + "::1");
        address(namespace, hostInterface, "198.18." + subnet + ".2",
                "fd00:198:18:" + Integer.toHexString(subnet) + "::2");
        Commands.run("ip", "-n", namespace, "addr", "add", SERVICE_IPV4 + "/32", "dev", "lo");
        Commands.run("ip", "-n", namespace, "-6", "addr", "add", SERVICE_IPV6 + "/128", "dev", "lo");
        route(namespace, "198.18." + subnet + ".1", "fd00:198:18:" + Integer.toHexString(subnet) + "::1");
        Path pins = pinDirectory.resolve("h" + index);
        Files.createDirectories(pins);
        NamespaceThread thread = new NamespaceThread(namespace);
        resources.add(thread);
        InstalledReferenceProgram program = thread.call(() -> ReferenceXdpProgram.install(hostInterface,
                Set.of(port), pins.resolve("xsks")));
        resources.add(program);
        return new Host(index, namespace, hostInterface, loadBalancerNamespace, loadBalancerSide, subnet,
                serverId(index), program, thread);
    }

    /** Server ID {@code index + 1}, big-endian in {@code serverIdLength} octets. */
    private byte[] serverId(int index) {
        byte[] serverId = new byte[serverIdLength];
        int value = index + 1;
        for (int i = serverIdLength - 1; i >= 0 && value != 0; i--, value >>>= 8) {
            serverId[i] = (byte) value;
        }
        return serverId;
    }

    private void namespace(String namespace) {
        Commands.run("ip", "netns", "add", namespace);
        namespaces.add(namespace);
        // no duplicate address detection: addresses, link-local ones too, are usable at once
        for (String setting : List.of("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")) {
            Commands.run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w", setting);
        }
        Commands.run("ip", "-n", namespace, "link", "set", "lo", "up");
    }

    private static void link(String namespace, String name, String peerNamespace, String peerName, int queues) {
        String q = Integer.toString(queues);
        Commands.run("ip", "link", "add", name, "netns", namespace, "numrxqueues", q, "numtxqueues", q, "type",
                "veth", "peer", "name", peerName, "netns", peerNamespace, "numrxqueues", q, "numtxqueues", q);
    }

    private static void address(String namespace, String name, String ipv4, String ipv6) {
        Commands.run("ip", "-n", namespace, "addr", "add", ipv4 + "/24", "dev", name);
        Commands.run("ip", "-n", namespace, "-6", "addr", "add", ipv6 + "/64", "dev", name, "nodad");
        Commands.run("ip", "-n", namespace, "link", "set", name, "up");
    }

    private static void route(String namespace, String ipv4Gateway, String ipv6Gateway) {
        Commands.run("ip", "-n", namespace, "route", "add", "default", "via", ipv4Gateway);
        Commands.run("ip", "-n", namespace, "-6", "route", "add", "default", "via", ipv6Gateway);
    }

    private static byte[] mac(String namespace, String name) {
        Matcher matcher = MAC.matcher(Commands.run("ip", "-n", namespace, "-o", "link", "show", "dev", name));
        if (!matcher.find()) {
            throw new IllegalStateException("no MAC address for " + name + " in " + namespace);
        }
        return HexFormat.ofDelimiter(":").parseHex(matcher.group(1));
    }

    /** The per-run unique part of every name here. */
    public String id() {
        return id;
    }

    /** The UDP port the service listens on, the one the load balancer balances and the hosts redirect. */
    public int port() {
        return port;
    }

    /** Octets of a server ID, after a connection ID's first octet. */
    public int serverIdLength() {
        return serverIdLength;
    }

    public String clientNamespace() {
        return clientNamespace;
    }

    public String loadBalancerNamespace() {
        return loadBalancerNamespace;
    }

    /** The client's veth, towards the load balancer: where a test adds the addresses a client moves to. */
    public String clientInterface() {
        return "qxc" + id;
    }

    /** The load balancer's client-facing interface, where its XDP program runs. */
    public String loadBalancerInterface() {
        return "qxl" + id;
    }

    /** The service's address, which the client sends to and every host holds. */
    public InetAddress serviceIpv4() {
        return address(SERVICE_IPV4);
    }

    public InetAddress serviceIpv6() {
        return address(SERVICE_IPV6);
    }

    public InetAddress clientIpv4() {
        return address("198.18.1.2");
    }

    public InetAddress clientIpv6() {
        return address("fd00:198:18:1::2");
    }

    public List<Host> hosts() {
        return List.copyOf(hosts);
    }

    public Host host(int index) {
        return hosts.get(index);
    }

    /** A path for a pin inside this fleet's own bpffs directory, removed with it. */
    public Path pinPath(String name) {
        return pinDirectory.resolve(name);
    }

    /** The Java copy of the load balancer, attached and filled for every host. */
    public LoadBalancerProgram loadBalancer() {
        if (loadBalancer == null) {
            throw new IllegalStateException("this fleet was built without a load balancer");
        }
        return loadBalancer;
    }

    /** Runs {@code task} on a thread in the client's namespace; fails after 30 seconds. */
    public <T> T inClient(Callable<T> task) throws Exception {
        return clientThread.call(task);
    }

    /** Runs {@code task} on a thread in the load balancer's namespace; fails after 30 seconds. */
    public <T> T inLoadBalancer(Callable<T> task) throws Exception {
        return loadBalancerThread.call(task);
    }

    /**
     * Runs a command in the load balancer's network namespace, this machine's bpffs still in view (unlike
     * {@code ip netns exec}, which mounts a fresh one): for bpftool.
     */
    public String runInLoadBalancer(String... command) {
        return Commands.run(Stream.concat(Stream.of("nsenter", "--net=/var/run/netns/" + loadBalancerNamespace),
                Arrays.stream(command)).toArray(String[]::new));
    }

    @Override
    public void close() {
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        }
        catch (IllegalStateException ex) {
            // already shutting down: the hook runs removeAll, which is idempotent
        }
    }

    private synchronized void removeAll() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            }
            catch (Exception ex) {
                // programs, maps and threads: releasing them cannot fail in a way that keeps anything
            }
        }
        resources.clear();
        if (clientThread != null) {
            clientThread.close();
        }
        if (loadBalancerThread != null) {
            loadBalancerThread.close();
        }
        // a namespace's deletion takes its veths, and their peers, with it
        for (String namespace : namespaces) {
            Commands.tryRun("ip", "netns", "del", namespace);
        }
        namespaces.clear();
        if (Files.exists(pinDirectory)) {
            try (Stream<Path> paths = Files.walk(pinDirectory)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            catch (IOException ex) {
                // best effort: the before-stop check lists anything left in bpffs
            }
        }
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        }
        catch (UnknownHostException ex) {
            throw new IllegalArgumentException(text, ex);
        }
    }

    /** One host of the fleet: its namespace, its veth with the reference program and XSKMAP, its server ID. */
    public static final class Host {

        private final int index;

        private final String namespace;

        private final String interfaceName;

        private final String loadBalancerNamespace;

        private final String loadBalancerInterface;

        private final int subnet;

        private final byte[] serverId;

        private final InstalledReferenceProgram program;

        private final NamespaceThread thread;

        private Host(int index, String namespace, String interfaceName, String loadBalancerNamespace,
                String loadBalancerInterface, int subnet, byte[] serverId, InstalledReferenceProgram program,
                NamespaceThread thread) {
            this.index = index;
            this.namespace = namespace;
            this.interfaceName = interfaceName;
            this.loadBalancerNamespace = loadBalancerNamespace;
            this.loadBalancerInterface = loadBalancerInterface;
            this.subnet = subnet;
            this.serverId = serverId;
            this.program = program;
            this.thread = thread;
        }

        /** The host's place in the fleet, and its backend slot. */
        public int index() {
            return index;
        }

        public String namespace() {
            return namespace;
        }

        /** The host's veth, where its reference program runs and its application's datapath is to open. */
        public String interfaceName() {
            return interfaceName;
        }

        /** The load balancer's end of this host's veth, its DEVMAP target. */
        public String loadBalancerInterface() {
            return loadBalancerInterface;
        }

        /** The server ID the host's connection IDs carry, and the load balancer routes to it. */
        public byte[] serverId() {
            return serverId.clone();
        }

        /** The host's own address on its link (the service address is on its loopback). */
        public InetAddress ipv4() {
            return address("198.18." + subnet + ".2");
        }

        public InetAddress ipv6() {
            return address("fd00:198:18:" + Integer.toHexString(subnet) + "::2");
        }

        /** Where the host's XSKMAP is pinned. */
        public Path mapPin() {
            return program.mapPinPath();
        }

        /** A map configuration for every queue of the host's veth and its XSKMAP. */
        public XdpMapConfig mapConfig() {
            return XdpMapConfig.allQueues(interfaceName, mapPin());
        }

        /** The host veth's MAC address, the load balancer's destination for this slot. */
        public byte[] mac() {
            return FleetFixture.mac(namespace, interfaceName);
        }

        /** The load balancer's MAC address on this host's link, the source it writes. */
        public byte[] loadBalancerMac() {
            return FleetFixture.mac(loadBalancerNamespace, loadBalancerInterface);
        }

        /**
         * Runs {@code task} on this host's thread, in its namespace: a datapath opened there, and the threads
         * it starts, live in it. Fails after 30 seconds.
         */
        public <T> T inHost(Callable<T> task) throws Exception {
            return thread.call(task);
        }
    }

    /** How to build a fleet. */
    public static final class Builder {

        private final int port;

        private int hosts = 2;

        private int queues = 1;

        private int serverIdLength = 2;

        private boolean loadBalancer = true;

        private Builder(int port) {
            this.port = port;
        }

        /** How many hosts, 1 to 9. */
        public Builder hosts(int hosts) {
            if (hosts < 1 || hosts > 9) {
                throw new IllegalArgumentException("1 to 9 hosts, not " + hosts);
            }
            this.hosts = hosts;
            return this;
        }

        /** Receive and transmit queues of each host's veth. */
        public Builder queues(int queues) {
            this.queues = queues;
            return this;
        }

        /** Octets of a server ID, 1 to 15. */
        public Builder serverIdLength(int serverIdLength) {
            this.serverIdLength = serverIdLength;
            return this;
        }

        /** Leaves the load balancer's interface without a program, for a test that attaches its own. */
        public Builder withoutLoadBalancer() {
            this.loadBalancer = false;
            return this;
        }

        /** Builds the fleet, or skips the test when the kernel tests cannot run here. */
        public FleetFixture build() {
            KernelSupport.assumeAvailable();
            return new FleetFixture(this);
        }
    }
}
