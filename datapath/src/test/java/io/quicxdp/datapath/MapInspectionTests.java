package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Read-only checks of the pin and our slots, as a health check would run them. */
class MapInspectionTests {

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    @BeforeEach
    void open() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(TestPorts.ECHO));
        datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
    }

    @AfterEach
    void close() {
        if (datapath != null) {
            datapath.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void openDatapathIsHealthyAndInspectingChangesNothing() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(datapath.inspectMaps()).singleElement().satisfies(inspection -> {
                assertThat(inspection.healthy()).isTrue();
                assertThat(inspection.pin()).isEqualTo(PinStatus.SAME_MAP);
                assertThat(inspection.slots()).isEqualTo(Map.of(0, SlotStatus.OURS, 1, SlotStatus.OURS));
                assertThat(inspection.detail()).isNull();
            });
        }
        assertThat(fixture.occupied(0)).isTrue();
        assertThat(fixture.occupied(1)).isTrue();
    }

    @Test
    void inspectingAClosedDatapathIsRefused() {
        datapath.close();
        org.assertj.core.api.Assertions.assertThatIllegalStateException().isThrownBy(datapath::inspectMaps)
                .withMessage("the XDP datapath is closed");
    }

    @Test
    void aSlotEmptiedBySomeoneElseShowsAsEmpty() throws Exception {
        try (BpfMap map = BpfMap.openPinned(fixture.pin())) {
            map.delete(1);
        }
        assertThat(datapath.inspectMaps()).singleElement().satisfies(inspection -> {
            assertThat(inspection.healthy()).isFalse();
            assertThat(inspection.slots()).isEqualTo(Map.of(0, SlotStatus.OURS, 1, SlotStatus.EMPTY));
        });
    }

    @Test
    void aRemovedOrReplacedPinIsReported() throws Exception {
        Files.delete(fixture.pin());
        assertThat(datapath.inspectMaps().get(0).pin()).isEqualTo(PinStatus.REMOVED);
        try (BpfMap other = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "other")) {
            other.pin(fixture.pin());
            MapInspection inspection = datapath.inspectMaps().get(0);
            assertThat(inspection.pin()).isEqualTo(PinStatus.REPLACED);
            assertThat(inspection.detail()).contains("now refers to map id " + other.info().id());
            // our sockets are still in the map we opened, which the pin no longer names
            assertThat(inspection.slots()).containsValues(SlotStatus.OURS);
        }
    }
}
