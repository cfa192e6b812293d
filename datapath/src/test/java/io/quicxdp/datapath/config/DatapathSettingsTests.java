package io.quicxdp.datapath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.internal.xsk.XskParameters;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DatapathSettingsTests {

    @Test
    void defaultsFitTwoQueuesInTheDefaultMemlockLimit() {
        DatapathSettings settings = DatapathSettings.defaults();
        assertThat(settings.umemBytes()).isEqualTo(4L * 1024 * 1024);
        assertThat(settings.bindMode()).isEqualTo(BindMode.AUTO);
        assertThat(settings.needWakeup()).isTrue();
        assertThat(settings.pollMode()).isEqualTo(PollMode.SLEEP);
        assertThat(settings.portReservation()).isTrue();
        assertThat(settings.udpChecksumPolicy()).isEqualTo(UdpChecksumPolicy.ACCEPT_PARTIAL);
        assertThat(XskParameters.of(settings).rxFrames()).isEqualTo(1024);
        assertThat(XskParameters.of(settings).txFrames()).isEqualTo(1024);
        assertThat(settings.fillRingSize()).as("room for twice the receive frames").isEqualTo(2048);
        assertThat(settings.routeMaxAge()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void toBuilderKeepsEverySetting() {
        DatapathSettings settings = DatapathSettings.builder().frameCount(4096).frameSize(4096).rxRingSize(512)
                .bindMode(BindMode.COPY).needWakeup(false).pollMode(PollMode.BUSY).portReservation(false)
                .pollTimeout(Duration.ofMillis(5)).routeMaxAge(Duration.ofSeconds(5))
                .udpChecksumPolicy(UdpChecksumPolicy.STRICT).build();
        assertThat(settings.toBuilder().build()).usingRecursiveComparison().isEqualTo(settings);
    }

    @Test
    void rejectsWhatTheKernelWouldRefuse() {
        assertThatIllegalArgumentException().isThrownBy(() -> DatapathSettings.builder().frameSize(3000).build())
                .withMessage("frameSize must be 2048 or 4096, not 3000");
        assertThatIllegalArgumentException().isThrownBy(() -> DatapathSettings.builder().rxRingSize(1000).build())
                .withMessage("rxRingSize must be a power of two, not 1000");
        assertThatIllegalArgumentException().isThrownBy(() -> DatapathSettings.builder().frameCount(1).build())
                .withMessage("frameCount must be at least 2, not 1");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> DatapathSettings.builder().pollTimeout(Duration.ZERO).build())
                .withMessage("pollTimeout must be positive, not PT0S");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> DatapathSettings.builder().pollTimeout(Duration.ofDays(30)).build())
                .withMessage("pollTimeout must be at most 1 minute, not PT720H");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> DatapathSettings.builder().frameCount(524289).build())
                .withMessage("frameCount 524289 of 2048-byte frames makes a UMEM over 1 GiB, the most that frame "
                        + "offsets (Java ints) address: at most 524288 frames");
        assertThat(DatapathSettings.builder().frameCount(262144).frameSize(4096).build().umemBytes())
                .isEqualTo(1L << 30);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> DatapathSettings.builder().routeMaxAge(Duration.ofMillis(99)).build())
                .withMessage("routeMaxAge must be from 100 ms to 1 hour, not PT0.099S");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> DatapathSettings.builder().routeMaxAge(Duration.ofMinutes(61)).build())
                .withMessage("routeMaxAge must be from 100 ms to 1 hour, not PT1H1M");
    }
}
