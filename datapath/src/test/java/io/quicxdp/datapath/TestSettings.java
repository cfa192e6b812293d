package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import java.time.Duration;

/**
 * Small UMEMs, so that many test datapaths fit in the default locked-memory limit, and a generous neighbour
 * timeout: on a test's fresh veth link, IPv6 resolution can wait a second or two for a tentative
 * link-local address (see RouteNetlinkSocketTests).
 */
final class TestSettings {

    private TestSettings() {
    }

    static DatapathSettings small() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(256).completionRingSize(256).rxRingSize(256)
                .txRingSize(256).neighbourTimeout(Duration.ofSeconds(10)).build();
    }
}
