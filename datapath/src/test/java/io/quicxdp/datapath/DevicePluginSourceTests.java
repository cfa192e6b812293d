package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.source.DevicePluginClient;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SourceStatus;
import io.quicxdp.datapath.testing.DevicePluginServer;
import io.quicxdp.datapath.testing.EchoPeer;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The map handed over by the AF_XDP device plugin, on a real kernel: a server speaking the plugin's protocol
 * hands out the descriptor of the fixture's pinned XSKMAP, the datapath inserts its sockets there, and the
 * peer namespace's datagrams are echoed.
 */
class DevicePluginSourceTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private Path directory;

    private BpfMap pluginsMap;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
        directory = Files.createTempDirectory("qx-afxdp-dp-");
        pluginsMap = BpfMap.openPinned(fixture.pin());
    }

    @AfterEach
    void removeFixture() throws Exception {
        if (pluginsMap != null) {
            pluginsMap.close();
        }
        if (directory != null) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void theHandedOverMapCarriesTrafficAndIsEmptiedOnClose() throws Exception {
        Path socket = directory.resolve(fixture.appInterface()).resolve("afxdp.sock");
        XdpMapConfig config = XdpMapConfig.allQueues(fixture.appInterface(), MapSource.devicePlugin(socket));
        try (DevicePluginServer plugin = DevicePluginServer.start(socket,
                Map.of(fixture.appInterface(), pluginsMap.fd()), DevicePluginClient.hostname())) {
            try (XdpDatapath datapath = XdpDatapath.open(List.of(config), TestSettings.small())) {
                datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
                assertThat(plugin.requests()).containsExactly("/connect," + DevicePluginClient.hostname(), "/version",
                        "/xsk_map_fd," + fixture.appInterface(), "/fin");
                assertThat(fixture.occupied(0)).isTrue();
                assertThat(fixture.occupied(1)).isTrue();
                assertThat(EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 32)).isEqualTo(32);

                assertThat(datapath.state().maps()).singleElement().satisfies(map -> {
                    assertThat(map.source()).isEqualTo(config.source());
                    assertThat(map.mapId()).isEqualTo(fixture.mapId());
                    assertThat(map.keysHeld()).containsExactly(0, 1);
                });
                // like the real plugin, the server removed its socket after the one connection
                assertThat(socket).doesNotExist();
                MapInspection inspection = datapath.inspectMap(fixture.appInterface()).orElseThrow();
                assertThat(inspection.pin()).isEqualTo(PinStatus.NOT_PINNED);
                // the plugin's usual way: reported, not a loss
                assertThat(inspection.sourceStatus()).isEqualTo(SourceStatus.HANDED_OVER);
                assertThat(inspection.sourceDetail()).isEqualTo("the plugin's socket " + socket + " is gone since "
                        + "the hand-off, as the AF_XDP device plugin removes it once it has served the pod; the map's "
                        + "descriptor is this process's");
                assertThat(inspection.detail()).as("nothing kept the slots from being read").isNull();
                assertThat(inspection.slots()).containsValues(SlotStatus.OURS, SlotStatus.OURS);
                assertThat(inspection.healthy()).isTrue();
                assertThat(EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 8))
                        .as("traffic after the plugin went").isEqualTo(8);
            }
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void aPluginThatAnswersFdNakFailsStartUpNamingTheSocketAndLeavesNothing() throws Exception {
        Path socket = directory.resolve(fixture.appInterface()).resolve("afxdp.sock");
        XdpMapConfig config = XdpMapConfig.allQueues(fixture.appInterface(), MapSource.devicePlugin(socket));
        try (DevicePluginServer plugin = DevicePluginServer.start(socket, Map.of("other0", pluginsMap.fd()), null)) {
            assertThatExceptionOfType(MapSourceUnavailableException.class)
                    .isThrownBy(() -> XdpDatapath.open(List.of(config), TestSettings.small()))
                    .satisfies(ex -> {
                        assertThat(ex.getMessage()).isEqualTo("The AF_XDP device plugin on " + socket
                                + " has no XSKMAP for interface " + fixture.appInterface() + ": it answered /fd_nak.");
                        assertThat(ex.action()).startsWith("Request the plugin's resource that holds "
                                + fixture.appInterface() + " for this pod");
                        assertThat(ex.source()).isEqualTo(config.source());
                        assertThat(ex.interfaceName()).isEqualTo(fixture.appInterface());
                    });
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void noPluginSocketFailsStartUpNamingIt() throws Exception {
        Path socket = directory.resolve("absent").resolve("afxdp.sock");
        XdpMapConfig config = XdpMapConfig.allQueues(fixture.appInterface(), MapSource.devicePlugin(socket));
        assertThatExceptionOfType(MapSourceUnavailableException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(config), TestSettings.small()))
                .satisfies(ex -> {
                    assertThat(ex.getMessage()).isEqualTo("The AF_XDP device plugin's socket " + socket + " (interface "
                            + fixture.appInterface() + ") cannot be connected to: nothing is at that path (ENOENT).");
                    assertThat(ex.action()).contains("so that the plugin mounts its socket at " + socket);
                });
        assertThat(fixture.occupied(0)).isFalse();
    }

    @Test
    void aPluginThatDoesNotKnowThePodIsRefused() throws Exception {
        Path socket = directory.resolve(fixture.appInterface()).resolve("afxdp.sock");
        XdpMapConfig config = XdpMapConfig.allQueues(fixture.appInterface(), MapSource.devicePlugin(socket));
        try (DevicePluginServer plugin = DevicePluginServer.start(socket,
                Map.of(fixture.appInterface(), pluginsMap.fd()), "some-other-pod")) {
            assertThatExceptionOfType(MapSourceUnavailableException.class)
                    .isThrownBy(() -> XdpDatapath.open(List.of(config), TestSettings.small()))
                    .withMessageContaining("does not know this pod: it answered /host_nak");
        }
        assertThat(fixture.occupied(0)).isFalse();
    }
}
