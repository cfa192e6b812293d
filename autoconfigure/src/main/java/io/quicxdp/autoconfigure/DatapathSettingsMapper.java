package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.util.unit.DataSize;

/**
 * Maps {@code quic.xdp.*} onto the datapath's own values: its {@link DatapathSettings} and its
 * {@link XdpMapConfig}s. What the settings may be is for {@link DatapathSettings.Builder#build()} to say; a value
 * it refuses is reported against the property it came from ({@link #property}).
 */
final class DatapathSettingsMapper {

    /** The property under {@code quic.xdp} that sets each setting, where the two names differ. */
    private static final Map<String, String> PROPERTIES = Map.of("frameCount", "umem.frameCount", "frameSize",
            "umem.frameSize", "fillRingSize", "rings.fill", "completionRingSize", "rings.completion", "rxRingSize",
            "rings.rx", "txRingSize", "rings.tx", "rxBatchSize", "poll.batchSize", "pollTimeout", "poll.timeout",
            "pollMode", "poll.mode", "udpChecksumPolicy", "udpChecksum");

    private DatapathSettingsMapper() {
    }

    /** A settings builder holding {@code properties}, for customizers to adjust before it builds. */
    static DatapathSettings.Builder settings(XdpProperties properties) {
        DatapathSettings.Builder settings = DatapathSettings.builder();
        PropertyMapper map = PropertyMapper.get();
        map.from(properties.getUmem()::getFrameCount).to(settings::frameCount);
        // a size beyond an int is refused by the builder's rule as the largest int
        map.from(properties.getUmem()::getFrameSize).as(DataSize::toBytes)
            .as((bytes) -> (int) Math.min(Integer.MAX_VALUE, bytes)).to(settings::frameSize);
        map.from(properties.getRings()::getFill).to(settings::fillRingSize);
        map.from(properties.getRings()::getCompletion).to(settings::completionRingSize);
        map.from(properties.getRings()::getRx).to(settings::rxRingSize);
        map.from(properties.getRings()::getTx).to(settings::txRingSize);
        map.from(properties::getBindMode).to(settings::bindMode);
        map.from(properties::isNeedWakeup).to(settings::needWakeup);
        map.from(properties.getPoll()::getMode).to(settings::pollMode);
        map.from(properties.getPoll()::getTimeout).to(settings::pollTimeout);
        map.from(properties.getPoll()::getBatchSize).to(settings::rxBatchSize);
        map.from(properties::isPortReservation).to(settings::portReservation);
        map.from(properties::getTxDrainTimeout).to(settings::txDrainTimeout);
        map.from(properties::getQueueReleaseTimeout).to(settings::queueReleaseTimeout);
        map.from(properties::getNeighbourTimeout).to(settings::neighbourTimeout);
        map.from(properties::getRouteMaxAge).to(settings::routeMaxAge);
        map.from(properties::getUdpChecksum).to(settings::udpChecksumPolicy);
        map.from(properties::isTxChecksumOffload).to(settings::txChecksumOffload);
        map.from(properties::getTxPath).to(settings::txPath);
        return settings;
    }

    /** The maps, in the order configured; the properties are validated. */
    static List<XdpMapConfig> maps(XdpProperties properties) {
        return properties.getMaps().stream()
            .map((map) -> new XdpMapConfig(map.getInterface(), source(map), map.getQueues()))
            .toList();
    }

    private static MapSource source(XdpProperties.MapProperties map) {
        if (map.getDevicePluginSocket() != null && !map.getDevicePluginSocket().isBlank()) {
            return MapSource.devicePlugin(Path.of(map.getDevicePluginSocket()));
        }
        if (map.getAgentSocket() != null && !map.getAgentSocket().isBlank()) {
            return MapSource.agent(Path.of(map.getAgentSocket()));
        }
        return MapSource.pinned(Path.of(String.valueOf(map.getPath())));
    }

    /** The property under {@code quic.xdp}, in its Java form, that sets {@code setting} of the builder. */
    static String property(String setting) {
        return PROPERTIES.getOrDefault(setting, setting);
    }
}
