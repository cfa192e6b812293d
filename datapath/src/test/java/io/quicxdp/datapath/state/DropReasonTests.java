package io.quicxdp.datapath.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DropReasonTests {

    @Test
    void metricNamesAreTheStableLowerSnakeCaseNames() {
        assertThat(Arrays.stream(DropReason.values()).map(DropReason::metricName)).containsExactly(
                "frame_too_short",
                "not_ip",
                "vlan_tagged",
                "ipv4_malformed",
                "ipv4_bad_checksum",
                "ipv6_malformed",
                "fragmented",
                "not_udp",
                "udp_malformed",
                "udp_bad_checksum",
                "no_endpoint",
                "handler_failed");
    }
}
