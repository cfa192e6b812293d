package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.autoconfigure.netty.QuicRoutingState;
import io.quicxdp.autoconfigure.netty.XdpQuicStatus;
import io.quicxdp.datapath.testing.KernelSupport;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The QUIC echo in the zero-setup demo, in this JVM: Netty's QUIC client in the sandbox's namespace connects
 * with ALPN quic-xdp-echo over IPv4 and IPv6, and streams of 1 B, 1 KiB, 64 KiB and 1 MiB, each finished by
 * the client after its bytes, come back byte for byte; with the generated certificate and with a configured
 * one. The connection ids carry a server id drawn for the run. A port that another process holds fails the start, naming the property.
 */
@ExtendWith(OutputCaptureExtension.class)
class QuicEchoTests {

    /** The last is 16 times the client's stream window: the echo runs into flow control and pauses reading. */
    private static final int[] PAYLOADS = { 1, 1024, 64 * 1024, 1024 * 1024 };

    @Test
    void echoesEveryStreamByteForByteOverIpv4AndIpv6WithTheGeneratedCertificate(CapturedOutput output)
            throws Exception {
        KernelSupport.assumeAvailable();
        int echoPort = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(echoPort);
        // what is tested is the echo, not certificate paths: the client trusts the generated certificate blindly
        QuicSslContext tls = QuicSslContextBuilder.forClient()
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
        DemoSandbox sandbox = null;
        ConfigurableApplicationContext context = sample().run("--server.port=0", "--sample.echo.port=" + echoPort,
                "--sample.quic.port=" + quicPort,
                "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(echoPort, quicPort));
        try {
            sandbox = context.getBean(DemoSandbox.class);
            Random random = new Random(11);
            try (QuicEchoClient client = new QuicEchoClient(sandbox.namespace(), tls)) {
                for (InetAddress server : List.of(sandbox.appIpv4(), sandbox.appIpv6())) {
                    echoStreams(client, new InetSocketAddress(server, quicPort), random);
                }
            }
            QuicEchoService quic = context.getBean(QuicEchoService.class);
            long bytes = 2L * (1 + 1024 + 64 * 1024 + 1024 * 1024);
            assertThat(quic.connections()).isEqualTo(2);
            assertThat(quic.streams()).isEqualTo(8);
            assertThat(quic.echoedBytes()).isEqualTo(bytes);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(meters.get("sample.quic.connections").functionCounter().count()).isEqualTo(2);
            assertThat(meters.get("sample.quic.streams").functionCounter().count()).isEqualTo(8);
            assertThat(meters.get("sample.quic.echoed").functionCounter().count()).isEqualTo(bytes);
            // the echo's connection ids name a server id drawn for this run, none being configured, and the loop
            QuicRoutingState routing = context.getBean(XdpQuicStatus.class).state();
            assertThat(routing.loops()).isEqualTo(2);
            assertThat(routing.serverIdRandom()).isTrue();
            assertThat(routing.foreignPackets()).isZero();
            assertThat(output).contains("QUIC connection ids: 20 octets, config rotation 0, server id "
                    + routing.serverId() + " (random for this process");
            assertThat(output).contains("redirects UDP ports ")
                .contains(", " + quicPort + " (QUIC echo) and ")
                .contains("QUIC echo certificate: self-signed " + QuicEchoCertificate.GENERATED_SUBJECT)
                .contains("QUIC echo (ALPN quic-xdp-echo) on UDP port " + quicPort + " (IPv4 and IPv6) on "
                        + sandbox.appInterface() + " queues [0, 1]");
        }
        finally {
            context.close();
        }
        assertThat(output).contains("QUIC echo on port " + quicPort + " stopped after 2 connections, 8 streams")
            .contains("Sandbox removed");
        new SandboxTraces(sandbox.id()).assertGone();
    }

    @Test
    void servesTheConfiguredCertificate(CapturedOutput output, @TempDir Path directory) throws Exception {
        KernelSupport.assumeAvailable();
        X509Bundle bundle = new CertificateBuilder().subject("CN=quic-xdp sample test")
            .setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path certificate = Files.writeString(directory.resolve("echo.crt"), bundle.getCertificatePEM());
        Path privateKey = Files.writeString(directory.resolve("echo.key"), bundle.getPrivateKeyPEM());
        // the client trusts this certificate only, so the handshake succeeds only if the echo serves it; the name
        // is not checked, as the sandbox picks its addresses at start
        QuicSslContext tls = QuicSslContextBuilder.forClient()
            .trustManager(bundle.getCertificate())
            .endpointIdentificationAlgorithm(null)
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
        int echoPort = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(echoPort);
        DemoSandbox sandbox = null;
        ConfigurableApplicationContext context = sample().run("--server.port=0", "--sample.echo.port=" + echoPort,
                "--sample.quic.port=" + quicPort,
                "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(echoPort, quicPort),
                "--sample.quic.certificate=" + certificate, "--sample.quic.private-key=" + privateKey);
        try {
            sandbox = context.getBean(DemoSandbox.class);
            try (QuicEchoClient client = new QuicEchoClient(sandbox.namespace(), tls)) {
                echoStreams(client, new InetSocketAddress(sandbox.appIpv4(), quicPort), new Random(12));
            }
            assertThat(output).contains("QUIC echo certificate: chain from " + certificate);
        }
        finally {
            context.close();
        }
        new SandboxTraces(sandbox.id()).assertGone();
    }

    @Test
    void aQuicPortThatAnotherProcessHoldsFailsTheStartNamingThePropertyAndRemovesTheSandbox(CapturedOutput output)
            throws Exception {
        KernelSupport.assumeAvailable();
        SandboxTraces traces = null;
        // an ordinary socket on the port, as another process would hold it: the datapath's reservation fails
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(0))) {
            int quicPort = holder.getLocalPort();
            int echoPort = FreeUdpPort.pickOtherThan(quicPort);
            assertThatThrownBy(() -> sample().run("--server.port=0", "--sample.echo.port=" + echoPort,
                    "--sample.quic.port=" + quicPort,
                    "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(echoPort, quicPort)))
                .hasStackTraceContaining("UDP port " + quicPort + " could not be bound for the QUIC echo");
            assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("another process on this host already has UDP port " + quicPort)
                .contains("--sample.quic.port=N, with your XDP program redirecting that port");
            traces = SandboxTraces.loggedIn(output);
            assertThat(traces).isNotNull();
            assertThat(output).contains("Sandbox removed");
            traces.assertGone();
        }
        finally {
            if (traces != null) {
                traces.removeLeftovers();
            }
        }
    }

    /** One connection to {@code server} with a stream of each payload size, echoed at the same time. */
    private static void echoStreams(QuicEchoClient client, InetSocketAddress server, Random random) throws Exception {
        QuicChannel connection = client.connect(server);
        try {
            assertThat(connection.sslEngine().getApplicationProtocol()).isEqualTo(QuicEchoService.ALPN);
            List<byte[]> sent = new ArrayList<>();
            List<QuicEchoClient.Echo> echoes = new ArrayList<>();
            for (int size : PAYLOADS) {
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                sent.add(payload);
                echoes.add(QuicEchoClient.echo(connection, payload));
            }
            for (int i = 0; i < sent.size(); i++) {
                assertThat(echoes.get(i).get(10, TimeUnit.SECONDS)).as("%d bytes over %s", sent.get(i).length, server)
                    .isEqualTo(sent.get(i));
            }
        }
        finally {
            connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static SpringApplicationBuilder sample() {
        return new SpringApplicationBuilder(SampleApplication.class).properties("spring.main.banner-mode=off");
    }
}
