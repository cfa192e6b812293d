package io.quicxdp.autoconfigure.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint.MapDescriptor;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint.SocketDescriptor;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint;
import io.quicxdp.autoconfigure.actuate.health.XdpMapHealthIndicator;
import io.quicxdp.autoconfigure.actuate.metrics.XdpHealthMetrics;
import io.quicxdp.autoconfigure.actuate.metrics.XdpMetrics;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import io.quicxdp.datapath.internal.bpf.XdpLink;
import io.quicxdp.datapath.internal.bpf.XdpProgram;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.LinkStatus;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.EchoPeer;
import io.quicxdp.datapath.testing.ProcessResources;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Faults production does to a running datapath, on real veth links: each leaves the service running, is said
 * in the datapath's state, the map's health and the {@code xdp} endpoint, and leaks nothing: descriptors, ring
 * and UMEM mappings are back to what they were before the datapath opened, and every receive frame is
 * accounted for with none held. docs/faults.md describes each.
 */
class XdpFaultTests {

    private static final int PORT = TestPorts.ECHO;

    /** A UMEM of an unusual size (520 frames), so that no other mapping of the JVM is counted as one. */
    private static final DatapathSettings SETTINGS = DatapathSettings.builder().frameCount(520).fillRingSize(256)
        .completionRingSize(256).rxRingSize(256).txRingSize(256).pollTimeout(Duration.ofMillis(20))
        .txDrainTimeout(Duration.ofMillis(200)).neighbourTimeout(Duration.ofSeconds(10)).build();

    /** Everything a test made, closed last first, whatever happened. */
    private final MadeResources made = new MadeResources();

    @AfterEach
    void cleanUp() throws Exception {
        this.made.close();
    }

    @Test
    void mapUnpinnedThenAnotherMapPinnedAtThePathIsReportedWhileTrafficGoesOn() throws Exception {
        XskMapFixture fixture = fixture(1);
        ProcessResources before = resources(SETTINGS);
        Service service = start(SETTINGS, fixture);
        assertThat(echoes(fixture)).isEqualTo(10);
        assertThat(service.health(fixture).getStatus()).isEqualTo(Status.UP);
        assertThat(service.map(fixture).pin()).isEqualTo("same-map");

        Files.delete(fixture.pin());
        assertThat(service.datapath.state().maps().get(0).pin()).isEqualTo(PinStatus.REMOVED);
        Health removed = service.health(fixture);
        assertThat(removed.getStatus()).isEqualTo(Status.DOWN);
        assertThat(removed.getDetails().get("pin")).isEqualTo("removed: nothing is pinned at " + fixture.pin());
        assertThat(service.map(fixture).pin()).isEqualTo("removed");
        assertThat(echoes(fixture)).as("the program still redirects into the map it holds").isEqualTo(10);

        try (BpfMap other = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "other")) {
            other.pin(fixture.pin());
            int otherId = other.info().id();
            MapInspection replaced = service.datapath.inspectMaps().get(0);
            assertThat(replaced.pin()).isEqualTo(PinStatus.REPLACED);
            assertThat(replaced.slots()).containsEntry(0, SlotStatus.OURS);
            assertThat(service.health(fixture).getDetails().get("pin")).isEqualTo("replaced: " + fixture.pin()
                    + " now refers to map id " + otherId + ", not " + fixture.mapId());
            assertThat(service.map(fixture).pin()).isEqualTo("replaced");
        }
        assertThat(echoes(fixture)).isEqualTo(10);
        service.assertFramesAccountedFor();
        service.close();
        assertNothingLeaked(before, SETTINGS);
    }

    @Test
    void ourKeyDeletedThenTakenOverByAnotherProcessIsReportedPerSlot() throws Exception {
        XskMapFixture fixture = fixture(1);
        VethNamespace elsewhere = made(VethNamespace.create(2));
        ProcessResources before = resources(SETTINGS);
        Service service = start(SETTINGS, fixture);
        assertThat(echoes(fixture)).isEqualTo(10);

        Commands.run("bpftool", "map", "delete", "pinned", fixture.pin().toString(), "key", "0", "0", "0", "0");
        assertThat(service.datapath.inspectMaps().get(0).slots()).containsEntry(0, SlotStatus.EMPTY);
        Health emptied = service.health(fixture);
        assertThat(emptied.getStatus()).isEqualTo(Status.DOWN);
        assertThat(queues(emptied)).containsEntry("0", "slot emptied by someone else: key 0 holds no socket");
        assertThat(echoes(fixture)).as("an empty slot: the program passes the datagrams to the kernel").isZero();
        service.awaitGauge("quic.xdp.map.slots", fixture.appInterface(), "empty", 1);
        service.awaitGauge("quic.xdp.map.health", fixture.appInterface(), null, 0);

        // another process puts its own socket (another interface's queue 1) into our slot
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ForeignSocket.class.getName(), elsewhere.appInterface(), "1", fixture.pin().toString(), "0")
            .redirectErrorStream(true)
            .start();
        this.made.add(() -> {
            other.destroyForcibly();
            other.waitFor(10, TimeUnit.SECONDS);
        });
        assertThat(firstLine(other)).isEqualTo("OPEN");
        assertThat(service.datapath.inspectMaps().get(0).slots()).containsEntry(0, SlotStatus.OTHER_SOCKET);
        assertThat(queues(service.health(fixture))).containsEntry("0",
                "slot taken over: key 0 holds another socket");
        service.awaitGauge("quic.xdp.map.slots", fixture.appInterface(), "other_socket", 1);
        service.awaitGauge("quic.xdp.map.slots", fixture.appInterface(), "ours", 0);
        long received = service.socket(fixture, 0).rxPackets();
        assertThat(echoes(fixture)).as("the kernel drops frames for a socket of another queue").isZero();
        assertThat(service.socket(fixture, 0).rxPackets()).as("nothing reaches our socket").isEqualTo(received);
        assertThat(service.datapath.state().sockets().get(0).inMap()).as("ours never deletes by key: it does not "
                + "know the slot is lost until inspected").isTrue();

        other.destroyForcibly();
        assertThat(other.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Await.until(() -> service.datapath.inspectMaps().get(0).slots().get(0) == SlotStatus.EMPTY,
                "the other process's socket leaves the slot when it dies");
        service.assertFramesAccountedFor();
        service.close();
        assertThat(fixture.occupied(0)).isFalse();
        assertNothingLeaked(before, SETTINGS);
    }

    @Test
    void interfaceDownThenUpResumesTrafficWithoutARestart() throws Exception {
        XskMapFixture fixture = fixture(1);
        ProcessResources before = resources(SETTINGS);
        Service service = start(SETTINGS, fixture);
        assertThat(echoes(fixture)).isEqualTo(10);

        Commands.run("ip", "link", "set", fixture.appInterface(), "down");
        assertThat(service.datapath.state().maps().get(0).link()).isEqualTo(LinkStatus.DOWN);
        Health down = service.health(fixture);
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).containsEntry("link", "down");
        assertThat(queues(down).get("0")).startsWith("link down");
        assertThat(service.map(fixture).link()).isEqualTo("down");
        assertThat(echoesOrNone(fixture)).isZero();

        Commands.run("ip", "link", "set", fixture.appInterface(), "up");
        Await.until(() -> service.datapath.state().maps().get(0).link() == LinkStatus.UP, "the link comes up");
        Await.until(() -> echoesOrNone(fixture) == 10, "echoes resume");
        assertThat(service.health(fixture).getStatus()).isEqualTo(Status.UP);
        assertThat(service.socket(fixture, 0).bound()).isTrue();
        service.assertFramesAccountedFor();
        service.close();
        assertNothingLeaked(before, SETTINGS);
    }

    @Test
    void deletedInterfaceIsReportedGoneWhileTheOtherKeepsServingAndCloseLeaksNothing() throws Exception {
        XskMapFixture doomed = fixture(1);
        XskMapFixture survivor = fixture(1);
        ProcessResources before = resources(SETTINGS);
        Service service = start(SETTINGS, doomed, survivor);
        assertThat(echoes(doomed)).isEqualTo(10);
        assertThat(echoes(survivor)).isEqualTo(10);

        Commands.run("ip", "link", "del", doomed.appInterface());
        MapState gone = service.datapath.state().maps().get(0);
        assertThat(gone.link()).isEqualTo(LinkStatus.GONE);
        assertThat(service.socket(doomed, 0).bound()).as("the kernel unbound it").isFalse();
        Health dead = service.health(doomed);
        assertThat(dead.getStatus()).isEqualTo(Status.DOWN);
        assertThat(dead.getDetails().get("link").toString()).startsWith("gone");
        assertThat(queues(dead).get("0")).startsWith("interface gone");
        assertThat(service.map(doomed).link()).isEqualTo("gone");
        assertThat(service.endpoint.xdp().sockets()).filteredOn((s) -> s.interfaceName().equals(doomed.appInterface()))
            .extracting(SocketDescriptor::bound)
            .containsExactly(false);

        assertThat(echoes(survivor)).as("the other interface keeps serving").isEqualTo(10);
        assertThat(service.health(survivor).getStatus()).isEqualTo(Status.UP);
        service.close();
        assertThat(survivor.occupied(0)).isFalse();
        assertNothingLeaked(before, SETTINGS);
    }

    @Test
    void xdpProgramDetachedThenReplacedIsReportedWithWhatToCheck() throws Exception {
        VethNamespace net = made(VethNamespace.create(1));
        BpfMap map = made(BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_fault"));
        Path pin = net.pinPath("xsks");
        map.pin(pin);
        int ifindex = InterfaceIndexes.of(net.appInterface());
        XdpProgram program = made(ReferenceXdpProgram.load(map, Set.of(PORT)));
        XdpLink link = made(program.attach(ifindex));
        int firstProgram = program.id();
        ProcessResources before = resources(SETTINGS);
        Service service = start(SETTINGS, List.of(XdpMapConfig.allQueues(net.appInterface(), pin)));
        assertThat(EchoPeer.echoes(net, net.appIpv4(), PORT, 10)).isEqualTo(10);
        assertThat(service.datapath.state().maps().get(0).xdpProgramAtOpen()).isEqualTo(firstProgram);
        service.awaitGauge("quic.xdp.map.xdp.program", net.appInterface(), "as_at_start", 1);
        service.awaitGauge("quic.xdp.map.health", net.appInterface(), null, 1);

        link.close();
        MapState detached = service.datapath.state().maps().get(0);
        assertThat(detached.xdpProgram()).isZero();
        Health none = service.health(net.appInterface());
        assertThat(none.getStatus()).isEqualTo(Status.DOWN);
        assertThat(none.getDetails().get("xdpProgram").toString()).startsWith("none attached");
        assertThat(queues(none)).as("the slots themselves are fine").containsEntry("0", "ok");
        service.awaitGauge("quic.xdp.map.xdp.program", net.appInterface(), "none", 1);
        service.awaitGauge("quic.xdp.map.health", net.appInterface(), null, 0);
        service.awaitGauge("quic.xdp.map.slots", net.appInterface(), "ours", 1);
        assertThat(EchoPeer.echoes(net, net.appIpv4(), PORT, 10)).isZero();

        // the same program again, as an upgrade would: another id, redirecting into our map
        XdpProgram again = made(ReferenceXdpProgram.load(map, Set.of(PORT)));
        XdpLink relinked = made(again.attach(ifindex));
        Health replaced = service.health(net.appInterface());
        assertThat(replaced.getStatus()).isEqualTo(Status.UP);
        assertThat(replaced.getDetails().get("xdpProgram").toString())
            .startsWith("replaced: id " + again.id() + " now, " + firstProgram + " at start")
            .contains("bpftool prog show id " + again.id());
        assertThat(service.map(net.appInterface()).xdpProgram()).isEqualTo(again.id());
        service.awaitGauge("quic.xdp.map.xdp.program", net.appInterface(), "replaced", 1);
        service.awaitGauge("quic.xdp.map.xdp.program", net.appInterface(), "none", 0);
        service.awaitGauge("quic.xdp.map.health", net.appInterface(), null, 1);
        assertThat(EchoPeer.echoes(net, net.appIpv4(), PORT, 10)).isEqualTo(10);

        // a program redirecting into another map: userspace cannot tell, traffic stops, the detail says what to check
        relinked.close();
        BpfMap foreignMap = made(BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_foreign"));
        XdpProgram foreign = made(ReferenceXdpProgram.load(foreignMap, Set.of(PORT)));
        XdpLink foreignLink = made(foreign.attach(ifindex));
        Health elsewhere = service.health(net.appInterface());
        assertThat(elsewhere.getStatus()).isEqualTo(Status.UP);
        assertThat(elsewhere.getDetails().get("xdpProgram").toString()).startsWith("replaced: id " + foreign.id());
        assertThat(EchoPeer.echoes(net, net.appIpv4(), PORT, 10)).isZero();
        service.assertFramesAccountedFor();
        service.close();
        for (AutoCloseable mine : List.of(foreignLink, foreign, foreignMap, again)) {
            mine.close();
        }
        assertNothingLeaked(before, SETTINGS);
    }

    @Test
    void starvedFillRingAndFullTxRingUnderABurstAreCountedAndTheServiceRecovers() throws Exception {
        DatapathSettings tiny = SETTINGS.toBuilder().frameCount(72).fillRingSize(16).completionRingSize(8)
            .rxRingSize(16).txRingSize(8).build();
        XskMapFixture fixture = fixture(1);
        ProcessResources before = resources(tiny);
        AtomicInteger handled = new AtomicInteger();
        Service service = start(tiny, List.of(fixture.config()), (datagram) -> {
            ByteBuffer payload = datagram.payload();
            if (payload.get(payload.position()) != 'b') {
                datagram.reply(datagram.payload());
                return;
            }
            handled.incrementAndGet();
            // three replies a burst datagram, kicked only after the batch: the 8-entry TX ring fills up
            for (int i = 0; i < 3; i++) {
                datagram.reply(datagram.payload());
            }
            // slow enough for the burst to find the fill ring empty
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        });
        send(fixture, 2000);
        Await.until(() -> service.socket(fixture, 0).kernel().rxFillRingEmpty() > 0, "the fill ring ran dry");
        Await.until(() -> service.socket(fixture, 0).txBackPressure() > 0, "the TX ring refused replies");
        // the burst is over once nothing more arrived for a while and the last datagram's replies are out (the
        // handler counts a datagram before its three replies)
        SocketState[] last = new SocketState[1];
        long[] quietSince = new long[1];
        Await.until(() -> {
            SocketState now = service.socket(fixture, 0);
            if (last[0] == null || last[0].rxPackets() != now.rxPackets()) {
                quietSince[0] = System.nanoTime();
            }
            last[0] = now;
            return now.rxPackets() == handled.get() && now.txPackets() + now.txBackPressure() == 3L * handled.get()
                    && System.nanoTime() - quietSince[0] > TimeUnit.MILLISECONDS.toNanos(300);
        }, "the burst is handled, every reply sent or refused");
        SocketState after = last[0];
        assertThat(after.rxPackets()).as("fewer than sent: the kernel dropped the rest").isLessThan(2000);
        assertThat(after.txPackets() + after.txBackPressure()).isEqualTo(3L * after.rxPackets());
        SocketDescriptor described = service.endpoint.xdp().sockets().get(0);
        assertThat(described.kernel().rxFillRingEmpty()).isPositive();
        assertThat(described.txBackPressure()).isPositive();
        service.assertFramesAccountedFor();

        // five at once: the 8-entry TX ring takes a batch's replies only up to its size
        assertThat(EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 5)).isEqualTo(5);
        service.health(fixture);
        assertThat(service.health(fixture).getStatus()).as("received since: not starved").isEqualTo(Status.UP);
        service.assertFramesAccountedFor();
        service.close();
        assertNothingLeaked(before, tiny);
    }

    @Test
    void aThrowingHandlerIsCountedAndABlockedOneHoldsOnlyItsOwnQueueThenDrains() throws Exception {
        XskMapFixture fixture = fixture(2);
        ProcessResources before = resources(SETTINGS);
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger blockedQueue = new AtomicInteger(-1);
        Service service = start(SETTINGS, List.of(fixture.config()), (datagram) -> {
            String text = StandardCharsets.US_ASCII.decode(datagram.payload().duplicate()).toString();
            if (text.startsWith("throw")) {
                throw new IllegalStateException("handler bug");
            }
            if (text.startsWith("block") && blockedQueue.compareAndSet(-1, datagram.queueId())) {
                blocked.countDown();
                awaitQuietly(release);
            }
            datagram.reply(datagram.payload());
        });
        sendText(fixture, "throw", 20);
        Await.until(() -> drops(service, DropReason.HANDLER_FAILED) == 20, "20 handler failures counted");
        assertThat(echoes(fixture)).as("the loop survives").isEqualTo(10);
        assertThat(service.endpoint.xdp().sockets().stream().mapToLong((s) -> s.drops().get("handler_failed")).sum())
            .isEqualTo(20);

        sendText(fixture, "block", 1);
        assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
        int stuck = blockedQueue.get();
        int free = 1 - stuck;
        long stuckSentBefore = service.socket(fixture, stuck).txPackets();
        // from many source ports, so that flows land on both queues: those on the free queue are answered
        long answeredBefore = service.socket(fixture, free).txPackets();
        int echoed = echoesFromManyPorts(fixture, 64);
        assertThat(echoed).as("the other queue keeps serving").isPositive().isLessThan(64);
        assertThat(service.socket(fixture, free).txPackets() - answeredBefore).isEqualTo(echoed);
        long waiting = 64 - echoed;
        release.countDown();
        // the blocking datagram's own echo, then those that waited behind it
        Await.until(() -> service.socket(fixture, stuck).txPackets() - stuckSentBefore == waiting + 1,
                "the unblocked queue drains");
        service.assertFramesAccountedFor();
        assertThat(service.health(fixture).getStatus()).isEqualTo(Status.UP);
        service.close();
        assertNothingLeaked(before, SETTINGS);
    }

    private XskMapFixture fixture(int queues) throws Exception {
        return made(XskMapFixture.create(queues, Set.of(PORT)));
    }

    private <T extends AutoCloseable> T made(T resource) {
        return this.made.add(resource);
    }

    private Service start(DatapathSettings settings, XskMapFixture... fixtures) {
        return start(settings, java.util.Arrays.stream(fixtures).map(XskMapFixture::config).toList());
    }

    private Service start(DatapathSettings settings, List<XdpMapConfig> configs) {
        return start(settings, configs, (datagram) -> datagram.reply(datagram.payload()));
    }

    private Service start(DatapathSettings settings, List<XdpMapConfig> configs,
            io.quicxdp.datapath.DatagramHandler handler) {
        XdpDatapath datapath = made(XdpDatapath.open(configs, settings));
        datapath.bind(PORT, handler);
        return new Service(datapath, new XdpEndpoint(datapath));
    }

    private static ProcessResources resources(DatapathSettings settings) {
        return ProcessResources.now(settings.umemBytes());
    }

    private static void assertNothingLeaked(ProcessResources before, DatapathSettings settings)
            throws InterruptedException {
        // the routing thread closes its socket as it leaves, within a second of close; the JVM may have let go
        // of descriptors of its own meanwhile, so nothing may have grown
        Await.until(() -> {
            ProcessResources now = resources(settings);
            return now.fds() <= before.fds() && now.ringMappings() <= before.ringMappings()
                    && now.umemMappings() <= before.umemMappings();
        }, "back to " + before + ", not " + resources(settings));
    }

    private static int echoes(XskMapFixture fixture) throws Exception {
        return EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 10);
    }

    /** Echoes counted, or none when the peer cannot even send (its link has no carrier). */
    private static int echoesOrNone(XskMapFixture fixture) {
        try {
            return echoes(fixture);
        }
        catch (Exception ex) {
            return 0;
        }
    }

    private static int echoesFromManyPorts(XskMapFixture fixture, int sockets) throws Exception {
        return fixture.net().inPeer(() -> {
            InetSocketAddress target = new InetSocketAddress(fixture.net().appIpv4(), PORT);
            DatagramChannel[] channels = new DatagramChannel[sockets];
            try {
                for (int i = 0; i < sockets; i++) {
                    channels[i] = DatagramChannel.open();
                    channels[i].configureBlocking(false);
                    channels[i].send(ByteBuffer.wrap(("many-" + i).getBytes(StandardCharsets.US_ASCII)), target);
                }
                int answered = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                boolean[] done = new boolean[sockets];
                ByteBuffer buffer = ByteBuffer.allocate(64);
                while (System.nanoTime() < deadline) {
                    for (int i = 0; i < sockets; i++) {
                        buffer.clear();
                        if (!done[i] && channels[i].receive(buffer) != null) {
                            done[i] = true;
                            answered++;
                        }
                    }
                    Thread.sleep(1);
                }
                return answered;
            }
            finally {
                for (DatagramChannel channel : channels) {
                    if (channel != null) {
                        channel.close();
                    }
                }
            }
        });
    }

    private static void send(XskMapFixture fixture, int count) throws Exception {
        sendText(fixture, "burst", count);
    }

    private static void sendText(XskMapFixture fixture, String text, int count) throws Exception {
        fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                InetSocketAddress target = new InetSocketAddress(fixture.net().appIpv4(), PORT);
                for (int i = 0; i < count; i++) {
                    channel.send(ByteBuffer.wrap((text + "-" + i).getBytes(StandardCharsets.US_ASCII)), target);
                }
            }
            return null;
        });
    }

    private static long drops(Service service, DropReason reason) {
        return service.datapath.state().sockets().stream().mapToLong((s) -> s.drops().get(reason)).sum();
    }

    private static String firstLine(Process process) throws Exception {
        BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder other = new StringBuilder();
        for (String line = output.readLine(); line != null; line = output.readLine()) {
            if (line.startsWith("OPEN") || line.startsWith("FAILED")) {
                return line;
            }
            other.append(line).append('\n');
        }
        throw new AssertionError("the other process printed nothing of ours:\n" + other);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> queues(Health health) {
        return (Map<String, String>) health.getDetails().get("queues");
    }

    /**
     * A running datapath with an echo endpoint, its endpoint, a health indicator per interface, and its meters
     * (those of the health indicators too) in a registry of their own.
     */
    private static final class Service {

        final XdpDatapath datapath;

        final XdpEndpoint endpoint;

        private final Map<String, XdpMapHealthIndicator> health = new java.util.concurrent.ConcurrentHashMap<>();

        private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

        Service(XdpDatapath datapath, XdpEndpoint endpoint) {
            this.datapath = datapath;
            this.endpoint = endpoint;
            for (MapState map : datapath.state().maps()) {
                this.health.put(map.interfaceName(), new XdpMapHealthIndicator(datapath, map.interfaceName(), Duration.ofSeconds(5)));
            }
            new XdpMetrics(datapath).bindTo(this.meters);
            new XdpHealthMetrics(List.copyOf(this.health.keySet()), CompositeHealthContributor.fromMap(this.health))
                .bindTo(this.meters);
        }

        /** Waits until the interface's gauge {@code name} (with tag {@code status}, unless null) reads {@code value}. */
        void awaitGauge(String name, String interfaceName, String status, double value) throws InterruptedException {
            Tags tags = Tags.of("interface", interfaceName);
            Tags tagged = (status != null) ? tags.and("status", status) : tags;
            Await.until(() -> this.meters.get(name).tags(tagged).gauge().value() == value,
                    name + tagged + " reads " + value);
        }

        Health health(XskMapFixture fixture) {
            return health(fixture.appInterface());
        }

        Health health(String interfaceName) {
            return this.health.computeIfAbsent(interfaceName, (name) -> new XdpMapHealthIndicator(this.datapath, name, Duration.ofSeconds(5)))
                .health(true);
        }

        MapDescriptor map(XskMapFixture fixture) {
            return map(fixture.appInterface());
        }

        MapDescriptor map(String interfaceName) {
            return this.endpoint.xdp().maps().stream().filter((m) -> m.interfaceName().equals(interfaceName))
                .findFirst().orElseThrow();
        }

        SocketState socket(XskMapFixture fixture, int queue) {
            return this.datapath.sockets(fixture.appInterface()).get(queue);
        }

        /** Every receive frame with the kernel, held or free, none held, once the queues are idle. */
        void assertFramesAccountedFor() throws InterruptedException {
            Await.until(() -> this.datapath.state().sockets().stream().filter(SocketState::bound)
                .allMatch((s) -> s.receiveFrames().balanced() && s.receiveFrames().held() == 0),
                    "frames balanced, none held: " + this.datapath.state().sockets());
        }

        void close() {
            this.datapath.close();
            assertThat(this.datapath.state().sockets()).allSatisfy((s) -> {
                assertThat(s.bound()).isFalse();
                assertThat(s.inMap()).isFalse();
            });
        }
    }
}
