package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.autoconfigure.http3.keys.KeyKind;
import io.quicxdp.autoconfigure.http3.keys.SharedKeys;
import io.quicxdp.autoconfigure.http3.keys.XdpHttp3Keys;
import io.quicxdp.datapath.testing.Ngtcp2;
import io.quicxdp.datapath.testing.RebindingRelay;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.FileSystemResource;

/**
 * A stateless reset from the starter's HTTP/3 server that a client no one here wrote accepts. Two servers share a
 * stateless-reset key file: another instance (a Netty QUIC server on the kernel's UDP path, server ID 02) and the
 * application through the starter over the XSKs (server ID 01). ngtcp2's {@code gtlsclient}, through a relay in
 * the peer namespace, completes its handshake with the other instance, moves to a new address and with it to the
 * second connection ID the other instance gave it, and waits before its request ({@code --delay-stream}); meanwhile
 * the relay sends the client's packets to the application instead, as a load
 * balancer that lost track of the client would. The application cannot place the connection ID, answers with a
 * stateless reset whose token the shared key makes, and the client, which got that token from the other instance
 * with the ID, recognizes it and ends the connection at once, rather than after its idle timeout.
 *
 * <p>The move is there because Netty 4.2.18's QUIC codec gives the client no reset token for a connection's first ID
 * (no {@code stateless_reset_token} transport parameter), only for the IDs of NEW_CONNECTION_ID frames: a client
 * still on its first ID cannot recognize any reset.
 */
class StatelessResetInteropTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int OTHER_PORT = TestPorts.UNREDIRECTED;

    @Test
    void aClientWhosePacketsReachAnotherInstanceAcceptsItsStatelessReset() throws Exception {
        Ngtcp2.assumeInstalled(false);
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            Path files = Files.createDirectories(Path.of("target", "stateless-reset", fixture.net().id()));
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Path resetKey = Files.writeString(files.resolve("stateless-reset-key"),
                    Base64.getEncoder().encodeToString(key) + "\n");
            X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test")
                .setIsCertificateAuthority(true)
                .algorithm(CertificateBuilder.Algorithm.rsa2048)
                .buildSelfSigned();
            MultiThreadIoEventLoopGroup otherLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            ConfigurableApplicationContext application = null;
            try {
                Channel other = otherInstance(otherLoop, certificate, resetKey,
                        new InetSocketAddress(fixture.net().appIpv4(), OTHER_PORT));
                application = application(fixture, files, certificate, resetKey);
                XdpQuicRouting routing = application.getBean(XdpQuicRouting.class);
                Ngtcp2 ngtcp2 = new Ngtcp2(fixture.net(), files, "blob", new byte[0]);
                try (RebindingRelay relay = RebindingRelay.start(fixture.net(),
                        (InetSocketAddress) other.localAddress())) {
                    Path qlog = Files.createDirectories(files.resolve("qlog"));
                    long started = System.nanoTime();
                    CompletableFuture<Path> download = CompletableFuture.supplyAsync(() -> {
                        try {
                            return ngtcp2.download(relay.address(), "client", "--change-local-addr=300ms",
                                    "--delay-stream=2s", "--qlog-dir=" + qlog);
                        }
                        catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    });
                    // the handshake takes milliseconds, the move to a new ID 300 ms; the request waits two seconds
                    Thread.sleep(1000);
                    relay.redirectTo(new InetSocketAddress(fixture.net().appIpv4(), PORT));
                    Path client = download.get(40, TimeUnit.SECONDS);
                    Duration took = Duration.ofNanos(System.nanoTime() - started);
                    String log = Ngtcp2.log(client);
                    assertThat(log).as("the handshake with the other instance completed")
                        .contains("Negotiated ALPN is h3");
                    assertThat(routing.statelessResetsSent()).as("the application sent resets").isPositive();
                    assertThat(log).as("the client's log: the reset recognized, the connection draining")
                        .contains("SR token=")
                        .contains("ERR_DRAINING");
                    assertThat(qlogOf(qlog)).as("the client's qlog: a stateless reset received and recognized")
                        .contains("\"stateless_reset\"");
                    assertThat(took).as("ended by the reset, not by the client's idle timeout of 5 s")
                        .isLessThan(Duration.ofSeconds(5));
                }
            }
            finally {
                if (application != null) {
                    application.close();
                }
                otherLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            }
        }
    }

    /** The other instance: HTTP/3 on Netty's QUIC codec over NIO, server ID 02, the shared reset key. */
    private static Channel otherInstance(MultiThreadIoEventLoopGroup loop, X509Bundle certificate, Path resetKey,
            InetSocketAddress address) throws Exception {
        QuicLbConnectionIds ids = QuicLbConnectionIds.builder().serverId(new byte[] { 0x02 }).build();
        XdpHttp3Keys keys = new XdpHttp3Keys(null, null,
                SharedKeys.load(KeyKind.STATELESS_RESET, new FileSystemResource(resetKey)), Duration.ofSeconds(10));
        ChannelHandler requests = new ChannelInitializer<QuicStreamChannel>() {
            @Override
            protected void initChannel(QuicStreamChannel stream) {
            }
        };
        ChannelHandler codec = Http3.newQuicServerCodecBuilder()
            .sslContext(QuicSslContextBuilder
                .forServer(certificate.getKeyPair().getPrivate(), null, certificate.getCertificate())
                .applicationProtocols(Http3.supportedApplicationProtocols())
                .build())
            .maxIdleTimeout(10, TimeUnit.SECONDS)
            .initialMaxData(1 << 20)
            .initialMaxStreamDataBidirectionalRemote(1 << 16)
            .initialMaxStreamsBidirectional(10)
            .localConnectionIdLength(ids.connectionIdLength())
            .connectionIdAddressGenerator(ids.generator(0))
            .resetTokenGenerator(keys.resetTokenGenerator())
            .handler(new ChannelInitializer<QuicChannel>() {
                @Override
                protected void initChannel(QuicChannel connection) {
                    connection.pipeline().addLast(new Http3ServerConnectionHandler(requests));
                }
            })
            .build();
        return new Bootstrap().group(loop).channel(NioDatagramChannel.class).handler(codec).bind(address).sync()
            .channel();
    }

    /** The application through the starter: server ID 01, the shared reset key. */
    private static ConfigurableApplicationContext application(XskMapFixture fixture, Path files,
            X509Bundle certificate, Path resetKey) throws Exception {
        return new SpringApplicationBuilder(Plain.class).web(WebApplicationType.REACTIVE)
            .properties(Http3TestApplications.properties(fixture.appInterface(), fixture.pin(), PORT, 1024,
                    certificate, Files.createDirectories(files.resolve("application"))))
            .properties("quic.xdp.quic.server-id=01", "quic.xdp.http3.stateless-reset-key=file:" + resetKey)
            .run();
    }

    private static String qlogOf(Path directory) throws Exception {
        StringBuilder qlog = new StringBuilder();
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                qlog.append(Files.readString(file));
            }
        }
        return qlog.toString();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Plain {

    }
}
