package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quicxdp.autoconfigure.http3.Http3State;
import io.quicxdp.autoconfigure.http3.XdpHttp3Server;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.KernelSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The newcomer's first run, in this JVM: no map configured, so the sample builds its sandbox, runs map mode
 * against it, echoes its demo burst, and leaves nothing behind when it stops or fails to start.
 */
@ExtendWith(OutputCaptureExtension.class)
class ZeroSetupDemoTests {

    @Test
    void echoesTheDemoBurstOverIpv4AndIpv6AndRemovesTheSandboxOnClose(CapturedOutput output) throws Exception {
        KernelSupport.assumeAvailable();
        int port = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(port);
        int http3Port = FreeUdpPort.pickOtherThan(port, quicPort);
        DemoSandbox sandbox = null;
        ConfigurableApplicationContext context = sample().run("--server.port=0", "--sample.echo.port=" + port,
                "--sample.quic.port=" + quicPort, "--quic.xdp.http3.port=" + http3Port);
        try {
            sandbox = context.getBean(DemoSandbox.class);
            DemoSandbox.Burst burst = sandbox.lastBurst();
            assertThat(burst).as("the demo burst ran before the application was ready").isNotNull();
            assertThat(burst.families()).extracting(DemoSandbox.FamilyBurst::family).containsExactly("IPv4", "IPv6");
            assertThat(burst.families()).allSatisfy((family) -> {
                assertThat(family.sent()).isEqualTo(8);
                assertThat(family.echoed()).as(family.family() + " echoes").isEqualTo(8);
            });
            assertThat(context.getBean(EchoService.class).echoed()).isEqualTo(16);

            MapState map = context.getBean(XdpDatapath.class).state().maps().get(0);
            assertThat(map.interfaceName()).isEqualTo(sandbox.appInterface());
            assertThat(map.path()).isEqualTo(sandbox.mapPin());
            assertThat(map.keysHeld()).as("a socket on every queue of the sandbox's veth").containsExactly(0, 1);
            assertThat(context.getBean(XdpDatapath.class).state().sockets().stream()
                .mapToLong(SocketState::rxPartialChecksum)
                .sum()).as("the peer keeps veth's TX checksum offload on: every datagram's checksum is partial, "
                        + "the burst's and, after it, the HTTP/3 fetch's")
                .isGreaterThanOrEqualTo(16);

            Http3State http3 = context.getBean(XdpHttp3Server.class).state();
            assertThat(http3.port()).isEqualTo(http3Port);
            assertThat(http3.running()).isTrue();
            assertThat(output).contains(" and " + http3Port + " (HTTP/3) into the XSKMAP");
            if (DemoSandbox.hasHttp3Client()) {
                assertThat(output).contains("Demo page over HTTP/3: GET https://" + sandbox.appIpv4().getHostAddress()
                        + ":" + http3Port + "/ with gtlsclient from the sandbox peer came back with status 200, ")
                    .contains(" ms, \"" + SamplePage.TITLE + "\"");
                assertThat(http3.handshakesDone()).as("the demo's HTTP/3 handshake").isPositive();
                assertThat(http3.requests()).as("the demo's HTTP/3 request").isPositive();
                assertThat(context.getBean(XdpDatapath.class).state().sockets().stream()
                    .mapToLong(SocketState::rxPackets)
                    .sum()).as("the burst's 16 datagrams, then the HTTP/3 fetch's packets, through the XSKs")
                    .isGreaterThan(16);
            }
            else {
                assertThat(output).contains("No demo page over HTTP/3: the gtlsclient command is missing "
                        + "(apt-get install ngtcp2-client)");
            }

            String actuator = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
            assertThat(get(actuator + "/")).startsWith(SamplePage.TITLE).contains("UDP echo on port " + port);
            assertThat(get(actuator + "/actuator/health")).contains("\"status\":\"UP\"");
            assertThat(get(actuator + "/actuator/xdp")).contains("\"interfaceName\":\"" + sandbox.appInterface() + "\"")
                .contains("\"keysHeld\":[0,1]")
                .contains("\"inMap\":true");
            assertThat(get(actuator + "/actuator/health")).contains("\"xdp\"");
            assertThat(get(actuator + "/actuator/prometheus"))
                .contains("quic_xdp_rx_packets_total{interface=\"" + sandbox.appInterface() + "\",queue=\"0\"}")
                .contains("sample_echo_datagrams_total{result=\"echoed\"} 16.0")
                .contains("quic_xdp_rx_partial_checksum_total{interface=\"" + sandbox.appInterface() + "\"");
            assertThat(output).contains("Demo burst over IPv4: 8 of 8 datagrams")
                .contains("Demo burst over IPv6: 8 of 8 datagrams")
                .contains("map mode itself never loads, attaches or changes an XDP program")
                .contains("16 datagrams arrived with a partial UDP checksum and were accepted under "
                        + "quic.xdp.udp-checksum=accept-partial")
                .contains("/actuator/xdp");
        }
        finally {
            context.close();
        }
        assertThat(output).contains("Sandbox removed");
        new SandboxTraces(sandbox.id()).assertGone();
    }

    @Test
    void aStartThatFailsAfterTheSandboxWasBuiltStillRemovesIt(CapturedOutput output) {
        KernelSupport.assumeAvailable();
        SandboxTraces traces = null;
        int port = FreeUdpPort.pick();
        try {
            assertThatThrownBy(() -> sample().run("--server.port=0", "--sample.echo.port=" + port,
                    "--sample.quic.port=" + FreeUdpPort.pickOtherThan(port),
                    "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(port), "--quic.xdp.umem.frame-size=3KB"))
                .hasStackTraceContaining("quic.xdp.umem.frame-size must be 2048 or 4096");
            traces = SandboxTraces.loggedIn(output);
            assertThat(traces).as("the sandbox was built before the properties were bound").isNotNull();
            assertThat(output).contains("Sandbox removed");
            traces.assertGone();
        }
        finally {
            if (traces != null) {
                traces.removeLeftovers();
            }
        }
    }

    private static SpringApplicationBuilder sample() {
        return new SpringApplicationBuilder(SampleApplication.class).properties("spring.main.banner-mode=off");
    }

    private static String get(String uri) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri).isEqualTo(200);
        return response.body();
    }
}
