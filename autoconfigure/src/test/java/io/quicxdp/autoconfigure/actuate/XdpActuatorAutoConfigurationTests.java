package io.quicxdp.autoconfigure.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint.XdpDescriptor;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpointAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.health.XdpHealthContributorAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.metrics.XdpHealthMetrics;
import io.quicxdp.autoconfigure.actuate.metrics.XdpMetrics;
import io.quicxdp.autoconfigure.actuate.metrics.XdpMetricsAutoConfiguration;
import io.quicxdp.autoconfigure.actuate.metrics.XdpQuicMetrics;
import io.quicxdp.autoconfigure.netty.QuicLimitsState;
import io.quicxdp.autoconfigure.netty.QuicRoutingState;
import io.quicxdp.autoconfigure.netty.XdpNettyAutoConfiguration;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The actuator auto-configurations' conditions, each context with a real datapath on a real XSKMAP. */
class XdpActuatorAutoConfigurationTests {

    private static XskMapFixture fixture;

    private static ApplicationContextRunner contextRunner;

    @BeforeAll
    static void createMap() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(4433));
        contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpEndpointAutoConfiguration.class,
                    XdpHealthContributorAutoConfiguration.class, XdpMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.umem.frame-count=64",
                    "management.endpoints.web.exposure.include=xdp");
    }

    @AfterAll
    static void removeMap() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static ApplicationContextRunner contextRunner() {
        return contextRunner;
    }

    @Test
    void withActuatorCreatesTheEndpointTheHealthContributorAndTheMetrics() {
        contextRunner().run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(XdpEndpoint.class).hasSingleBean(XdpMetrics.class).hasBean("xdpHealthContributor");
            XdpDescriptor all = context.getBean(XdpEndpoint.class).xdp();
            assertThat(all.maps()).singleElement().satisfies((map) -> {
                assertThat(map.interfaceName()).isEqualTo(fixture.appInterface());
                assertThat(map.mapId()).isEqualTo(fixture.mapId());
                assertThat(map.type()).isEqualTo("xskmap");
                assertThat(map.keysHeld()).containsExactly(0, 1);
            });
            assertThat(all.sockets()).extracting("queue").containsExactly(0, 1);
            assertThat(all.quic()).as("no QUIC routing without the Netty transport").isNull();
            assertThat(all.sockets()).allSatisfy((socket) -> {
                assertThat(socket.bound()).isTrue();
                assertThat(socket.inMap()).isTrue();
                assertThat(socket.bindMode()).isEqualTo("copy");
                assertThat(socket.drops()).containsKeys("vlan_tagged", "udp_bad_checksum", "no_endpoint");
                assertThat(socket.kernel()).isNotNull();
            });
            // counters are live, so compare what identifies the maps and sockets
            XdpDescriptor one = context.getBean(XdpEndpoint.class).xdpInterface(fixture.appInterface());
            assertThat(one.maps()).isEqualTo(all.maps());
            assertThat(one.sockets()).extracting("interfaceName", "queue")
                .containsExactlyElementsOf(
                        all.sockets().stream().map((socket) -> tuple(socket.interfaceName(), socket.queue())).toList());
            assertThat(context.getBean(XdpEndpoint.class).xdpInterface("eth-none")).isNull();

            CompositeHealthContributor health = (CompositeHealthContributor) context.getBean("xdpHealthContributor",
                    HealthContributor.class);
            HealthIndicator map = (HealthIndicator) health.getContributor(fixture.appInterface());
            assertThat(map.health(true).getStatus()).isEqualTo(Status.UP);

            MeterRegistry registry = context.getBean(MeterRegistry.class);
            context.getBean(XdpMetrics.class).bindTo(registry);
            assertThat(registry.get("quic.xdp.rx.packets").functionCounters()).hasSize(2);
            assertThat(registry.get("quic.xdp.rx.partial.checksum").functionCounters()).hasSize(2);
            assertThat(registry.get("quic.xdp.drops").tag("reason", "no_endpoint").tag("queue", "1").functionCounter()
                .count()).isZero();
            assertThat(registry.get("quic.xdp.sockets.in.map").tag("interface", fixture.appInterface()).gauge().value())
                .isEqualTo(2);
            assertThat(registry.get("quic.xdp.map.slots").tag("status", "ours").gauge().value()).isEqualTo(2);
            assertThat(registry.get("quic.xdp.map.slots").tag("status", "empty").gauge().value()).isZero();
            assertThat(registry.get("quic.xdp.map.xdp.program").tag("status", "as_at_start").gauge().value()).isOne();
            assertThat(registry.get("quic.xdp.map.xdp.program").tag("status", "replaced").gauge().value()).isZero();
            context.getBean(XdpHealthMetrics.class).bindTo(registry);
            assertThat(registry.get("quic.xdp.map.health").tag("interface", fixture.appInterface()).gauge().value())
                .isOne();
        });
    }

    @Test
    void withTheNettyTransportTheEndpointAndMetersShowTheQuicConnectionIds() {
        contextRunner().withConfiguration(AutoConfigurations.of(XdpNettyAutoConfiguration.class))
            .withPropertyValues("quic.xdp.quic.server-id=c0ffee", "quic.xdp.quic.config-rotation=1")
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(XdpQuicMetrics.class);
                assertThat(context.getBean(XdpEndpoint.class).xdp().quic())
                    .isEqualTo(new QuicRoutingState("c0ffee", false, 20, 1, false, 2, 0, 0, 0, 0, 0,
                            new QuicLimitsState(0, 1000, 0, 0, 0, 0, 0, 0)));
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                context.getBean(XdpQuicMetrics.class).bindTo(registry);
                assertThat(registry.get("quic.xdp.quic.handovers").tag("result", "handed").functionCounter().count())
                    .isZero();
                assertThat(registry.get("quic.xdp.quic.handovers").tag("result", "dropped").functionCounter().count())
                    .isZero();
                assertThat(registry.get("quic.xdp.quic.foreign.packets").functionCounter().count()).isZero();
                assertThat(registry.get("quic.xdp.quic.stateless.resets").functionCounter().count()).isZero();
                assertThat(registry.get("quic.xdp.quic.migrations").functionCounter().count()).isZero();
                assertThat(registry.get("quic.xdp.quic.amplification.dropped").functionCounter().count()).isZero();
            });
    }

    @Test
    void withoutActuatorOnTheClassPathOnlyTheDatapathIsCreated() {
        contextRunner()
            .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate", "org.springframework.boot.health",
                    "io.micrometer"))
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(XdpDatapath.class);
                assertThat(context).doesNotHaveBean(XdpEndpoint.class).doesNotHaveBean("xdpHealthContributor")
                    .doesNotHaveBean(XdpMetrics.class);
            });
    }

    @Test
    void withoutMicrometerOnlyTheMetricsBackOff() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpEndpointAutoConfiguration.class,
                    XdpHealthContributorAutoConfiguration.class, XdpMetricsAutoConfiguration.class))
            .withClassLoader(new FilteredClassLoader("io.micrometer"))
            .withPropertyValues("quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.umem.frame-count=64",
                    "management.endpoints.web.exposure.include=xdp")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(XdpMetrics.class).doesNotHaveBean(XdpHealthMetrics.class);
                assertThat(context).hasSingleBean(XdpEndpoint.class).hasBean("xdpHealthContributor");
            });
    }

    @Test
    void withoutAMeterRegistryTheMetricsBackOff() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpMetricsAutoConfiguration.class))
            .withPropertyValues("quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.umem.frame-count=64")
            .run((context) -> assertThat(context).hasNotFailed().hasSingleBean(XdpDatapath.class)
                .doesNotHaveBean(XdpMetrics.class));
    }

    @Test
    void withoutAccessToTheEndpointItIsNotCreated() {
        contextRunner().withPropertyValues("management.endpoint.xdp.access=NONE")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(XdpEndpoint.class));
    }

    @Test
    void withoutExposureTheEndpointIsNotCreated() {
        contextRunner().withPropertyValues("management.endpoints.web.exposure.include=health")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(XdpEndpoint.class));
    }

    @Test
    void withTheHealthIndicatorDisabledItIsNotCreated() {
        contextRunner().withPropertyValues("management.health.xdp.enabled=false").run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean("xdpHealthContributor");
            assertThat(context).as("no health gauge without the health it reads").doesNotHaveBean(XdpHealthMetrics.class);
            assertThat(context).hasSingleBean(XdpEndpoint.class).hasSingleBean(XdpMetrics.class);
        });
    }

    @Test
    void withoutADatapathNothingIsCreated() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpEndpointAutoConfiguration.class,
                    XdpHealthContributorAutoConfiguration.class, XdpMetricsAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=xdp")
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(XdpEndpoint.class)
                .doesNotHaveBean("xdpHealthContributor")
                .doesNotHaveBean(XdpMetrics.class));
    }
}
