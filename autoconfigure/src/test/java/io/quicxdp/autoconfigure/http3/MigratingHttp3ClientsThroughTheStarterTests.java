package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.testing.Ngtcp2;
import io.quicxdp.datapath.testing.QueueProbe;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * ngtcp2's HTTP/3 client (Debian's {@code gtlsclient}) changes its address in the middle of a 4 MiB download from
 * a WebFlux application over HTTP/3 through the starter, on a veth pair with two queues: the server's connection
 * IDs name the loop that holds the connection, and the loop that receives the moved client's packets hands them
 * over ({@code xdpHttp3Routing}). Side by side, with the same client: ngtcp2's own server ({@code gtlsserver}) on
 * the kernel's UDP path. As in the Netty QUIC API's {@code MigratingHttp3ClientsTests}:
 *
 * <ul>
 * <li>path validation ({@code --change-local-addr}) is repeated until four moves that landed on the other queue
 * completed, at most 24 times; a download that quiche strands (cloudflare/quiche#2452) is counted, any other
 * failure fails;</li>
 * <li>NAT rebinding goes through a relay that moves to a port on the other queue after a hundred answers, until
 * four downloads completed, at most 12 times; now and then quiche strands data in flight at the switch (the same
 * hole in the stream and idle close, with the relay passing the old port's answers on), which is counted, and
 * gtlsserver completes as many runs with the same relay.</li>
 * </ul>
 *
 * Every download has one handshake: none is a new connection after the move. The logs stay under
 * {@code target/migrating-http3-starter}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigratingHttp3ClientsThroughTheStarterTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int KERNEL_PORT = TestPorts.UNREDIRECTED;

    private static final int CROSSINGS = 4;

    private XskMapFixture fixture;

    private ConfigurableApplicationContext application;

    private Ngtcp2 ngtcp2;

    private Process ngtcp2Server;

    @BeforeAll
    void start() throws Exception {
        Ngtcp2.assumeInstalled(true);
        fixture = XskMapFixture.create(2, Set.of(PORT));
        Path files = Files.createDirectories(Path.of("target", "migrating-http3-starter", fixture.net().id()));
        ngtcp2 = new Ngtcp2(fixture.net(), files, BlobApplication.PATH, BlobApplication.BLOB);
        // RSA: GnuTLS refuses the JDK's PKCS#8 EC keys, which leave out the optional public key
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .algorithm(CertificateBuilder.Algorithm.rsa2048)
            .buildSelfSigned();
        application = new SpringApplicationBuilder(BlobApplication.class).web(WebApplicationType.REACTIVE)
            .properties(Http3TestApplications.properties(fixture.appInterface(), fixture.pin(), PORT, 4096, certificate,
                    Files.createDirectories(files.resolve("application"))))
            .run();
        ngtcp2Server = ngtcp2.startServer(new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT),
                certificate.getKeyPair().getPrivate(), certificate.getCertificate());
    }

    @AfterAll
    void stop() throws Exception {
        if (ngtcp2Server != null) {
            ngtcp2Server.destroy();
            ngtcp2Server.waitFor(5, TimeUnit.SECONDS);
        }
        if (application != null) {
            application.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void clientsThatMoveToANewPathAreFollowedToTheOtherQueue() throws Exception {
        XdpQuicRouting routing = application.getBean(XdpQuicRouting.class);
        InetSocketAddress xdp = new InetSocketAddress(fixture.net().appIpv4(), PORT);
        long handshakesBefore = server().state().handshakesDone();
        long migrationsBefore = routing.migrationsSeen();
        Ngtcp2.Moves moves = ngtcp2.moveUntilCrossed(xdp, "starter-", CROSSINGS, 24, routing::packetsHandedOver);
        assertThat(moves.crossed()).as("completed moves that landed on the other queue, of %d runs", moves.runs())
            .isEqualTo(CROSSINGS);
        assertThat(server().state().handshakesDone() - handshakesBefore).as("one handshake per download")
            .isEqualTo(moves.runs());
        assertThat(routing.migrationsSeen() - migrationsBefore).as("migrations the connections saw")
            .isEqualTo(moves.runs());
        assertThat(routing.handOversDropped()).isZero();
        ngtcp2.moveAndComplete(new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT), "ngtcp2-", moves.runs());
        System.out.printf("gtlsclient --change-local-addr, %d runs each: through the starter %d completed (%d moved "
                + "to the other queue), %d stranded by quiche; on gtlsserver all completed%n", moves.runs(),
                moves.runs() - moves.stranded(), moves.crossed(), moves.stranded());
    }

    @Test
    void clientsBehindANatThatRebindsCompleteOnBothServers() throws Exception {
        XdpQuicRouting routing = application.getBean(XdpQuicRouting.class);
        InetSocketAddress xdp = new InetSocketAddress(fixture.net().appIpv4(), PORT);
        long handshakesBefore = server().state().handshakesDone();
        Ngtcp2.Moves moves = ngtcp2.rebindUntilCompleted(xdp, "starter-rebinding-", CROSSINGS, 3 * CROSSINGS,
                new QueueProbe(application.getBean(XdpDatapath.class), fixture.net(), xdp), routing::packetsHandedOver,
                true);
        assertThat(moves.crossed()).as("completed downloads whose relay moved to the other queue, of %d runs",
                moves.runs()).isEqualTo(CROSSINGS);
        assertThat(server().state().handshakesDone() - handshakesBefore).as("one handshake per download")
            .isEqualTo(moves.runs());
        assertThat(routing.handOversDropped()).isZero();
        ngtcp2.rebindUntilCompleted(new InetSocketAddress(fixture.net().appIpv4(), KERNEL_PORT), "ngtcp2-rebinding-",
                moves.runs(), moves.runs(), null, null, false);
        System.out.printf("gtlsclient behind a rebinding relay, %d runs each: through the starter %d completed, %d "
                + "stranded by quiche; on gtlsserver all completed%n", moves.runs(), moves.crossed(), moves.stranded());
    }

    private XdpHttp3Server server() {
        return application.getBean(XdpHttp3Server.class);
    }
}
