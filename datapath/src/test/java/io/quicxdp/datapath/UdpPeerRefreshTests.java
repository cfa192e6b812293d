package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A peer's route changes while the datapath sends to it: the next hop's MAC changes, or the route moves to
 * another next hop. Traffic runs at a bounded rate, for a bounded time, from a thread of its own, and a
 * socket in the fixture's peer namespace counts what arrives.
 */
class UdpPeerRefreshTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int PEER_PORT = 5000;

    private static final String NEW_MAC = "02:00:5e:10:00:2a";

    /** Much less than the default route max age: a route renewed this fast was renewed by an announcement. */
    private static final Duration ANNOUNCED_CHANGE_TIMEOUT = Duration.ofSeconds(3);

    private XskMapFixture fixture;

    private VethNamespace net;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
        net = fixture.net();
    }

    @AfterEach
    void removeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void aNextHopThatAnnouncesItsNewMacIsReachedAgainWithinMilliseconds(int version) throws Exception {
        InetAddress peerAddress = version == 4 ? net.peerIpv4() : net.peerIpv6();
        // the peer announces a new MAC as real hosts can: gratuitous ARP, unsolicited neighbour advertisement
        net.runInPeer("sysctl", "-q", "-w", "net.ipv4.conf." + net.peerInterface() + ".arp_notify=1");
        net.runInPeer("sysctl", "-q", "-w", "net.ipv6.conf." + net.peerInterface() + ".ndisc_notify=1");
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { });
                Traffic traffic = Traffic.start(net, endpoint,
                        UdpPeer.of(new InetSocketAddress(peerAddress, PEER_PORT)))) {
            traffic.awaitArrivals(20, Duration.ofSeconds(5));

            net.runInPeer("ip", "link", "set", net.peerInterface(), "address", NEW_MAC);
            long changed = System.nanoTime();
            int before = traffic.arrivals();
            traffic.awaitArrivals(before + 20, ANNOUNCED_CHANGE_TIMEOUT);

            assertThat(Duration.ofNanos(System.nanoTime() - changed)).isLessThan(ANNOUNCED_CHANGE_TIMEOUT);
            assertThat(appNeighbourMac(peerAddress)).isEqualTo(NEW_MAC);
            assertThat(traffic.failure()).isNull();
        }
    }

    @Test
    void aPeerCopiedFromADatagramIsAnsweredThroughTheFramesMacUntilARoutingChange() throws Exception {
        net.runInPeer("sysctl", "-q", "-w", "net.ipv4.conf." + net.peerInterface() + ".arp_notify=1");
        BlockingQueue<UdpPeer> senders = new ArrayBlockingQueue<>(1);
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> senders.offer(datagram.copySourceTo(
                        new UdpPeer())))) {
            net.inPeer(() -> {
                try (DatagramChannel channel = DatagramChannel.open().bind(new InetSocketAddress(PEER_PORT))) {
                    return channel.send(ascii("hello"), new InetSocketAddress(net.appIpv4(), PORT));
                }
            });
            UdpPeer learned = senders.poll(5, TimeUnit.SECONDS);
            assertThat(learned).isNotNull();
            assertThat(learned.socketAddress()).isEqualTo(new InetSocketAddress(net.peerIpv4(), PEER_PORT));
            try (Traffic traffic = Traffic.start(net, endpoint, learned)) {
                traffic.awaitArrivals(20, Duration.ofSeconds(5));

                net.runInPeer("ip", "link", "set", net.peerInterface(), "address", NEW_MAC);
                int before = traffic.arrivals();
                traffic.awaitArrivals(before + 20, ANNOUNCED_CHANGE_TIMEOUT);

                assertThat(traffic.failure()).isNull();
            }
        }
    }

    @Test
    void aPeerToldWhereItSentIsAnsweredFromThereNotFromTheRoutesSourceAddress() throws Exception {
        // a second address on the link, as a service address a host holds behind a load balancer
        String text = net.appIpv4().getHostAddress();
        InetAddress service = InetAddress.getByName(text.substring(0, text.lastIndexOf('.')) + ".200");
        Commands.run("ip", "addr", "add", service.getHostAddress() + "/32", "dev", fixture.appInterface());
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { });
                DatagramChannel receiver = net.inPeer(() -> DatagramChannel.open()
                        .bind(new InetSocketAddress(PEER_PORT)))) {
            receiver.socket().setSoTimeout(5000);
            InetSocketAddress client = new InetSocketAddress(net.peerIpv4(), PEER_PORT);
            UdpPeer told = UdpPeer.of(client).answerFrom(service);
            assertThat(endpoint.send(told, ascii("told"))).isTrue();
            assertThat(sourceOfNext(receiver)).as("from the address the peer sent to").isEqualTo(service);
            assertThat(endpoint.send(UdpPeer.of(client), ascii("not told"))).isTrue();
            assertThat(sourceOfNext(receiver)).as("from the route's source address").isEqualTo(net.appIpv4());
        }
    }

    private static InetAddress sourceOfNext(DatagramChannel receiver) throws Exception {
        DatagramPacket packet = new DatagramPacket(new byte[64], 64);
        receiver.socket().receive(packet);
        return packet.getAddress();
    }

    @Test
    void aNextHopWhoseMacChangedSilentlyIsFoundAgainWithinTheRouteMaxAge() throws Exception {
        // fast neighbour timers on the app's end, so that the kernel's own checks take milliseconds, not seconds
        Commands.run("ip", "ntable", "change", "name", "arp_cache", "dev", fixture.appInterface(), "base_reachable",
                "200", "delay_probe", "100", "retrans", "100", "ucast_probes", "1");
        DatapathSettings settings = TestSettings.small().toBuilder().routeMaxAge(Duration.ofMillis(300)).build();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings);
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { });
                Traffic traffic = Traffic.start(net, endpoint,
                        UdpPeer.of(new InetSocketAddress(net.peerIpv4(), PEER_PORT)))) {
            traffic.awaitArrivals(20, Duration.ofSeconds(5));

            // no announcement: only asking the kernel to confirm the entry, as the route ages, finds the change
            net.runInPeer("ip", "link", "set", net.peerInterface(), "address", NEW_MAC);
            int before = traffic.arrivals();
            traffic.awaitArrivals(before + 20, Duration.ofSeconds(10));

            assertThat(appNeighbourMac(net.peerIpv4())).isEqualTo(NEW_MAC);
            assertThat(traffic.failure()).isNull();
        }
    }

    @Test
    void aRouteMovedToAnotherGatewayIsFollowedWithinMilliseconds() throws Exception {
        InetAddress behindGateway = sibling(net.peerIpv4(), 77);
        InetAddress deadGateway = sibling(net.peerIpv4(), 99);
        net.runInPeer("ip", "addr", "add", behindGateway.getHostAddress() + "/32", "dev", "lo");
        // a gateway whose MAC nobody has: what is sent through it is lost, as through a router that died
        Commands.run("ip", "neigh", "replace", deadGateway.getHostAddress(), "lladdr", "02:00:5e:10:00:99", "dev",
                fixture.appInterface(), "nud", "permanent");
        Commands.run("ip", "route", "add", behindGateway.getHostAddress() + "/32", "via",
                deadGateway.getHostAddress(), "dev", fixture.appInterface());
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { });
                Traffic traffic = Traffic.start(net, endpoint,
                        UdpPeer.of(new InetSocketAddress(behindGateway, PEER_PORT)))) {
            traffic.awaitSent(50, Duration.ofSeconds(5));
            assertThat(traffic.arrivals()).as("nothing arrives through the dead gateway").isZero();

            Commands.run("ip", "route", "replace", behindGateway.getHostAddress() + "/32", "via",
                    net.peerIpv4().getHostAddress(), "dev", fixture.appInterface());
            long changed = System.nanoTime();
            traffic.awaitArrivals(20, ANNOUNCED_CHANGE_TIMEOUT);

            assertThat(Duration.ofNanos(System.nanoTime() - changed)).isLessThan(ANNOUNCED_CHANGE_TIMEOUT);
            assertThat(traffic.failure()).isNull();
        }
    }

    @Test
    void afterAFailedFirstLookupSendsFailAtOnceUntilABackgroundLookupFindsTheRoute() throws Exception {
        InetAddress absent = sibling(net.peerIpv4(), 88);
        DatapathSettings settings = TestSettings.small().toBuilder().neighbourTimeout(Duration.ofMillis(300)).build();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings);
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { });
                DatagramChannel receiver = net.inPeer(() -> DatagramChannel.open()
                        .bind(new InetSocketAddress(PEER_PORT)))) {
            UdpPeer peer = UdpPeer.of(new InetSocketAddress(absent, PEER_PORT));
            assertThatIllegalStateException().isThrownBy(() -> endpoint.send(peer, ascii("first")))
                    .withMessageContaining(absent.getHostAddress()).withMessageContaining("within 300 ms");

            long start = System.nanoTime();
            assertThatIllegalStateException().isThrownBy(() -> endpoint.send(peer, ascii("second")))
                    .withMessageContaining("within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no second wait for the neighbour")
                    .isLessThan(Duration.ofMillis(100));

            net.runInPeer("ip", "addr", "add", absent.getHostAddress() + "/24", "dev", net.peerInterface());
            assertThat(await(() -> {
                try {
                    return endpoint.send(peer, ascii("found"));
                }
                catch (IllegalStateException ex) {
                    return false;
                }
            }, Duration.ofSeconds(5))).as("a send succeeds once the address answers").isTrue();
            receiver.socket().setSoTimeout(5000);
            DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            receiver.socket().receive(packet);
            assertThat(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII))
                    .isEqualTo("found");
        }
    }

    @Test
    void sendingToAPeerWithACurrentRouteAllocatesNothing() throws Exception {
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
                UdpEndpoint endpoint = datapath.bind(PORT, datagram -> { })) {
            UdpPeer peer = UdpPeer.of(new InetSocketAddress(net.peerIpv4(), PEER_PORT));
            ByteBuffer payload = ascii("no garbage");
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            // warm up: the first sends resolve the route, run interpreted code and load classes
            sendPaced(endpoint, peer, payload, 2000);
            long before = threads.getCurrentThreadAllocatedBytes();
            int sent = sendPaced(endpoint, peer, payload, 2000);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertThat(sent).isPositive();
            // one object is at least 16 bytes: less than a byte a send means none is made per send
            assertThat(allocated).as("bytes allocated for " + sent + " sends").isLessThan(sent);
        }
    }

    /** Sends {@code count} datagrams, pausing on back-pressure; returns how many went on a TX ring. */
    private static int sendPaced(UdpEndpoint endpoint, UdpPeer peer, ByteBuffer payload, int count) {
        int sent = 0;
        for (int i = 0; i < count; i++) {
            if (endpoint.send(peer, payload)) {
                sent++;
            }
            else {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            }
        }
        return sent;
    }

    /** The MAC of the app end's neighbour entry for {@code address}, as iproute2 prints it. */
    private String appNeighbourMac(InetAddress address) {
        String shown = Commands.run("ip", "neigh", "show", address.getHostAddress(), "dev", fixture.appInterface());
        Matcher mac = Pattern.compile("lladdr ([0-9a-f:]{17})").matcher(shown);
        assertThat(mac.find()).as(shown).isTrue();
        return mac.group(1);
    }

    private static InetAddress sibling(InetAddress address, int last) throws Exception {
        byte[] raw = address.getAddress();
        raw[raw.length - 1] = (byte) last;
        return InetAddress.getByAddress(raw);
    }

    private static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Sends to one peer every 2 ms from a thread of its own, for at most 30 s, and counts the datagrams that
     * arrive at a socket bound to the peer's port in the peer namespace.
     */
    private static final class Traffic implements AutoCloseable {

        private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

        private static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

        private final AtomicInteger sent = new AtomicInteger();

        private final AtomicInteger arrivals = new AtomicInteger();

        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        private final DatagramChannel receiver;

        private final Thread sending;

        private final Thread receiving;

        private volatile boolean stopped;

        private Traffic(UdpEndpoint endpoint, UdpPeer peer, DatagramChannel receiver) {
            this.receiver = receiver;
            this.sending = new Thread(() -> send(endpoint, peer), "traffic-send");
            this.receiving = new Thread(this::receive, "traffic-receive");
        }

        /** Starts sending to {@code peer}, which belongs to the sending thread from now on. */
        static Traffic start(VethNamespace net, UdpEndpoint endpoint, UdpPeer peer) throws Exception {
            DatagramChannel receiver = net.inPeer(() -> DatagramChannel.open().bind(
                    new InetSocketAddress(peer.port())));
            Traffic traffic = new Traffic(endpoint, peer, receiver);
            traffic.receiving.start();
            traffic.sending.start();
            return traffic;
        }

        int arrivals() {
            return arrivals.get();
        }

        Throwable failure() {
            return failure.get();
        }

        void awaitArrivals(int count, Duration timeout) throws InterruptedException {
            assertThat(await(() -> arrivals.get() >= count, timeout))
                    .as(count + " arrivals within " + timeout + " (" + arrivals.get() + " of " + sent.get()
                            + " sent arrived; send failure: " + failure.get() + ")").isTrue();
        }

        void awaitSent(int count, Duration timeout) throws InterruptedException {
            assertThat(await(() -> sent.get() >= count, timeout)).as(count + " sent within " + timeout).isTrue();
        }

        private void send(UdpEndpoint endpoint, UdpPeer peer) {
            ByteBuffer payload = ascii("route refresh");
            long deadline = System.nanoTime() + LIMIT_NANOS;
            while (!stopped && System.nanoTime() - deadline < 0) {
                try {
                    if (endpoint.send(peer, payload)) {
                        sent.incrementAndGet();
                    }
                }
                catch (RuntimeException ex) {
                    failure.compareAndSet(null, ex);
                }
                LockSupport.parkNanos(INTERVAL_NANOS);
            }
        }

        private void receive() {
            DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            try {
                receiver.socket().setSoTimeout(50);
                while (!stopped) {
                    try {
                        receiver.socket().receive(packet);
                        arrivals.incrementAndGet();
                    }
                    catch (SocketTimeoutException ex) {
                        // look at the stop flag
                    }
                }
            }
            catch (java.io.IOException ex) {
                if (!stopped) {
                    failure.compareAndSet(null, ex);
                }
            }
        }

        @Override
        public void close() throws java.io.IOException {
            stopped = true;
            try {
                sending.join(TimeUnit.SECONDS.toMillis(5));
                receiving.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            receiver.close();
        }
    }
}
