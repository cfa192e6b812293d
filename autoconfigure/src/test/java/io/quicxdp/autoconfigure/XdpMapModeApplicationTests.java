package io.quicxdp.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.failure.XskMapNotFoundException;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Real applications on a real XSKMAP: a veth pair with the reference XDP program, the map pinned in
 * bpffs, the datapath opened by the auto-configuration.
 */
@ExtendWith(OutputCaptureExtension.class)
class XdpMapModeApplicationTests {

    private static final int PORT = 4433;

    @Test
    void opensEveryQueueIntoTheMapAndLeavesTheSlotsEmptyOnClose(CapturedOutput output) throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext context = application("quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin()).sources(DatapathUserConfiguration.class).run();
            XdpDatapath datapath;
            DatapathUser user;
            LaterPhase later;
            try {
                datapath = context.getBean(XdpDatapath.class);
                user = context.getBean(DatapathUser.class);
                later = context.getBean(LaterPhase.class);
                assertThat(datapath.isOpen()).isTrue();
                assertThat(datapath.settings().frameCount()).as("set by the customizer").isEqualTo(256);
                assertThat(user.openAtStart).as("open before its users start").isTrue();
                MapState map = datapath.state().maps().get(0);
                assertThat(map.mapId()).isEqualTo(fixture.mapId());
                assertThat(map.keysHeld()).containsExactly(0, 1);
                assertThat(fixture.occupied(0)).isTrue();
                assertThat(fixture.occupied(1)).isTrue();
                assertThat(output).contains("XDP map mode on " + fixture.appInterface() + ": queues [0, 1] (copy mode) "
                        + "inserted into XSKMAP " + fixture.pin() + " (id " + fixture.mapId());
            }
            finally {
                context.close();
            }
            assertThat(datapath.isOpen()).isFalse();
            assertThat(user.openAtStop).as("open until its users stopped").isTrue();
            assertThat(later.closedAtStop).as("closed in its own shutdown phase").isTrue();
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
            assertThat(output).contains("XDP map mode on " + fixture.appInterface() + ": sockets of queues [0, 1] "
                    + "closed; the kernel removed them from the slots of XSKMAP " + fixture.pin());
        }
    }

    @Test
    void aBadMapPathFailsTheStartAndLeavesNothingInTheOtherMap(CapturedOutput output) throws Exception {
        try (XskMapFixture good = XskMapFixture.create(2, Set.of(PORT));
                XskMapFixture other = XskMapFixture.create(1, Set.of(PORT))) {
            String missing = other.pin().resolveSibling("no-such-map").toString();
            SpringApplicationBuilder application = application("quic.xdp.maps[0].interface=" + good.appInterface(),
                    "quic.xdp.maps[0].path=" + good.pin(), "quic.xdp.maps[1].interface=" + other.appInterface(),
                    "quic.xdp.maps[1].path=" + missing);
            assertThatThrownBy(application::run)
                .satisfies((ex) -> assertThat(causes(ex)).hasAtLeastOneElementOfType(XskMapNotFoundException.class));
            assertThat(good.occupied(0)).isFalse();
            assertThat(good.occupied(1)).isFalse();
            assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("No XSKMAP is pinned at " + missing)
                .contains("XSKMAP: " + missing + " (quic.xdp.maps[1].path)")
                .contains("Interface: " + other.appInterface() + " (quic.xdp.maps[1].interface)")
                .contains("Pin the XSKMAP that the XDP program on " + other.appInterface());
        }
    }

    @Test
    void disabledWithAMapFailsTheStartWithTheAnalysis(CapturedOutput output) {
        SpringApplicationBuilder application = application("quic.xdp.enabled=false", "quic.xdp.maps[0].interface=eth0",
                "quic.xdp.maps[0].path=/sys/fs/bpf/xsks");
        assertThatThrownBy(application::run).isInstanceOf(XdpDisabledWithMapsException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("XDP must be enabled when an XDP map is configured.")
            .contains("Either remove quic.xdp.enabled (or set it to true)");
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> causes = new ArrayList<>();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            causes.add(cause);
        }
        return causes;
    }

    private static SpringApplicationBuilder application(String... properties) {
        return new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.NONE)
            .properties(List.of(properties).toArray(String[]::new))
            .properties("spring.main.banner-mode=off");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(XdpAutoConfiguration.class)
    static class TestApplication {

        @Bean
        XdpDatapathSettingsCustomizer smallUmem() {
            return (settings) -> settings.frameCount(256);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class DatapathUserConfiguration {

        @Bean
        DatapathUser datapathUser(XdpDatapath datapath) {
            return new DatapathUser(datapath);
        }

        @Bean
        LaterPhase laterPhase(XdpDatapath datapath) {
            return new LaterPhase(datapath);
        }
    }

    /** Stops in the phase right after the datapath's: by then the datapath must be closed. */
    static class LaterPhase implements SmartLifecycle {

        private final XdpDatapath datapath;

        private volatile boolean running;

        volatile boolean closedAtStop;

        LaterPhase(XdpDatapath datapath) {
            this.datapath = datapath;
        }

        @Override
        public void start() {
            this.running = true;
        }

        @Override
        public void stop() {
            this.closedAtStop = !this.datapath.isOpen();
            this.running = false;
        }

        @Override
        public boolean isRunning() {
            return this.running;
        }

        @Override
        public int getPhase() {
            return XdpDatapathLifecycle.PHASE - 1;
        }
    }

    /** A bean with a lifecycle of its own that uses the datapath, as a QUIC server would. */
    static class DatapathUser implements SmartLifecycle {

        private final XdpDatapath datapath;

        private volatile boolean running;

        volatile boolean openAtStart;

        volatile boolean openAtStop;

        DatapathUser(XdpDatapath datapath) {
            this.datapath = datapath;
        }

        @Override
        public void start() {
            this.openAtStart = this.datapath.isOpen();
            this.running = true;
        }

        @Override
        public void stop() {
            this.openAtStop = this.datapath.isOpen();
            this.running = false;
        }

        @Override
        public boolean isRunning() {
            return this.running;
        }
    }
}
