package io.quicxdp.autoconfigure.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quicxdp.agent.AgentOptions;
import io.quicxdp.agent.AgentServer;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint.MapDescriptor;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpointAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.health.XdpHealthContributorAutoConfiguration;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.source.DevicePluginClient;
import io.quicxdp.datapath.testing.DevicePluginServer;
import io.quicxdp.datapath.testing.EchoPeer;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Health and {@code /actuator/xdp} for maps from the device plugin and the agent, with a real agent, a
 * server speaking the device plugin's protocol and a real XSKMAP: they say which source each map came from,
 * and a source lost after start-up is reported while the map stays UP and traffic flows.
 */
class XdpMapSourceActuatorTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private Path directory;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpEndpointAutoConfiguration.class,
                XdpHealthContributorAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("quic.xdp.umem.frame-count=64", "management.endpoints.web.exposure.include=xdp");

    @BeforeEach
    void createMap() throws Exception {
        this.fixture = XskMapFixture.create(2, Set.of(PORT));
        this.directory = Files.createTempDirectory("qx-sources-");
    }

    @AfterEach
    void removeMap() throws Exception {
        try (Stream<Path> paths = Files.walk(this.directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
        this.fixture.close();
    }

    @Test
    void aMapFromTheAgentSaysSoAndALostAgentIsReportedWhileTrafficFlows() throws Exception {
        Path socket = this.directory.resolve("agent.sock");
        AgentServer agent = AgentServer.start(AgentOptions.parse("--socket", socket.toString(), "--map",
                this.fixture.appInterface() + "=" + this.fixture.pin(), "--allow-uid", "0"));
        try {
            this.contextRunner
                .withPropertyValues("quic.xdp.maps[0].interface=" + this.fixture.appInterface(),
                        "quic.xdp.maps[0].agent-socket=" + socket)
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(XdpDatapath.class).bind(PORT, (datagram) -> datagram.reply(datagram.payload()));
                    Health connected = health(context);
                    assertThat(connected.getStatus()).isEqualTo(Status.UP);
                    assertThat(connected.getDetails()).containsEntry("source",
                            Map.of("type", "agent-socket", "status", "connected"));
                    assertThat(connected.getDetails()).containsEntry("path", socket.toString());
                    assertThat(map(context).source()).isEqualTo("agent-socket");
                    assertThat(map(context).sourceStatus()).isEqualTo("connected");

                    agent.close();
                    Health lost = health(context);
                    assertThat(lost.getStatus()).as("traffic flows: the map stays UP").isEqualTo(Status.UP);
                    assertThat(lost.getDetails().get("source")).asString()
                        .contains("status=lost: the quic-xdp agent on " + socket + " closed the connection");
                    assertThat(map(context).sourceStatus()).isEqualTo("lost");
                    assertThat(EchoPeer.echoes(this.fixture.net(), this.fixture.net().appIpv4(), PORT, 16))
                        .isEqualTo(16);
                });
        }
        finally {
            agent.close();
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void aMapFromTheDevicePluginSaysSoAndThePluginsGoneSocketIsReported() throws Exception {
        Path socket = this.directory.resolve(this.fixture.appInterface()).resolve("afxdp.sock");
        try (BpfMap pluginsMap = BpfMap.openPinned(this.fixture.pin());
                DevicePluginServer plugin = DevicePluginServer.start(socket,
                        Map.of(this.fixture.appInterface(), pluginsMap.fd()), DevicePluginClient.hostname())) {
            this.contextRunner
                .withPropertyValues("quic.xdp.maps[0].interface=" + this.fixture.appInterface(),
                        "quic.xdp.maps[0].device-plugin-socket=" + socket)
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    Health health = health(context);
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails()).containsEntry("pin",
                            "none: the map came from the AF_XDP device plugin's socket " + socket);
                    // the plugin removes its socket after the hand-off, as the real one does: said, not alarming
                    assertThat(health.getDetails().get("source")).isEqualTo(Map.of("type", "device-plugin-socket",
                            "status", "handed over: the plugin's socket " + socket + " is gone since the hand-off, "
                                    + "as the AF_XDP device plugin removes it once it has served the pod; the map's "
                                    + "descriptor is this process's"));
                    assertThat(health.getDetails().get("queues")).isEqualTo(Map.of("0", "ok", "1", "ok"));
                    assertThat(map(context).source()).isEqualTo("device-plugin-socket");
                    assertThat(map(context).sourceStatus()).isEqualTo("handed-over");
                    assertThat(map(context).mapId()).isEqualTo(this.fixture.mapId());
                });
        }
        assertThat(this.fixture.occupied(0)).isFalse();
    }

    private Health health(AssertableApplicationContext context) {
        CompositeHealthContributor health = (CompositeHealthContributor) context.getBean("xdpHealthContributor",
                HealthContributor.class);
        return ((HealthIndicator) health.getContributor(this.fixture.appInterface())).health(true);
    }

    private static MapDescriptor map(AssertableApplicationContext context) {
        return context.getBean(XdpEndpoint.class).xdp().maps().get(0);
    }
}
