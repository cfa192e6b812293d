package io.quicxdp.datapath.internal.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.ThreadCapabilities;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.VethNamespace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Link, route and neighbour queries against the real kernel, on a per-test veth pair. */
class RouteNetlinkSocketTests {

    /**
     * Generous because the fixture's link is new: the kernel sends the neighbour solicitations NTF_USE starts
     * only from a link-local address, which stays tentative for a second or two while duplicate address
     * detection runs, so IPv6 resolution on a fresh link takes about two seconds.
     */
    private static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void linkInfoOfATwoQueueVeth() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            String app = net.appInterface();

            LinkInfo link = netlink.link(app);

            assertThat(link.index()).isEqualTo(InterfaceIndexes.of(app));
            assertThat(link.name()).isEqualTo(app);
            assertThat(Netlink.macToString(link.mac())).isEqualTo(sysfs(app, "address"));
            assertThat(link.mtu()).isEqualTo(Integer.parseInt(sysfs(app, "mtu")));
            assertThat(link.numRxQueues()).isEqualTo(2);
            assertThat(link.numTxQueues()).isEqualTo(2);
            assertThat(link.bindableRxQueues()).isEqualTo(2);
            assertThat(link.up()).isTrue();
            assertThat(link.running()).isTrue();
            assertThat(netlink.link(link.index())).isEqualTo(link);
        }
    }

    @Test
    void linkInfoOfAFourQueueVeth() throws Exception {
        try (VethNamespace net = VethNamespace.create(4); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            LinkInfo link = netlink.link(net.appInterface());

            assertThat(link.numRxQueues()).isEqualTo(4);
            assertThat(link.bindableRxQueues()).isEqualTo(4);
        }
    }

    @Test
    void bindableQueuesFollowEthtoolChannelsNotTheCreatedCount() throws Exception {
        try (VethNamespace net = VethNamespace.create(4); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            Commands.run("ethtool", "-L", net.appInterface(), "rx", "1");

            LinkInfo link = netlink.link(net.appInterface());

            assertThat(link.numRxQueues()).isEqualTo(4);
            assertThat(link.bindableRxQueues()).isEqualTo(1);
        }
    }

    @Test
    void loopbackHasNoChannelCountsSoItsCreatedQueuesCount() throws Exception {
        KernelSupport.assumeAvailable();
        try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            LinkInfo lo = netlink.link("lo");

            assertThat(lo.index()).isEqualTo(InterfaceIndexes.of("lo"));
            assertThat(lo.mac()).isZero();
            assertThat(lo.numRxQueues()).isEqualTo(1);
            assertThat(lo.bindableRxQueues()).isEqualTo(1);
            assertThat(lo.up()).isTrue();
        }
    }

    @Test
    void linkDumpListsEveryInterface() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            assertThat(netlink.links()).extracting(LinkInfo::name).contains("lo", net.appInterface())
                    .doesNotContain(net.peerInterface());
        }
    }

    @Test
    void unknownInterfaceIsEnodev() throws Exception {
        KernelSupport.assumeAvailable();
        try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> netlink.link("qxnosuch0"))
                    .satisfies(e -> {
                        assertThat(e.errno()).isEqualTo(Errno.ENODEV);
                        assertThat(e.getMessage()).startsWith("RTM_GETLINK(qxnosuch0)").contains("ENODEV");
                    });
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> netlink.link(Integer.MAX_VALUE))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        }
    }

    @Test
    void answersComeFromTheNamespaceTheSocketWasOpenedIn() throws Exception {
        try (VethNamespace net = VethNamespace.create(2)) {
            LinkInfo peer = net.inPeer(() -> {
                try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
                    return netlink.link(net.peerInterface());
                }
            });

            assertThat(peer.name()).isEqualTo(net.peerInterface());
            assertThat(peer.mac()).isEqualTo(peerMac(net));
            assertThat(peer.bindableRxQueues()).isEqualTo(2);
        }
    }

    @Test
    void routeToThePeerIsOnLinkFromTheAppAddress() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());

            Route ipv4 = netlink.route(net.peerIpv4());
            Route ipv6 = netlink.route(net.peerIpv6());

            assertThat(ipv4).isEqualTo(new Route(net.peerIpv4(), app, null, net.appIpv4()));
            assertThat(ipv6).isEqualTo(new Route(net.peerIpv6(), app, null, net.appIpv6()));
            assertThat(ipv4.nextHop()).isEqualTo(net.peerIpv4());
        }
    }

    @Test
    void routeThroughAGatewayNamesIt() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            InetAddress ipv4Host = sibling(net.peerIpv4(), 77);
            InetAddress ipv6Host = sibling(net.peerIpv6(), 77);
            InetAddress viaIpv6Host = sibling(net.peerIpv4(), 78);
            // routes more specific than the connected ones, inside the fixture's subnets; they go with the link
            Commands.run("ip", "route", "add", ipv4Host.getHostAddress() + "/32", "via",
                    net.peerIpv4().getHostAddress(), "dev", net.appInterface());
            Commands.run("ip", "-6", "route", "add", ipv6Host.getHostAddress() + "/128", "via",
                    net.peerIpv6().getHostAddress(), "dev", net.appInterface());
            Commands.run("ip", "route", "add", viaIpv6Host.getHostAddress() + "/32", "via", "inet6",
                    net.peerIpv6().getHostAddress(), "dev", net.appInterface());

            assertThat(netlink.route(ipv4Host).gateway()).isEqualTo(net.peerIpv4());
            assertThat(netlink.route(ipv6Host).gateway()).isEqualTo(net.peerIpv6());
            assertThat(netlink.route(viaIpv6Host).gateway()).isEqualTo(net.peerIpv6());

            NextHop hop = netlink.resolve(ipv4Host, RESOLVE_TIMEOUT);
            assertThat(hop.gateway()).isEqualTo(net.peerIpv4());
            assertThat(hop.source()).isEqualTo(net.appIpv4());
            assertThat(hop.mac()).isEqualTo(peerMac(net));
            assertThat(netlink.resolve(viaIpv6Host, RESOLVE_TIMEOUT).mac()).isEqualTo(peerMac(net));
        }
    }

    @Test
    void localAddressHasNoNextHop() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            assertThatExceptionOfType(NextHopException.class).isThrownBy(() -> netlink.route(net.appIpv4()))
                    .withMessageContaining(net.appIpv4().getHostAddress()).withMessageContaining("type local");
        }
    }

    @Test
    void resolvesThePeerMacOverArpFromAnEmptyCache() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());
            Commands.run("ip", "neigh", "flush", "dev", net.appInterface());
            assertThat(netlink.neighbourMac(app, net.peerIpv4())).isNull();

            NextHop hop = netlink.resolve(net.peerIpv4(), RESOLVE_TIMEOUT);

            assertThat(hop.interfaceIndex()).isEqualTo(app);
            assertThat(hop.gateway()).isNull();
            assertThat(hop.source()).isEqualTo(net.appIpv4());
            assertThat(hop.mac()).isEqualTo(peerMac(net));
            assertThat(netlink.neighbourMac(app, net.peerIpv4())).isEqualTo(peerMac(net));
        }
    }

    @Test
    void resolvesThePeerMacOverNeighbourDiscoveryFromAnEmptyCache() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());
            Commands.run("ip", "-6", "neigh", "flush", "dev", net.appInterface());
            assertThat(netlink.neighbourMac(app, net.peerIpv6())).isNull();

            NextHop hop = netlink.resolve(net.peerIpv6(), RESOLVE_TIMEOUT);

            assertThat(hop.interfaceIndex()).isEqualTo(app);
            assertThat(hop.gateway()).isNull();
            assertThat(hop.source()).isEqualTo(net.appIpv6());
            assertThat(hop.mac()).isEqualTo(peerMac(net));
        }
    }

    @Test
    void anEmptyDatagramMakesTheKernelResolveTheNeighbourWithoutCapNetAdmin() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());
            Commands.run("ip", "neigh", "flush", "dev", net.appInterface());
            Commands.run("ip", "-6", "neigh", "flush", "dev", net.appInterface());

            RouteNetlinkSocket.sendDiscardDatagram(net.peerIpv4(), app);
            RouteNetlinkSocket.sendDiscardDatagram(net.peerIpv6(), app);

            assertThat(awaitNeighbourMac(netlink, app, net.peerIpv4())).isEqualTo(peerMac(net));
            assertThat(awaitNeighbourMac(netlink, app, net.peerIpv6())).isEqualTo(peerMac(net));
        }
    }

    @Test
    void withoutCapNetAdminResolutionFallsBackToADiscardDatagram() throws Exception {
        try (VethNamespace net = VethNamespace.create(2)) {
            Commands.run("ip", "neigh", "flush", "dev", net.appInterface());
            DatagramChannel discard = net.inPeer(() -> DatagramChannel.open()
                    .bind(new InetSocketAddress(net.peerIpv4(), 9)));
            try {
                discard.configureBlocking(false);

                NextHop hop = withoutNetAdmin(() -> {
                    try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
                        return netlink.resolve(net.peerIpv4(), RESOLVE_TIMEOUT);
                    }
                });

                assertThat(hop.mac()).isEqualTo(peerMac(net));
                ByteBuffer datagram = ByteBuffer.allocate(16);
                SocketAddress from = discard.receive(datagram);
                for (int attempt = 0; attempt < 100 && from == null; attempt++) {
                    Thread.sleep(20);
                    from = discard.receive(datagram);
                }
                assertThat(from).as("an empty datagram at the peer's discard port").isNotNull();
                assertThat(((InetSocketAddress) from).getAddress()).isEqualTo(net.appIpv4());
                assertThat(datagram.position()).isZero();
            }
            finally {
                discard.close();
            }
        }
    }

    @Test
    void unresolvableOnLinkAddressFailsWithinTheTimeout() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            InetAddress nobody = sibling(net.peerIpv4(), 99);
            InetAddress nobodyIpv6 = sibling(net.peerIpv6(), 99);
            Duration timeout = Duration.ofMillis(500);

            long start = System.nanoTime();
            assertThatExceptionOfType(NextHopException.class).isThrownBy(() -> netlink.resolve(nobody, timeout))
                    .withMessageContaining(nobody.getHostAddress()).withMessageContaining(net.appInterface())
                    .withMessageContaining("within 500 ms").withMessageContaining("ARP");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));

            assertThatExceptionOfType(NextHopException.class).isThrownBy(() -> netlink.resolve(nobodyIpv6, timeout))
                    .withMessageContaining(nobodyIpv6.getHostAddress()).withMessageContaining(net.appInterface())
                    .withMessageContaining("neighbour solicitations");
        }
    }

    @Test
    void lookupAnswersFromAUsableEntryWithoutAskingTheNetwork() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());
            Commands.run("ip", "neigh", "replace", net.peerIpv4().getHostAddress(), "lladdr", "02:00:5e:00:00:07",
                    "dev", net.appInterface(), "nud", "permanent");

            NextHop hop = netlink.lookup(net.peerIpv4());

            assertThat(hop.interfaceIndex()).isEqualTo(app);
            assertThat(hop.source()).isEqualTo(net.appIpv4());
            assertThat(hop.mac()).isEqualTo(0x02005e000007L);
            assertThat(neighbourState(net, net.peerIpv4())).isEqualTo("PERMANENT");
        }
    }

    @Test
    void lookupOfAnUnknownNextHopStartsResolutionAndAnswersNullAtOnce() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            int app = InterfaceIndexes.of(net.appInterface());
            Commands.run("ip", "neigh", "flush", "dev", net.appInterface());

            long start = System.nanoTime();
            NextHop hop = netlink.lookup(net.peerIpv4());

            assertThat(hop).isNull();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
            assertThat(awaitNeighbourMac(netlink, app, net.peerIpv4())).isEqualTo(peerMac(net));
            assertThat(netlink.lookup(net.peerIpv4()).mac()).isEqualTo(peerMac(net));
        }
    }

    @Test
    void lookupOfAStaleEntryAnswersItsMacAndHasTheKernelConfirmIt() throws Exception {
        try (VethNamespace net = VethNamespace.create(2); RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            String mac = Long.toHexString(0x1000000000000L | peerMac(net)).substring(1).replaceAll("(..)(?!$)", "$1:");
            Commands.run("ip", "neigh", "replace", net.peerIpv4().getHostAddress(), "lladdr", mac, "dev",
                    net.appInterface(), "nud", "stale");

            assertThat(netlink.lookup(net.peerIpv4()).mac()).isEqualTo(peerMac(net));

            // STALE becomes DELAY, then the peer's answer to a unicast probe makes it REACHABLE
            assertThat(neighbourState(net, net.peerIpv4())).isIn("DELAY", "PROBE", "REACHABLE");
        }
    }

    @Test
    void closeIsIdempotentAndEndsUse() throws Exception {
        KernelSupport.assumeAvailable();
        RouteNetlinkSocket netlink = RouteNetlinkSocket.open();
        netlink.close();
        netlink.close();

        assertThatIllegalStateException().isThrownBy(() -> netlink.link("lo"));
    }

    /** Runs {@code task} on a new thread that has dropped {@code CAP_NET_ADMIN}, as an unprivileged service. */
    private static <T> T withoutNetAdmin(Callable<T> task) throws Exception {
        FutureTask<T> result = new FutureTask<>(() -> {
            ThreadCapabilities.dropNetAdmin();
            return task.call();
        });
        Thread thread = new Thread(result, "without-cap-net-admin");
        thread.start();
        try {
            return result.get(30, TimeUnit.SECONDS);
        }
        catch (ExecutionException ex) {
            throw ex.getCause() instanceof Exception cause ? cause : ex;
        }
        finally {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private static Long awaitNeighbourMac(RouteNetlinkSocket netlink, int ifindex, InetAddress address)
            throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            Long mac = netlink.neighbourMac(ifindex, address);
            if (mac != null) {
                return mac;
            }
            Thread.sleep(20);
        }
        return null;
    }

    /** The state of the app end's neighbour entry for {@code address}, as iproute2 names it. */
    private static String neighbourState(VethNamespace net, InetAddress address) {
        String shown = Commands.run("ip", "neigh", "show", address.getHostAddress(), "dev", net.appInterface()).strip();
        return shown.substring(shown.lastIndexOf(' ') + 1);
    }

    /** The peer end's MAC, as iproute2 shows it inside the peer namespace. */
    private static long peerMac(VethNamespace net) {
        String shown = Commands.run("ip", "-n", net.namespace(), "link", "show", net.peerInterface());
        Matcher ether = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(shown);
        assertThat(ether.find()).as(shown).isTrue();
        return Long.parseLong(ether.group(1).replace(":", ""), 16);
    }

    private static String sysfs(String interfaceName, String attribute) throws Exception {
        return Files.readString(Path.of("/sys/class/net", interfaceName, attribute)).strip();
    }

    /** The address in the same subnet as {@code address} whose last byte is {@code last}. */
    private static InetAddress sibling(InetAddress address, int last) throws Exception {
        byte[] raw = address.getAddress();
        raw[raw.length - 1] = (byte) last;
        return InetAddress.getByAddress(raw);
    }
}
