package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Which machines can run the datapath, decided from the JVM's system properties alone. */
class XdpPlatformTests {

    @Test
    void linuxOnX8664AndArm64IsSupported() {
        assertThat(XdpPlatform.probe("Linux", "amd64", ByteOrder.LITTLE_ENDIAN)).isNull();
        assertThat(XdpPlatform.probe("Linux", "aarch64", ByteOrder.LITTLE_ENDIAN)).isNull();
    }

    @Test
    void anotherSystemOrArchitectureIsNamedInTheReason() {
        assertThat(XdpPlatform.probe("Mac OS X", "aarch64", ByteOrder.LITTLE_ENDIAN))
            .isEqualTo("AF_XDP needs Linux, and quic-xdp supports 64-bit x86-64 and arm64; this is Mac OS X on aarch64.");
        assertThat(XdpPlatform.probe("Linux", "x86", ByteOrder.LITTLE_ENDIAN)).contains("this is Linux on x86");
        assertThat(XdpPlatform.probe("Linux", "ppc64", ByteOrder.BIG_ENDIAN)).isNotNull();
    }
}
