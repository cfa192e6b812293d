package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.testing.FleetFixture;
import io.quicxdp.datapath.testing.FleetFixture.Host;
import io.quicxdp.datapath.testing.LoadBalancerProgram;
import io.quicxdp.datapath.testing.Ngtcp2;
import io.quicxdp.datapath.testing.RebindingRelay;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of a WebFlux application with HTTP/3 through the starter, each in a network namespace of its own
 * standing for a host ({@link FleetFixture}: its own veth with two queues, the reference XDP program and XSKMAP,
 * server ID 0001 and 0002), behind a load-balancer namespace running the reference program, with ngtcp2's
 * {@code gtlsclient} in a fourth. The instances share one set of key files. Both run in this JVM, each started on
 * a thread in its host's namespace, so that its XSKs, its event loops and the neighbour lookups its datapath makes
 * are that host's.
 *
 * <ul>
 * <li>A client that moves to a new port mid-download stays with the instance that holds its connection: the
 * load balancer routes its short headers by the server ID, whatever its new port hashes to.</li>
 * <li>A client with a session ticket from one instance resumes on the other, without the certificate, and its
 * 0-RTT request is kept.</li>
 * <li>A client whose packets the load balancer sends to the other instance (its table moved the server ID) gets
 * a stateless reset from that one, which it recognizes.</li>
 * <li>A client whose second Initial, with the token of one instance's Retry, reaches the other instance (the load
 * balancer's slot for it moved meanwhile) completes its handshake there: the token is accepted.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetHttp3Tests {

    private static final int PORT = TestPorts.ECHO;

    private FleetFixture fleet;

    private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

    private Ngtcp2 ngtcp2;

    private Path files;

    private Path sessionTickets;

    private Path retryTokens;

    private Path reset;

    private X509Bundle certificate;

    @BeforeAll
    void start() throws Exception {
        Ngtcp2.assumeInstalled(false);
        fleet = FleetFixture.builder(PORT).hosts(2).queues(2).build();
        files = Files.createDirectories(Path.of("target", "fleet-http3", fleet.id()));
        ngtcp2 = new Ngtcp2(fleet.clientNamespace(), files, BlobApplication.PATH, BlobApplication.BLOB);
        sessionTickets = keyFile("session-ticket-keys", 48);
        retryTokens = keyFile("retry-token-keys", 32);
        reset = keyFile("stateless-reset-key", 32);
        // RSA: GnuTLS refuses the JDK's PKCS#8 EC keys, which leave out the optional public key
        certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .algorithm(CertificateBuilder.Algorithm.rsa2048)
            .buildSelfSigned();
        instances.addAll(startInstances(fleet, "early-data"));
    }

    /**
     * An instance on each host of {@code fleet}, with the shared keys, the host's server ID, and {@code more}
     * ({@code early-data} or {@code retry} on).
     */
    private List<ConfigurableApplicationContext> startInstances(FleetFixture fleet, String more) throws Exception {
        List<ConfigurableApplicationContext> started = new ArrayList<>();
        for (Host host : fleet.hosts()) {
            Path directory = Files.createDirectories(files.resolve(more + "-host-" + host.index()));
            String[] properties = Http3TestApplications.properties(host.interfaceName(), host.mapPin(), PORT, 4096,
                    certificate, directory);
            started.add(host.inHost(() -> new SpringApplicationBuilder(BlobApplication.class)
                .web(WebApplicationType.REACTIVE)
                .properties(properties)
                .properties("quic.xdp.http3." + more + "=true",
                        "quic.xdp.quic.server-id=" + HexFormat.of().formatHex(host.serverId()),
                        "quic.xdp.http3.session-ticket-keys=file:" + sessionTickets,
                        "quic.xdp.http3.retry-token-keys=file:" + retryTokens,
                        "quic.xdp.http3.stateless-reset-key=file:" + reset)
                .run()));
        }
        return started;
    }

    @AfterAll
    void stop() {
        instances.forEach(ConfigurableApplicationContext::close);
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aClientThatMovesStaysWithTheInstanceThatHoldsItsConnection() throws Exception {
        long handshakesBefore = handshakes();
        long foreignBefore = foreign();
        long handedBefore = instances.stream().mapToLong((instance) -> routing(instance).packetsHandedOver()).sum();
        int runs = 6;
        int completed = 0;
        for (int i = 0; i < runs; i++) {
            completed += ngtcp2.completedOrStranded(ngtcp2.download(service(), "moving-" + i,
                    "--change-local-addr=50ms")) ? 1 : 0;
        }
        assertThat(completed).as("downloads completed after the client moved, of %d", runs).isGreaterThan(runs / 2);
        assertThat(handshakes() - handshakesBefore).as("one handshake per download, on one instance or the other")
            .isEqualTo(runs);
        assertThat(foreign() - foreignBefore).as("no instance saw another's connection").isZero();
        long handed = instances.stream().mapToLong((instance) -> routing(instance).packetsHandedOver()).sum()
                - handedBefore;
        System.out.printf("fleet: gtlsclient --change-local-addr, %d of %d downloads completed, handshakes %s, "
                + "%d packets handed between loops%n", completed, runs, instances.stream()
                    .map((instance) -> server(instance).state().handshakesDone())
                    .toList(), handed);
    }

    @Test
    void aClientResumesOnTheOtherInstanceWithItsTicketAndItsEarlyDataIsKept() throws Exception {
        Path session = files.resolve("session");
        Path parameters = files.resolve("transport-parameters");
        String[] resume = { "--session-file=" + session, "--tp-file=" + parameters };
        long[] before = handshakesEach();
        Path full = ngtcp2.download(service(), "full", resume);
        ngtcp2.assertDownloaded(full, false);
        int first = servedBy(before);
        for (int attempt = 0; attempt < 16; attempt++) {
            before = handshakesEach();
            Path resumed = ngtcp2.download(service(), "resumed-" + attempt, resume);
            ngtcp2.assertDownloaded(resumed, false);
            if (servedBy(before) == first) {
                continue;
            }
            String log = Ngtcp2.log(resumed);
            // the server's first Handshake flight carries its certificate unless the session is resumed
            assertThat(Http3InteropTestBase.serverHandshakeBytes(log)).as("resumed on the other instance: no "
                    + "certificate sent").isLessThan(Http3InteropTestBase.serverHandshakeBytes(Ngtcp2.log(full)) / 2);
            assertThat(log).as("the request went out in 0-RTT and was kept").contains("type=0RTT")
                .doesNotContain("Early data was rejected by server");
            System.out.printf("fleet: ticket from instance %d, resumed with 0-RTT on instance %d after %d tries%n",
                    first, 1 - first, attempt + 1);
            return;
        }
        throw new AssertionError("in 16 connections the load balancer never hashed the client to the other instance");
    }

    @Test
    void aClientSentToTheOtherInstanceAcceptsItsStatelessReset() throws Exception {
        long[] before = handshakesEach();
        long resetsBefore = resets();
        long started = System.nanoTime();
        // a move gets the client to a connection ID with a reset token: Netty gives none for the first
        CompletableFuture<Path> download = CompletableFuture.supplyAsync(() -> {
            try {
                return ngtcp2.download(service(), "reset", "--change-local-addr=300ms", "--delay-stream=2s");
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        Thread.sleep(1000);
        int holder = servedBy(before);
        Host other = fleet.host(1 - holder);
        // the load balancer loses track: the holder's server ID now routes to the other host
        fleet.loadBalancer().serverId(fleet.host(holder).serverId(), other.index());
        try {
            Path client = download.get(40, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String log = Ngtcp2.log(client);
            assertThat(log).as("the client's log: the reset recognized, the connection draining")
                .contains("SR token=")
                .contains("ERR_DRAINING");
            assertThat(routing(instances.get(other.index())).statelessResetsSent()).as("sent by the other instance")
                .isPositive();
            assertThat(resets() - resetsBefore).isPositive();
            assertThat(took).as("ended by the reset, not by the client's idle timeout of 5 s")
                .isLessThan(Duration.ofSeconds(5));
        }
        finally {
            fleet.loadBalancer().serverId(fleet.host(holder).serverId(), holder);
        }
    }

    /**
     * On a fleet of its own whose instances validate addresses with Retry: the relay in the client's namespace
     * holds the Retry back while the load balancer's slot for the client's addresses moves to the other host, so
     * that the client's second Initial, with the token, reaches the instance that did not make it, which completes
     * the handshake. The download that follows is not asserted: Netty's codec names a connection made from a
     * Retry's token by the Retry's source connection ID, which the issuing instance made with its own server ID,
     * and the client keeps sending to that ID (fleet.md says what follows).
     */
    @Test
    void aRetryTokenFromOneInstanceIsAcceptedByTheOther() throws Exception {
        try (FleetFixture retrying = FleetFixture.builder(PORT).hosts(2).queues(2).build()) {
            List<ConfigurableApplicationContext> both = startInstances(retrying, "retry");
            try {
                Ngtcp2 client = new Ngtcp2(retrying.clientNamespace(), Files.createDirectories(files.resolve("retry")),
                        BlobApplication.PATH, BlobApplication.BLOB);
                InetSocketAddress service = new InetSocketAddress(retrying.serviceIpv4(), PORT);
                try (RebindingRelay relay = RebindingRelay.start(retrying, service)) {
                    relay.holdAnswers();
                    long[] retriesBefore = each(both, (instance) -> server(instance).state().retriesSent());
                    long[] handshakesBefore = each(both, (instance) -> server(instance).state().handshakesDone());
                    CompletableFuture<Path> download = CompletableFuture.supplyAsync(() -> {
                        try {
                            return client.download(relay.address(), "retried");
                        }
                        catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    });
                    int issuer = awaitMoved(both, retriesBefore);
                    int slot = LoadBalancerProgram.hashSlot((InetSocketAddress) relay.upstream().getLocalAddress(),
                            service, retrying.hosts().size());
                    assertThat(slot).as("the client's Initial went to the host of its hash slot").isEqualTo(issuer);
                    Host other = retrying.host(1 - issuer);
                    retrying.inLoadBalancer(() -> {
                        retrying.loadBalancer().backend(slot, other.loadBalancerInterface(), other.mac(),
                                other.loadBalancerMac());
                        return null;
                    });
                    relay.releaseAnswers();
                    Path retried = download.get(40, TimeUnit.SECONDS);
                    assertThat(Ngtcp2.log(retried)).as("the client took the Retry").contains("type=Retry");
                    long[] retries = each(both, (instance) -> server(instance).state().retriesSent());
                    long[] handshakes = each(both, (instance) -> server(instance).state().handshakesDone());
                    assertThat(handshakes[other.index()] - handshakesBefore[other.index()])
                        .as("the handshake completed on the instance that did not make the token").isOne();
                    assertThat(handshakes[issuer]).as("none on the one that did").isEqualTo(handshakesBefore[issuer]);
                    assertThat(retries[other.index()]).as("which took the token without a Retry of its own")
                        .isEqualTo(retriesBefore[other.index()]);
                }
            }
            finally {
                both.forEach(ConfigurableApplicationContext::close);
            }
        }
    }

    /** The instance whose count moved from {@code before}, waiting up to 10 s. */
    private static int awaitMoved(List<ConfigurableApplicationContext> instances, long[] before)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            long[] now = each(instances, (instance) -> server(instance).state().retriesSent());
            for (int i = 0; i < now.length; i++) {
                if (now[i] > before[i]) {
                    return i;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no instance sent a Retry within 10 s");
    }

    private static long[] each(List<ConfigurableApplicationContext> instances,
            ToLongFunction<ConfigurableApplicationContext> count) {
        return instances.stream().mapToLong(count).toArray();
    }

    private InetSocketAddress service() {
        return new InetSocketAddress(fleet.serviceIpv4(), PORT);
    }

    /** The instance whose handshake count moved since {@code before}. */
    private int servedBy(long[] before) {
        long[] now = handshakesEach();
        for (int i = 0; i < now.length; i++) {
            if (now[i] > before[i]) {
                return i;
            }
        }
        throw new AssertionError("no instance completed a handshake");
    }

    private long[] handshakesEach() {
        return each(instances, (instance) -> server(instance).state().handshakesDone());
    }

    private long handshakes() {
        return instances.stream().mapToLong((instance) -> server(instance).state().handshakesDone()).sum();
    }

    private long foreign() {
        return instances.stream().mapToLong((instance) -> routing(instance).foreignPackets()).sum();
    }

    private long resets() {
        return instances.stream().mapToLong((instance) -> routing(instance).statelessResetsSent()).sum();
    }

    private static XdpHttp3Server server(ConfigurableApplicationContext instance) {
        return instance.getBean(XdpHttp3Server.class);
    }

    private static XdpQuicRouting routing(ConfigurableApplicationContext instance) {
        return instance.getBean(XdpQuicRouting.class);
    }

    private Path keyFile(String name, int length) throws Exception {
        byte[] key = new byte[length];
        new SecureRandom().nextBytes(key);
        return Files.writeString(files.resolve(name), Base64.getEncoder().encodeToString(key) + "\n");
    }
}
