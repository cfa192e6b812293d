package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.LeakPresenceDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A QUIC client no one here wrote, ngtcp2's HTTP/3 client (Debian's {@code gtlsclient}), changes its address in
 * the middle of a 4 MiB download from an HTTP/3 server on the Netty QUIC API over the XDP transport of a veth pair
 * with two queues, one channel and codec per loop under an {@link io.quicxdp.netty.quic.XdpQuicDispatcher}. Side by
 * side, on the same fixture with the same client: ngtcp2's own server ({@code gtlsserver}) and the same Netty
 * server on an NIO socket, both on the kernel's UDP path.
 *
 * <ul>
 * <li>Path validation, {@code --change-local-addr}: the client moves to a new port 50 ms after the handshake and
 * closes the old one. Repeated until four moves that landed on the other queue completed, at most 24 times. Netty
 * 4.2.18's quiche never retransmits stream data that was in flight on the old path (cloudflare/quiche#2452, open):
 * now and then the client keeps a hole in the stream and idles out, on NIO as on XDP. Such a run is told by its
 * log (a hole below the stream's end, the idle close) and counted; any other failure fails the test.</li>
 * <li>NAT rebinding: through a {@link RebindingRelay} that switches to a port on the other queue after a hundred
 * answers, unknown to the client, for the XDP server and gtlsserver; every download completes. The client's own
 * {@code --nat-rebinding} (ngtcp2 0.12.1) fails against gtlsserver as well: after the switch the client ignores
 * the server's packets ("ignore packet from unknown path") and stalls, so the relay rebinds for it.</li>
 * </ul>
 *
 * The clients' logs stay under {@code target/migrating-http3-clients}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigratingHttp3ClientsTests {

    private static final int XDP_PORT = TestPorts.ECHO;

    private static final int KERNEL_PORT = TestPorts.UNREDIRECTED;

    private static final String PATH = "blob";

    private static final int CROSSINGS = 4;

    /** A frame of the request stream in gtlsclient's log. */
    private static final Pattern STREAM_FRAME = Pattern
            .compile("frm rx \\d+ 1RTT STREAM\\(0x0[ef]\\) id=0x0 fin=(\\d) offset=(\\d+) len=(\\d+)");

    private final byte[] blob = new byte[4 << 20];

    private final AtomicInteger handshakes = new AtomicInteger();

    private Path files;

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    private MultiThreadIoEventLoopGroup loops;

    private List<Channel> channels = List.of();

    private XdpQuicRouting routing;

    private Process ngtcp2Server;

    private MultiThreadIoEventLoopGroup nioLoop;

    private Channel nioChannel;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        Assumptions.assumeTrue(Commands.tryRun("gtlsserver", "--help").exitCode() == 0,
                "the gtlsserver command is missing: apt-get install ngtcp2-server");
        fixture = XskMapFixture.create(2, Set.of(XDP_PORT));
        // under target, so that the clients' logs stay for a look after a failure
        files = Files.createDirectories(Path.of("target", "migrating-http3-clients", fixture.net().id()));
        new Random(21).nextBytes(blob);
        // RSA: GnuTLS refuses the JDK's PKCS#8 EC keys, which leave out the optional public key
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
                .algorithm(CertificateBuilder.Algorithm.rsa2048).buildSelfSigned();
        datapath = XdpDatapath.open(List.of(fixture.config()), DatapathSettings.builder().frameCount(4096)
                .neighbourTimeout(Duration.ofSeconds(10)).pollThreads(false).build());
        loops = XdpIoHandlerFactory.of(datapath).newGroup(new DefaultThreadFactory("xdp-h3-" + fixture.net().id()));
        routing = XdpQuicRouting.create(QuicLbConnectionIds.builder().build(), loops);
        serveHttp3(certificate);
        Path htdocs = Files.createDirectories(files.resolve("htdocs"));
        Files.write(htdocs.resolve(PATH), blob);
        Path key = files.resolve("key.pem");
        Path cert = files.resolve("cert.pem");
        Files.writeString(key, pem("PRIVATE KEY", certificate.getKeyPair().getPrivate().getEncoded()));
        Files.writeString(cert, pem("CERTIFICATE", certificate.getCertificate().getEncoded()));
        ngtcp2Server = new ProcessBuilder("gtlsserver", "--quiet", "--htdocs=" + htdocs,
                fixture.net().appIpv4().getHostAddress(), Integer.toString(KERNEL_PORT), key.toString(),
                cert.toString())
                .redirectErrorStream(true).redirectOutput(files.resolve("gtlsserver.log").toFile()).start();
        awaitBound(new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT));
    }

    /** HTTP/3 on the Netty QUIC API, a codec per loop behind the routing's dispatcher: GET /blob gives the blob. */
    private void serveHttp3(X509Bundle certificate) throws Exception {
        QuicSslContext tls = QuicSslContextBuilder.forServer(certificate.getKeyPair().getPrivate(), null,
                certificate.getCertificate()).applicationProtocols(Http3.supportedApplicationProtocols()).build();
        ChannelHandler countHandshakes = new CountHandshakes();
        ChannelHandler connection = routing.connectionHandler(new ChannelInitializer<QuicChannel>() {
            @Override
            protected void initChannel(QuicChannel channel) {
                channel.pipeline().addLast(countHandshakes, new Http3ServerConnectionHandler(
                        new ChannelInitializer<QuicStreamChannel>() {
                            @Override
                            protected void initChannel(QuicStreamChannel stream) {
                                stream.pipeline().addLast(new BlobRequest());
                            }
                        }));
            }
        });
        channels = XdpChannels.bindEveryLoop(new Bootstrap().handler(routing.dispatcher(
                (channel, idLength, ids) -> channel.pipeline().addLast(codec(tls, connection)
                        .localConnectionIdLength(idLength).connectionIdAddressGenerator(ids).build()))),
                loops, new InetSocketAddress(XDP_PORT));
        // the control: the same server on the kernel's UDP socket, through NIO
        nioLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("nio-h3-" + fixture.net().id()),
                NioIoHandler.newFactory());
        nioChannel = new Bootstrap().group(nioLoop).channel(NioDatagramChannel.class)
                .handler(codec(tls, connection).build()).bind(new InetSocketAddress(fixture.net().appIpv4(), 0))
                .sync().channel();
    }

    private static QuicServerCodecBuilder codec(QuicSslContext tls, ChannelHandler connection) {
        return Http3.newQuicServerCodecBuilder().sslContext(tls).maxIdleTimeout(10, TimeUnit.SECONDS)
                .initialMaxData(16 << 20).initialMaxStreamDataBidirectionalLocal(4 << 20)
                .initialMaxStreamDataBidirectionalRemote(1 << 20).initialMaxStreamsBidirectional(100)
                .handler(connection);
    }

    @AfterAll
    void stop() throws Exception {
        if (ngtcp2Server != null) {
            ngtcp2Server.destroy();
            ngtcp2Server.waitFor(5, TimeUnit.SECONDS);
        }
        if (nioChannel != null) {
            nioChannel.close().sync();
        }
        if (nioLoop != null) {
            nioLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        for (Channel channel : channels) {
            channel.close().sync();
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        if (datapath != null) {
            datapath.close();
        }
        if (fixture != null) {
            fixture.close();
        }
        LeakPresenceDetector.check();
    }

    @Test
    void clientsThatMoveToANewPathAreFollowedToTheOtherQueue() throws Exception {
        InetSocketAddress xdp = new InetSocketAddress(fixture.net().appIpv4(), XDP_PORT);
        int runs = 0;
        int crossed = 0;
        int stranded = 0;
        int handshakesBefore = handshakes.get();
        long migrationsBefore = routing.migrationsSeen();
        while (crossed < CROSSINGS && runs < 24) {
            long handedBefore = routing.packetsHandedOver();
            boolean completed = completedOrStranded(download(xdp, "xdp-" + runs, "--change-local-addr=50ms"));
            runs++;
            if (!completed) {
                stranded++;
            }
            else if (routing.packetsHandedOver() > handedBefore) {
                crossed++;
            }
        }
        assertThat(crossed).as("completed moves that landed on the other queue, of %d runs", runs)
                .isEqualTo(CROSSINGS);
        assertThat(handshakes.get() - handshakesBefore).as("one handshake per download").isEqualTo(runs);
        assertThat(routing.migrationsSeen() - migrationsBefore).as("migrations the connections saw").isEqualTo(runs);
        assertThat(routing.handOversDropped()).isZero();
        int strandedOnNio = 0;
        InetSocketAddress nio = (InetSocketAddress) nioChannel.localAddress();
        for (int i = 0; i < runs; i++) {
            strandedOnNio += completedOrStranded(download(nio, "nio-" + i, "--change-local-addr=50ms")) ? 0 : 1;
        }
        InetSocketAddress kernel = new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT);
        for (int i = 0; i < runs; i++) {
            assertDownloaded(download(kernel, "ngtcp2-" + i, "--change-local-addr=50ms"), true);
        }
        System.out.printf("gtlsclient --change-local-addr, %d runs each: on XDP %d completed (%d moved to the other "
                + "queue), %d stranded by quiche; on NIO %d completed, %d stranded; on gtlsserver all completed%n",
                runs, runs - stranded, crossed, stranded, runs - strandedOnNio, strandedOnNio);
    }

    @Test
    void clientsBehindANatThatRebindsCompleteOnBothServers() throws Exception {
        InetSocketAddress xdp = new InetSocketAddress(fixture.net().appIpv4(), XDP_PORT);
        QueueProbe queues = new QueueProbe(datapath, fixture.net(), xdp);
        int handshakesBefore = handshakes.get();
        for (int i = 0; i < CROSSINGS; i++) {
            try (RebindingRelay relay = RebindingRelay.start(fixture.net(), xdp)) {
                DatagramChannel moved = queues.upstreamOnAnotherQueue(relay, queues.queueOf(relay.upstream()));
                relay.switchAfter(100, moved);
                long handedBefore = routing.packetsHandedOver();
                assertDownloaded(download(relay.address(), "xdp-rebinding-" + i));
                assertThat(relay.upstream()).as("the relay switched").isSameAs(moved);
                assertThat(routing.packetsHandedOver()).as("handed to the connection's loop")
                        .isGreaterThan(handedBefore);
            }
        }
        assertThat(handshakes.get() - handshakesBefore).as("one handshake per download").isEqualTo(CROSSINGS);
        InetSocketAddress kernel = new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT);
        for (int i = 0; i < CROSSINGS; i++) {
            try (RebindingRelay relay = RebindingRelay.start(fixture.net(), kernel)) {
                DatagramChannel moved = relay.newUpstream();
                relay.switchAfter(100, moved);
                assertDownloaded(download(relay.address(), "ngtcp2-rebinding-" + i));
                assertThat(relay.upstream()).as("the relay switched").isSameAs(moved);
            }
        }
    }

    /** Runs gtlsclient in the peer namespace for /blob from {@code server}; returns its download directory. */
    private Path download(InetSocketAddress server, String name, String... options) throws Exception {
        Path directory = Files.createDirectories(files.resolve(name));
        String host = server.getAddress().getHostAddress();
        String port = Integer.toString(server.getPort());
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", fixture.net().namespace(), "gtlsclient",
                "--no-quic-dump", "--no-http-dump", "--exit-on-all-streams-close", "--timeout=5s",
                "--download=" + directory));
        command.addAll(Arrays.asList(options));
        command.addAll(List.of(host, port, "https://" + host + ":" + port + "/" + PATH));
        Process client = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("gtlsclient.log").toFile()).start();
        String exit = "did not finish within 30 s";
        if (client.waitFor(30, TimeUnit.SECONDS)) {
            exit = "exit status " + client.exitValue();
        }
        else {
            client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Files.writeString(directory.resolve("exit"), exit);
        return directory;
    }

    private void assertDownloaded(Path directory) throws IOException {
        assertDownloaded(directory, false);
    }

    /** The blob arrived whole, and with {@code clientMoved} the client says it changed its address. */
    private void assertDownloaded(Path directory, boolean clientMoved) throws IOException {
        Path file = directory.resolve(PATH);
        String log = Files.readString(directory.resolve("gtlsclient.log"));
        String said = String.format("%s: gtlsclient's %s; it said, at the end:%n%s", directory.getFileName(),
                Files.readString(directory.resolve("exit")), log.substring(Math.max(0, log.length() - 4000)));
        assertThat(file).as("downloaded; %s", said).exists();
        byte[] downloaded = Files.readAllBytes(file);
        assertThat(Arrays.mismatch(downloaded, blob)).as("where the %d bytes downloaded first differ from the %d "
                + "served; %s", downloaded.length, blob.length, said).isEqualTo(-1);
        if (clientMoved) {
            assertThat(log).as("%s: the client changed its address", directory.getFileName())
                    .contains("Local address is now");
        }
    }

    /**
     * Whether the download completed; false when quiche stranded data in flight on the old path (a hole below the
     * stream's end, which arrived, and the client idled out). Any other outcome fails.
     */
    private boolean completedOrStranded(Path directory) throws IOException {
        Path file = directory.resolve(PATH);
        if (Files.exists(file) && Files.size(file) == blob.length) {
            assertDownloaded(directory, true);
            return true;
        }
        String log = Files.readString(directory.resolve("gtlsclient.log"));
        long received = 0;
        boolean finished = false;
        Matcher frames = STREAM_FRAME.matcher(log);
        TreeMap<Long, Long> ranges = new TreeMap<>();
        while (frames.find()) {
            long offset = Long.parseLong(frames.group(2));
            ranges.merge(offset, offset + Long.parseLong(frames.group(3)), Math::max);
            finished |= frames.group(1).equals("1");
        }
        boolean hole = false;
        for (Map.Entry<Long, Long> range : ranges.entrySet()) {
            hole |= range.getKey() > received;
            received = Math.max(received, range.getValue());
        }
        assertThat(finished && hole && log.contains("ERR_IDLE_CLOSE")).as("%s: stranded by quiche (a hole below the "
                + "stream's end, then the idle close), the one failure allowed; gtlsclient's %s",
                directory.getFileName(), Files.readString(directory.resolve("exit"))).isTrue();
        return false;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** Waits until gtlsserver has bound its port. */
    private void awaitBound(InetSocketAddress address) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && ngtcp2Server.isAlive()) {
            if (!Commands.run("ss", "-Hlun", "sport = :" + address.getPort()).isBlank()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("gtlsserver did not bind " + address + ": "
                + Files.readString(files.resolve("gtlsserver.log")));
    }

    /** Answers GET /blob with the blob, anything else with 404, once the request is in. */
    private final class BlobRequest extends Http3RequestStreamInboundHandler {

        private boolean found;

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
            found = ("/" + PATH).contentEquals(frame.headers().path());
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
            frame.release();
        }

        @Override
        protected void channelInputClosed(ChannelHandlerContext ctx) {
            DefaultHttp3HeadersFrame headers = new DefaultHttp3HeadersFrame();
            headers.headers().status(found ? "200" : "404").addInt("content-length", found ? blob.length : 0);
            if (!found) {
                ctx.writeAndFlush(headers).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
                return;
            }
            ctx.write(headers);
            int chunk = 64 << 10;
            for (int offset = 0; offset < blob.length - chunk; offset += chunk) {
                ctx.write(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(blob, offset, chunk)));
            }
            ctx.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(blob, blob.length - chunk, chunk)))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        }
    }

    /** Counts the connections whose handshake completed. */
    @ChannelHandler.Sharable
    private final class CountHandshakes extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            handshakes.incrementAndGet();
            ctx.fireChannelActive();
        }
    }
}
