package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.LeakPresenceDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.internal.linux.Namespaces;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.QueueProbe;
import io.quicxdp.datapath.testing.RebindingRelay;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Netty's QUIC codec as a server on the XDP transport, one channel per loop under an
 * {@link io.quicxdp.netty.quic.XdpQuicDispatcher}, and Netty's QUIC client over ordinary sockets in the peer
 * namespace: many connections with several streams each, over IPv4 and IPv6, payloads from one byte to a mebibyte
 * echoed byte for byte; a burst through a TX ring of 16 frames; connections whose clients move, as behind a NAT
 * that rebinds, to ports the peer's veth puts on the other queue.
 * The codec writing its datagrams straight into TX frames ({@link XdpQuic#txFrameAllocator()}), with and without
 * segments, through few frames, and on the kernel's TX path; every TX frame free again after each test.
 * The port on the other queue is found by trying ports ({@link QueueProbe}).
 */
class QuicOverXdpTests {

    private static final int PORT = TestPorts.ECHO;

    private static final String ALPN = "quic-xdp-echo";

    private static final int CONNECTIONS = 8;

    private static final int[] PAYLOADS = {1, 1024, 1 << 20};

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    private MultiThreadIoEventLoopGroup serverLoops;

    private List<Channel> serverChannels = List.of();

    private MultiThreadIoEventLoopGroup clientLoops;

    private X509Bundle certificate;

    private final AtomicInteger handshakes = new AtomicInteger();

    private XdpQuicRouting routing;

    @BeforeEach
    void start() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
        clientLoops = new MultiThreadIoEventLoopGroup(2, inPeerNamespace(), NioIoHandler.newFactory());
        certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
                .buildSelfSigned();
    }

    /** Opens the datapath with {@code settings} and serves QUIC echo on every loop, as an application would. */
    private void serve(DatapathSettings.Builder settings) throws Exception {
        serve(settings, false);
    }

    /** As {@link #serve(DatapathSettings.Builder)}; {@code segmented}: the codec writes its datagrams in batches. */
    private void serve(DatapathSettings.Builder settings, boolean segmented) throws Exception {
        serve(settings, segmented, false);
    }

    /**
     * As {@link #serve(DatapathSettings.Builder, boolean)}; {@code txFrames}: the codec writes its datagrams into TX
     * frames ({@link XdpQuic#txFrameAllocator()}).
     */
    private void serve(DatapathSettings.Builder settings, boolean segmented, boolean txFrames) throws Exception {
        datapath = XdpDatapath.open(List.of(fixture.config()), settings.neighbourTimeout(Duration.ofSeconds(10))
                .pollThreads(false).build());
        serverLoops = XdpIoHandlerFactory.of(datapath).newGroup(new DefaultThreadFactory("xdp-quic-" + fixture.net().id()));
        QuicSslContext serverTls = QuicSslContextBuilder.forServer(certificate.getKeyPair().getPrivate(), null,
                certificate.getCertificate()).applicationProtocols(ALPN).build();
        ChannelHandler echo = new QuicEchoOverXdp.EchoStream();
        routing = XdpQuicRouting.create(QuicLbConnectionIds.builder().serverId(new byte[] {0x0a, 0x01}).build(),
                serverLoops);
        ChannelHandler connection = routing.connectionHandler(new CountHandshakes());
        serverChannels = XdpChannels.bindEveryLoop(new Bootstrap().handler(routing.dispatcher(
                (channel, localConnectionIdLength, idGenerator) -> {
                    QuicServerCodecBuilder codec = limits(new QuicServerCodecBuilder());
                    if (segmented) {
                        codec.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR,
                                XdpQuic.segmentedAllocator());
                    }
                    if (txFrames) {
                        codec.option(ChannelOption.ALLOCATOR, XdpQuic.txFrameAllocator());
                    }
                    channel.pipeline().addLast(codec.sslContext(serverTls)
                            .localConnectionIdLength(localConnectionIdLength)
                            .connectionIdAddressGenerator(idGenerator)
                            .tokenHandler(InsecureQuicTokenHandler.INSTANCE).handler(connection)
                            // a stream echoes after the peer finished its side, so it must stay open half-closed
                            .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, true).streamHandler(echo).build());
                })), serverLoops, new InetSocketAddress(PORT));
    }

    /**
     * Waits until every receive frame is back with the kernel and every TX frame free: no packet of the test is
     * still held, and no buffer holds a TX frame.
     */
    private void awaitNoFrameHeld() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (datapath.state().sockets().stream().anyMatch(s -> s.receiveFrames().held() > 0
                || s.transmitFrames().free() < s.transmitFrames().transmitFrames()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(datapath.state().sockets()).allSatisfy(socket -> {
            assertThat(socket.receiveFrames().held()).as("frames held on queue %d", socket.queueId()).isZero();
            assertThat(socket.receiveFrames().balanced()).isTrue();
            assertThat(socket.transmitFrames().free()).as("TX frames free on queue %d", socket.queueId())
                    .isEqualTo(socket.transmitFrames().transmitFrames());
            assertThat(socket.transmitFrames().balanced()).isTrue();
        });
    }

    @AfterAll
    static void noBufferLeaked() {
        // every buffer Netty allocated in this class, the QUIC codec's included, was released
        LeakPresenceDetector.check();
    }

    @AfterEach
    void stop() throws Exception {
        if (clientLoops != null) {
            clientLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        // before the loops: a loop shut down with no quiet period may end before it closes its channels itself,
        // and then their pipelines (the QUIC codec's native buffers) are never torn down
        for (Channel channel : serverChannels) {
            channel.close().sync();
        }
        if (serverLoops != null) {
            serverLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        if (datapath != null) {
            datapath.close();
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    private static <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B limits(B builder) {
        return builder.maxIdleTimeout(20, TimeUnit.SECONDS).initialMaxData(16 << 20)
                .initialMaxStreamDataBidirectionalLocal(4 << 20).initialMaxStreamDataBidirectionalRemote(4 << 20)
                .initialMaxStreamsBidirectional(100);
    }

    /** Event loop threads in the peer's network namespace, like the client's sockets. */
    private ThreadFactory inPeerNamespace() {
        DefaultThreadFactory threads = new DefaultThreadFactory("quic-client-" + fixture.net().id());
        String namespace = "/var/run/netns/" + fixture.net().namespace();
        return task -> threads.newThread(() -> {
            try {
                Namespaces.enterNetworkNamespace(namespace);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            task.run();
        });
    }

    @Test
    void connectionsWithStreamsFromOneByteToAMebibyteAreEchoedOverIpv4AndIpv6() throws Exception {
        serve(DatapathSettings.builder().frameCount(4096));
        echoOverIpv4AndIpv6(CONNECTIONS, new Random(42));
        assertThat(handshakes.get()).isEqualTo(2 * CONNECTIONS);
        awaitNoFrameHeld();
        List<SocketState> sockets = datapath.state().sockets();
        assertThat(sockets).as("both queues carried connections")
                .allSatisfy(socket -> assertThat(socket.rxPackets()).isPositive());
        assertThat(sockets.stream().mapToLong(SocketState::rxBytes).sum()).as("the payloads came through the XSKs")
                .isGreaterThan(2L * CONNECTIONS * (1 << 20));
    }

    /**
     * Connects {@code connections} clients over IPv4, then as many over IPv6, echoes a stream of each of
     * {@link #PAYLOADS}' sizes on every one at once, checks every byte that comes back, and closes them.
     */
    private void echoOverIpv4AndIpv6(int connections, Random random) throws Exception {
        for (InetAddress[] pair : new InetAddress[][] {{fixture.net().appIpv4(), fixture.net().peerIpv4()},
                {fixture.net().appIpv6(), fixture.net().peerIpv6()}}) {
            InetSocketAddress server = new InetSocketAddress(pair[0], PORT);
            List<QuicChannel> clients = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                clients.add(connect(new InetSocketAddress(pair[1], 0), server));
            }
            List<Promise<byte[]>> echoes = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            for (QuicChannel connection : clients) {
                for (int size : PAYLOADS) {
                    byte[] payload = new byte[size];
                    random.nextBytes(payload);
                    sent.add(payload);
                    echoes.add(QuicEchoOverXdp.startEcho(connection, payload));
                }
            }
            for (int i = 0; i < echoes.size(); i++) {
                byte[] back = echoes.get(i).get(30, TimeUnit.SECONDS);
                assertThat(back).as("stream %d of %s (%d bytes)", i, server, sent.get(i).length)
                        .isEqualTo(sent.get(i));
            }
            for (QuicChannel connection : clients) {
                connection.close().sync();
                connection.parent().close().sync();
            }
        }
    }

    @Test
    void aBurstOfFourMebibytesThroughATxRingOfSixteenFramesArrivesWhole() throws Exception {
        serve(DatapathSettings.builder().frameCount(2048).txRingSize(16).completionRingSize(16));
        echoOnOneConnection(4 << 20, 7, false);
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::txBackPressure).sum())
                .as("the 16 TX frames ran out and the writes waited for them").isPositive();
        awaitNoFrameHeld();
    }

    @Test
    void theCodecsSegmentedWritesGoAsBatchesAndArriveWholeThroughATxRingOfSixteenFrames() throws Exception {
        serve(DatapathSettings.builder().frameCount(2048).txRingSize(16).completionRingSize(16), true);
        echoOnOneConnection(4 << 20, 11, true);
        List<SocketState> sockets = datapath.state().sockets();
        long sent = sockets.stream().mapToLong(SocketState::txPackets).sum();
        assertThat(sent).as("the echo left as datagrams").isGreaterThan((4 << 20) / 1500);
        assertThat(sockets.stream().mapToLong(SocketState::txKicks).sum()).as("woken per batch").isLessThan(sent);
        awaitNoFrameHeld();
    }

    @Test
    void theCodecWritesItsDatagramsIntoTxFramesWhichLeaveWithoutACopyOverIpv4AndIpv6() throws Exception {
        serve(DatapathSettings.builder().frameCount(4096), true, true);
        echoOverIpv4AndIpv6(4, new Random(17));
        awaitNoFrameHeld();
        List<SocketState> sockets = datapath.state().sockets();
        long sent = sockets.stream().mapToLong(SocketState::txPackets).sum();
        long inPlace = sockets.stream().mapToLong(SocketState::txInPlace).sum();
        assertThat(sent).as("the echoes left as datagrams").isGreaterThan(8L * (1 << 20) / 1500);
        assertThat(inPlace).as("datagrams sent from the frame the codec wrote them into, of %d", sent)
                .isGreaterThan(sent * 9 / 10);
        assertThat(sockets.stream().mapToLong(SocketState::txFrameCopies).sum()).isZero();
    }

    @Test
    void withoutSegmentsTheCodecsDatagramsLeaveFromTheirTxFramesToo() throws Exception {
        serve(DatapathSettings.builder().frameCount(4096), false, true);
        echoOnOneConnection(1 << 20, 19, false);
        awaitNoFrameHeld();
        List<SocketState> sockets = datapath.state().sockets();
        long sent = sockets.stream().mapToLong(SocketState::txPackets).sum();
        assertThat(sockets.stream().mapToLong(SocketState::txInPlace).sum()).isGreaterThan(sent * 9 / 10);
    }

    @Test
    void throughSixteenTxFramesTheCodecTakesOrdinaryBuffersWhenNoneIsFreeAndTheEchoArrivesWhole() throws Exception {
        serve(DatapathSettings.builder().frameCount(2048).txRingSize(16).completionRingSize(16), true, true);
        echoOnOneConnection(4 << 20, 23, false);
        List<SocketState> sockets = datapath.state().sockets();
        assertThat(sockets.stream().mapToLong(SocketState::txLendRefused).sum())
                .as("the codec asked for more frames than were free").isPositive();
        assertThat(sockets.stream().mapToLong(SocketState::txInPlace).sum()).isPositive();
        awaitNoFrameHeld();
    }

    @Test
    void withTheKernelTxPathBatchesWrittenIntoTxFramesAreCopiedCountedAndArriveWhole() throws Exception {
        serve(DatapathSettings.builder().frameCount(2048).txPath(TxPath.KERNEL_GSO), true, true);
        echoOnOneConnection(4 << 20, 29, true);
        List<SocketState> sockets = datapath.state().sockets();
        long throughKernel = sockets.stream().mapToLong(SocketState::txKernelPackets).sum();
        assertThat(throughKernel).as("the echo's batches went through the kernel").isPositive();
        assertThat(sockets.stream().mapToLong(SocketState::txFrameCopies).sum())
                .as("each of them written into a TX frame, and copied").isEqualTo(throughKernel);
        awaitNoFrameHeld();
    }

    @Test
    void withTheKernelTxPathTheCodecsBatchesLeaveThroughTheKernelsUdpSocketAndArriveWhole() throws Exception {
        serve(DatapathSettings.builder().frameCount(2048).txPath(TxPath.KERNEL_GSO), true);
        echoOnOneConnection(4 << 20, 13, false);
        List<SocketState> sockets = datapath.state().sockets();
        assertThat(sockets).allSatisfy(socket -> assertThat(socket.txPath()).isEqualTo("kernel-gso"));
        assertThat(sockets.stream().mapToLong(SocketState::txKernelPackets).sum())
                .as("the echo's batches went through the kernel").isGreaterThan((4 << 20) / 1500 / 2);
        awaitNoFrameHeld();
    }

    /** Echoes {@code size} random bytes of {@code seed} on one new connection over IPv4 or IPv6, then closes it. */
    private void echoOnOneConnection(int size, long seed, boolean ipv6) throws Exception {
        byte[] payload = new byte[size];
        new Random(seed).nextBytes(payload);
        QuicChannel connection = connect(new InetSocketAddress(ipv6 ? fixture.net().peerIpv6()
                : fixture.net().peerIpv4(), 0), new InetSocketAddress(ipv6 ? fixture.net().appIpv6()
                : fixture.net().appIpv4(), PORT));
        assertThat(QuicEchoOverXdp.startEcho(connection, payload).get(60, TimeUnit.SECONDS)).isEqualTo(payload);
        connection.close().sync();
        connection.parent().close().sync();
    }

    @Test
    void connectionsWhoseClientsMoveToAPortOnTheOtherQueueGoOnWithoutANewHandshake() throws Exception {
        serve(DatapathSettings.builder().frameCount(4096));
        InetSocketAddress server = new InetSocketAddress(fixture.net().appIpv4(), PORT);
        QueueProbe queues = new QueueProbe(datapath, fixture.net(), server);
        int migrations = 6;
        for (int i = 0; i < migrations; i++) {
            try (RebindingRelay relay = RebindingRelay.start(fixture.net(), server)) {
                int firstQueue = queues.queueOf(relay.upstream());
                QuicChannel connection = connect(new InetSocketAddress(fixture.net().peerIpv4(), 0), relay.address());
                byte[] before = new byte[64 << 10];
                new Random(i).nextBytes(before);
                assertThat(QuicEchoOverXdp.startEcho(connection, before).get(30, TimeUnit.SECONDS)).isEqualTo(before);
                long handedBefore = routing.packetsHandedOver();

                // as a NAT that rebinds: the client's packets now come from another port, received on the other queue
                relay.switchTo(queues.upstreamOnAnotherQueue(relay, firstQueue));
                byte[] after = new byte[1 << 20];
                new Random(100 + i).nextBytes(after);
                assertThat(QuicEchoOverXdp.startEcho(connection, after).get(30, TimeUnit.SECONDS))
                        .as("connection %d, after the move", i).isEqualTo(after);
                assertThat(routing.packetsHandedOver()).as("its packets were handed to its loop")
                        .isGreaterThan(handedBefore);
                connection.close().sync();
                connection.parent().close().sync();
            }
        }
        assertThat(handshakes.get()).as("no new handshake: the connections moved").isEqualTo(migrations);
        awaitMigrationsSeen(migrations);
        assertThat(routing.handOversDropped()).isZero();
        assertThat(routing.foreignPackets()).isZero();
        awaitNoFrameHeld();
    }

    private void awaitMigrationsSeen(int migrations) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (routing.migrationsSeen() < migrations && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(routing.migrationsSeen()).as("migrations the connections saw").isEqualTo(migrations);
    }

    @Test
    void junkThatMakesTheCodecThrowCostsNoFrame() throws Exception {
        serve(DatapathSettings.builder().frameCount(4096));
        byte[][] junk = {{0x40}, {0x40, 1, 2, 3}, new byte[30], {(byte) 0xc0}, {(byte) 0xc0, 0, 0, 0, 1, 20}};
        long before = datapath.state().sockets().stream().mapToLong(SocketState::rxPackets).sum();
        fixture.net().inPeer(() -> {
            try (java.nio.channels.DatagramChannel channel = java.nio.channels.DatagramChannel.open()) {
                for (int round = 0; round < 20; round++) {
                    for (byte[] datagram : junk) {
                        channel.send(java.nio.ByteBuffer.wrap(datagram), new InetSocketAddress(fixture.net().appIpv4(), PORT));
                    }
                }
            }
            return null;
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (datapath.state().sockets().stream().mapToLong(SocketState::rxPackets).sum() < before + 100
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        awaitNoFrameHeld();
        assertThat(routing.foreignPackets()).as("short headers with ids that are not ours, dropped")
                .isEqualTo(3 * 20);
        // and the server still serves
        QuicChannel connection = connect(new InetSocketAddress(fixture.net().peerIpv4(), 0),
                new InetSocketAddress(fixture.net().appIpv4(), PORT));
        assertThat(QuicEchoOverXdp.startEcho(connection, new byte[] {1, 2, 3}).get(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
        connection.close().sync();
        connection.parent().close().sync();
    }

    private QuicChannel connect(InetSocketAddress local, InetSocketAddress server) throws Exception {
        // what is tested is the transport under TLS, not certificate paths: the client trusts any certificate
        QuicSslContext clientTls = QuicSslContextBuilder.forClient()
                .trustManager(InsecureTrustManagerFactory.INSTANCE).applicationProtocols(ALPN).build();
        // a socket belongs to the namespace of the thread that creates it
        Channel datagrams = fixture.net().inPeer(() -> new Bootstrap().group(clientLoops)
                .channel(NioDatagramChannel.class)
                .handler(limits(new QuicClientCodecBuilder()).sslContext(clientTls).build())
                .bind(local).sync().channel());
        return QuicChannel.newBootstrap(datagrams).handler(new ChannelInboundHandlerAdapter())
                .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(server).connect()
                .get(10, TimeUnit.SECONDS);
    }

    /** Counts the connections that became active: their handshakes completed. */
    @ChannelHandler.Sharable
    private final class CountHandshakes extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            handshakes.incrementAndGet();
            ctx.fireChannelActive();
        }
    }
}
