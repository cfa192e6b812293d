package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What {@link QuicConnectionLimit} takes for an Initial, and its limits' bounds; what it does to connections is
 * tested with real clients and the kernel (sample-app's {@code ConnectionLimitTests}, {@code HandshakeFloodTests}).
 */
class QuicConnectionLimitTests {

    @Test
    void aVersionOneInitialIsOneWhoseFirstPacketHasTheLongHeaderOfTypeInitial() {
        assertThat(QuicConnectionLimit.isInitial(packet(0xc3, 0, 0, 0, 1, 8))).isTrue();
        assertThat(QuicConnectionLimit.isInitial(packet(0xc0, 0, 0, 0, 1))).isTrue();
        assertThat(QuicConnectionLimit.isInitial(packet(0xe3, 0, 0, 0, 1, 8))).as("Handshake").isFalse();
        assertThat(QuicConnectionLimit.isInitial(packet(0xf0, 0, 0, 0, 1, 8))).as("Retry").isFalse();
        assertThat(QuicConnectionLimit.isInitial(packet(0xc3, 0, 0, 0, 0, 8))).as("version negotiation").isFalse();
        assertThat(QuicConnectionLimit.isInitial(packet(0xd3, 0x6b, 0x33, 0x43, 0xcf))).as("version 2").isFalse();
        assertThat(QuicConnectionLimit.isInitial(packet(0x43, 0, 0, 0, 1, 8))).as("short header").isFalse();
        assertThat(QuicConnectionLimit.isInitial(packet(0xc3, 0, 0, 0))).as("too short").isFalse();
    }

    @Test
    void datagramsPassWhileNoHandshakeIsUnderWay() {
        QuicConnectionLimit limit = new QuicConnectionLimit(10, 1, Duration.ofSeconds(1));
        EmbeddedChannel channel = new EmbeddedChannel(limit.initialShedder());
        DatagramPacket initial = new DatagramPacket(packet(0xc3, 0, 0, 0, 1, 8), new InetSocketAddress(443),
                new InetSocketAddress(50000));
        channel.writeInbound(initial);
        DatagramPacket read = channel.readInbound();
        assertThat(read).isSameAs(initial);
        read.release();
        assertThat(limit.initialsShed()).isZero();
        assertThat(limit.handshaking()).isZero();
        channel.finishAndReleaseAll();
    }

    @Test
    void limitsAreZeroForNoneOrPositiveAndTheHandshakeTimeoutPositive() {
        QuicConnectionLimit none = new QuicConnectionLimit(0, 0, Duration.ofSeconds(10));
        assertThat(none.maxConnections()).isZero();
        assertThat(none.maxHandshakes()).isZero();
        assertThat(new QuicConnectionLimit(5, 7, Duration.ofMillis(1)).maxConnections()).isEqualTo(5);
        assertThatIllegalArgumentException().isThrownBy(() -> new QuicConnectionLimit(-1, 0, Duration.ofSeconds(1)));
        assertThatIllegalArgumentException().isThrownBy(() -> new QuicConnectionLimit(0, -1, Duration.ofSeconds(1)));
        assertThatIllegalArgumentException().isThrownBy(() -> new QuicConnectionLimit(0, 0, Duration.ZERO));
    }

    private static ByteBuf packet(int... bytes) {
        ByteBuf packet = Unpooled.buffer(bytes.length);
        for (int value : bytes) {
            packet.writeByte(value);
        }
        return packet;
    }
}
