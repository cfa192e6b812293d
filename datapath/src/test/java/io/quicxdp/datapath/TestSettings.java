package io.quicxdp.datapath;

/** Small UMEMs, so that many test datapaths fit in the default locked-memory limit. */
final class TestSettings {

    private TestSettings() {
    }

    static DatapathSettings small() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(256).completionRingSize(256).rxRingSize(256)
                .txRingSize(256).build();
    }
}
