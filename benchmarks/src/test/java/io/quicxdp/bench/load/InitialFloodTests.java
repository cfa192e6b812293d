package io.quicxdp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The flood's sources and settings, checked before any socket is opened. */
class InitialFloodTests {

    @Test
    void aRangeGivesItsAddressesButTheFirstAndTheLast() throws Exception {
        List<InetAddress> v4 = InitialFlood.hostsOf("198.18.5.128/25");
        assertThat(v4).hasSize(126).startsWith(InetAddress.getByName("198.18.5.129"))
            .endsWith(InetAddress.getByName("198.18.5.254"));
        List<InetAddress> v6 = InitialFlood.hostsOf("fd00:198:18:5::100/120");
        assertThat(v6).hasSize(254).startsWith(InetAddress.getByName("fd00:198:18:5::101"))
            .endsWith(InetAddress.getByName("fd00:198:18:5::1fe"));
        assertThat(InitialFlood.hostsOf("198.18.0.0/16")).hasSize(65_534);
    }

    @Test
    void rangesTooSmallTooLargeOrMalformedAreRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> InitialFlood.hostsOf("198.18.5.1/31"))
            .withMessageContaining("4 to 65,536 addresses");
        assertThatIllegalArgumentException().isThrownBy(() -> InitialFlood.hostsOf("198.18.0.0/15"));
        assertThatIllegalArgumentException().isThrownBy(() -> InitialFlood.hostsOf("not-an-address"))
            .withMessageContaining("is not a range such as 198.18.5.128/25");
    }

    @Test
    void settingsOutsideTheirBoundsAreRefused() throws Exception {
        InetSocketAddress server = new InetSocketAddress("198.18.5.1", 443);
        List<InetAddress> sources = List.of(InetAddress.getByName("198.18.5.129"));
        assertThatIllegalArgumentException().isThrownBy(() -> new InitialFlood.Settings(server, sources, 1, 0,
                Duration.ofHours(1), 1, new int[] { 1, 1, 1 }, 1)).withMessageContaining("30 minutes");
        assertThatIllegalArgumentException().isThrownBy(() -> new InitialFlood.Settings(server, sources, 1, 0,
                Duration.ofSeconds(1), 1, new int[] { 0, 0, 0 }, 1)).withMessageContaining("not all 0");
        assertThatIllegalArgumentException().isThrownBy(() -> new InitialFlood.Settings(server, List.of(), 1, 0,
                Duration.ofSeconds(1), 1, new int[] { 1, 0, 0 }, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new InitialFlood.Settings(server, sources, 1, 0,
                Duration.ofSeconds(1), 1, new int[] { 1, 0, 0 }, 1, "h 3")).withMessageContaining("ALPN");
        assertThat(new InitialFlood.Settings(server, sources, 1, 0, Duration.ofSeconds(1), 1, new int[] { 1, 0, 0 },
                1).alpn()).isEqualTo("h3");
    }
}
