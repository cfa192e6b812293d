package io.quicxdp.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.annotation.Order;

/**
 * The auto-configuration's conditions, binding and validation; the kernel is touched only where a datapath
 * must open (the customizers).
 */
class XdpAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class));

    @Test
    void withoutMapsCreatesNoDatapath() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(XdpProperties.class);
            assertThat(context).doesNotHaveBean(XdpDatapath.class);
            assertThat(context).doesNotHaveBean(XdpDatapathLifecycle.class);
        });
    }

    @Test
    void disabledWithoutMapsCreatesNoDatapath() {
        this.contextRunner.withPropertyValues("quic.xdp.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(XdpDatapath.class));
    }

    @Test
    void disabledWhileMapsAreConfiguredFailsWithBothPropertiesAndBothFixes() {
        this.contextRunner
            .withPropertyValues("quic.xdp.enabled=false", "quic.xdp.maps[0].interface=eth0",
                    "quic.xdp.maps[0].path=/sys/fs/bpf/lb/xsks")
            .run((context) -> {
                assertThat(context).hasFailed();
                FailureAnalysis analysis = new XdpDisabledWithMapsFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis).isNotNull();
                assertThat(analysis.getDescription()).startsWith("XDP must be enabled when an XDP map is configured.")
                    .contains("quic.xdp.enabled is false", "quic.xdp.maps configures [eth0]");
                assertThat(analysis.getAction()).contains("remove quic.xdp.enabled (or set it to true)",
                        "remove the quic.xdp.maps entries");
                assertThat(analysis.getDescription() + analysis.getAction()).doesNotContainIgnoringCase("not disabled")
                    .doesNotContainIgnoringCase("cannot be set to false");
            });
    }

    @Test
    void disabledWhileMapsAreConfiguredFailsBeforeABeanThatNeedsTheDatapathIsCreated() {
        this.contextRunner.withUserConfiguration(DatapathUserConfiguration.class)
            .withPropertyValues("quic.xdp.enabled=false", "quic.xdp.maps[0].interface=eth0",
                    "quic.xdp.maps[0].path=/sys/fs/bpf/lb/xsks")
            .run((context) -> assertThat(context).getFailure().isInstanceOf(XdpDisabledWithMapsException.class));
    }

    @Test
    void enabledWithoutMapsFailsNamingBothProperties() {
        this.contextRunner.withPropertyValues("quic.xdp.enabled=true").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(validationMessages(context.getStartupFailure())).containsExactly("quic.xdp.enabled is true, but "
                    + "quic.xdp.maps configures no map: add an entry with the interface and the path of the XSKMAP its "
                    + "XDP program redirects into, or remove quic.xdp.enabled");
        });
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            quic.xdp.maps[1].interface   | ' '        | quic.xdp.maps[1].interface must name the network interface
            quic.xdp.maps[1].interface   | eth0       | quic.xdp.maps[1].interface names 'eth0', which quic.xdp.maps[0] configures already
            quic.xdp.maps[1].path        | ''         | quic.xdp.maps[1].path is not set, nor quic.xdp.maps[1].device-plugin-socket or quic.xdp.maps[1].agent-socket: set exactly one of them
            quic.xdp.maps[1].agent-socket | /run/quic-xdp/agent.sock | quic.xdp.maps[1].agent-socket is set together with quic.xdp.maps[1].path: set exactly one of path, device-plugin-socket and agent-socket per map, and remove the others
            quic.xdp.maps[1].device-plugin-socket | /tmp/afxdp_dp/eth1/afxdp.sock | quic.xdp.maps[1].device-plugin-socket is set together with quic.xdp.maps[1].path: set exactly one
            quic.xdp.maps[1].path        | xsks       | quic.xdp.maps[1].path must be an absolute bpffs path such as /sys/fs/bpf/xsks
            quic.xdp.maps[1].path        | /sys/fs/bpf/./a | quic.xdp.maps[1].path names the XSKMAP that quic.xdp.maps[0] uses already
            quic.xdp.maps[1].queues      | 0,-1       | quic.xdp.maps[1].queues must not hold a negative queue id
            quic.xdp.maps[1].queues      | 2,3,2      | quic.xdp.maps[1].queues lists queue 2 twice
            quic.xdp.umem.frame-size     | 3KB        | quic.xdp.umem.frame-size must be 2048 or 4096, not 3072
            quic.xdp.umem.frame-count    | 1          | quic.xdp.umem.frame-count must be at least 2
            quic.xdp.rings.rx            | 1000       | quic.xdp.rings.rx must be a power of two
            quic.xdp.poll.batch-size     | 0          | quic.xdp.poll.batch-size must be at least 1
            quic.xdp.poll.timeout        | 0s         | quic.xdp.poll.timeout must be positive, not PT0S
            quic.xdp.poll.timeout        | 2m         | quic.xdp.poll.timeout must be at most 1 minute, not PT2M
            quic.xdp.tx-drain-timeout    | -1s        | quic.xdp.tx-drain-timeout must not be negative
            quic.xdp.route-max-age       | 50ms       | quic.xdp.route-max-age must be from 100 ms to 1 hour, not PT0.05S
            quic.xdp.route-max-age       | 2h         | quic.xdp.route-max-age must be from 100 ms to 1 hour, not PT2H
            quic.xdp.health.fill-ring-starved-threshold | -1s | quic.xdp.health.fill-ring-starved-threshold must not be negative
            """)
    void invalidPropertyFailsNamingIt(String property, String value, String message) {
        this.contextRunner
            .withPropertyValues("quic.xdp.maps[0].interface=eth0", "quic.xdp.maps[0].path=/sys/fs/bpf/a",
                    "quic.xdp.maps[1].interface=eth1", "quic.xdp.maps[1].path=/sys/fs/bpf/b", property + "=" + value)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(validationMessages(context.getStartupFailure())).singleElement()
                    .satisfies((error) -> assertThat(error).startsWith(message));
            });
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            quic.xdp.maps[1].agent-socket        | agent.sock  | quic.xdp.maps[1].agent-socket must be an absolute path to a unix socket, not the relative 'agent.sock'
            quic.xdp.maps[1].device-plugin-socket | afxdp.sock | quic.xdp.maps[1].device-plugin-socket must be an absolute path to a unix socket, not the relative 'afxdp.sock'
            quic.xdp.maps[1].device-plugin-socket | /tmp/afxdp_dp/eth0/afxdp.sock | quic.xdp.maps[1].device-plugin-socket names the device plugin socket that quic.xdp.maps[0] uses already
            """)
    void invalidMapSourceFailsNamingIt(String property, String value, String message) {
        this.contextRunner
            .withPropertyValues("quic.xdp.maps[0].interface=eth0",
                    "quic.xdp.maps[0].device-plugin-socket=/tmp/afxdp_dp/eth0/afxdp.sock",
                    "quic.xdp.maps[1].interface=eth1", property + "=" + value)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(validationMessages(context.getStartupFailure())).singleElement()
                    .satisfies((error) -> assertThat(error).startsWith(message));
            });
    }

    @Test
    void eachMapSourcePropertyBecomesItsSource() {
        this.contextRunner
            .withPropertyValues("quic.xdp.maps[0].interface=eth0", "quic.xdp.maps[0].path=/sys/fs/bpf/xsks",
                    "quic.xdp.maps[1].interface=eth1",
                    "quic.xdp.maps[1].device-plugin-socket=/tmp/afxdp_dp/eth1/afxdp.sock",
                    "quic.xdp.maps[2].interface=eth2", "quic.xdp.maps[2].agent-socket=/run/quic-xdp/agent.sock",
                    "quic.xdp.maps[2].queues=1")
            .withUserConfiguration(UserDatapathConfiguration.class)
            .run((context) -> assertThat(DatapathSettingsMapper.maps(context.getBean(XdpProperties.class))).containsExactly(
                    XdpMapConfig.allQueues("eth0", MapSource.pinned(Path.of("/sys/fs/bpf/xsks"))),
                    XdpMapConfig.allQueues("eth1", MapSource.devicePluginOf("eth1")),
                    new XdpMapConfig("eth2", MapSource.agent(Path.of("/run/quic-xdp/agent.sock")), List.of(1))));
    }

    private static List<String> validationMessages(Throwable failure) {
        Throwable root = NestedExceptionUtils.getMostSpecificCause(failure);
        assertThat(root).isInstanceOf(BindValidationException.class);
        return ((BindValidationException) root).getValidationErrors()
            .getAllErrors()
            .stream()
            .map((error) -> error.getDefaultMessage())
            .toList();
    }

    @Test
    void propertiesBecomeMapConfigsAndSettings() {
        this.contextRunner
            .withPropertyValues("quic.xdp.enabled=true", "quic.xdp.maps[0].interface=eth0",
                    "quic.xdp.maps[0].path=/sys/fs/bpf/lb/xsks", "quic.xdp.maps[0].queues=0,2",
                    "quic.xdp.maps[1].interface=eth1", "quic.xdp.maps[1].path=/sys/fs/bpf/lb/xsks1",
                    "quic.xdp.umem.frame-size=4KB", "quic.xdp.umem.frame-count=512", "quic.xdp.rings.rx=256",
                    "quic.xdp.bind-mode=copy", "quic.xdp.poll.mode=busy", "quic.xdp.poll.timeout=20ms",
                    "quic.xdp.port-reservation=false", "quic.xdp.route-max-age=5s", "quic.xdp.udp-checksum=strict")
            .withUserConfiguration(UserDatapathConfiguration.class)
            .run((context) -> {
                XdpProperties properties = context.getBean(XdpProperties.class);
                assertThat(DatapathSettingsMapper.maps(properties)).containsExactly(
                        new XdpMapConfig("eth0", Path.of("/sys/fs/bpf/lb/xsks"), List.of(0, 2)),
                        XdpMapConfig.allQueues("eth1", Path.of("/sys/fs/bpf/lb/xsks1")));
                DatapathSettings settings = DatapathSettingsMapper.settings(properties).build();
                assertThat(settings.frameSize()).isEqualTo(4096);
                assertThat(settings.frameCount()).isEqualTo(512);
                assertThat(settings.rxRingSize()).isEqualTo(256);
                assertThat(settings.fillRingSize()).isEqualTo(2048);
                assertThat(settings.bindMode()).isEqualTo(BindMode.COPY);
                assertThat(settings.pollMode()).isEqualTo(PollMode.BUSY);
                assertThat(settings.pollTimeout()).isEqualTo(Duration.ofMillis(20));
                assertThat(settings.portReservation()).isFalse();
                assertThat(settings.routeMaxAge()).isEqualTo(Duration.ofSeconds(5));
                assertThat(settings.udpChecksumPolicy()).isEqualTo(UdpChecksumPolicy.STRICT);
            });
    }

    @Test
    void defaultPropertiesAreTheDatapathDefaults() {
        this.contextRunner.run((context) -> {
            DatapathSettings bound = DatapathSettingsMapper.settings(context.getBean(XdpProperties.class)).build();
            DatapathSettings defaults = DatapathSettings.defaults();
            assertThat(bound).usingRecursiveComparison().isEqualTo(defaults);
        });
    }

    @Test
    void customizersAdjustTheBoundSettingsInOrder() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(TestPorts.ECHO))) {
            this.contextRunner.withUserConfiguration(CustomizerConfiguration.class)
                .withPropertyValues("quic.xdp.maps[0].interface=" + fixture.appInterface(),
                        "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.umem.frame-count=512",
                        "quic.xdp.poll.batch-size=16")
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    DatapathSettings settings = context.getBean(XdpDatapath.class).settings();
                    assertThat(settings.frameCount()).as("the later customizer wins").isEqualTo(256);
                    assertThat(settings.rxRingSize()).as("set by the earlier customizer").isEqualTo(128);
                    assertThat(settings.rxBatchSize()).as("bound, not customized").isEqualTo(16);
                });
        }
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnDatapath() {
        this.contextRunner.withUserConfiguration(UserDatapathConfiguration.class)
            .withPropertyValues("quic.xdp.maps[0].interface=eth0", "quic.xdp.maps[0].path=/sys/fs/bpf/xsks")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBeanNamesForType(XdpDatapath.class)).containsExactly("userDatapath");
                assertThat(context).doesNotHaveBean(XdpDatapathLifecycle.class);
            });
    }

    @Test
    void backsOffWhenTheDatapathIsNotOnTheClassPath() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(XdpDatapath.class))
            .withPropertyValues("quic.xdp.maps[0].interface=eth0", "quic.xdp.maps[0].path=/sys/fs/bpf/xsks")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(XdpProperties.class);
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomizerConfiguration {

        @Bean
        @Order(2)
        XdpDatapathSettingsCustomizer later() {
            return (settings) -> settings.frameCount(256);
        }

        @Bean
        @Order(1)
        XdpDatapathSettingsCustomizer earlier() {
            return (settings) -> settings.frameCount(128).rxRingSize(128);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class DatapathUserConfiguration {

        @Bean
        String datapathUser(XdpDatapath datapath) {
            return "uses " + datapath;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserDatapathConfiguration {

        // lazy: the definition is what makes the auto-configuration back off; nothing here opens a socket
        @Bean
        @Lazy
        XdpDatapath userDatapath() {
            throw new IllegalStateException("not to be created by these tests");
        }
    }
}
