package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Batches of datagrams on each TX path, on a real veth pair: answered from the handler of a received datagram,
 * they reach the peer whole and in order, from the address and port it sent to, over IPv4 and IPv6; through the
 * kernel's UDP socket with {@link TxPath#KERNEL_GSO}, and with {@link TxPath#AUTO} on veth, which runs copy mode.
 */
class TxPathTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int SEGMENTS = 10;

    private static final int SEGMENT_SIZE = 1000;

    private static final int LAST_SIZE = 500;

    private XskMapFixture fixture;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(1, Set.of(PORT));
    }

    @AfterEach
    void removeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TxPath.class)
    void aBatchAnsweringADatagramArrivesWholeAndInOrder(TxPath path) throws Exception {
        DatapathSettings settings = TestSettings.small().toBuilder().txPath(path).build();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings)) {
            AtomicReference<UdpEndpoint> endpoint = new AtomicReference<>();
            UdpPeer peer = new UdpPeer();
            endpoint.set(datapath.bind(PORT, datagram -> {
                datagram.copySourceTo(peer);
                int sent = 0;
                while (sent < SEGMENTS) {
                    sent += endpoint.get().send(peer, new Numbered(), sent);
                }
            }));
            String expectedPath = path == TxPath.XDP ? "xdp" : "kernel-gso";
            assertThat(datapath.state().sockets()).singleElement().extracting(SocketState::txPath)
                    .isEqualTo(expectedPath);
            for (InetAddress target : List.of(fixture.net().appIpv4(), fixture.net().appIpv6())) {
                List<byte[]> received = fixture.net().inPeer(() -> {
                    try (DatagramChannel channel = DatagramChannel.open()) {
                        channel.socket().setSoTimeout(5000);
                        InetSocketAddress server = new InetSocketAddress(target, PORT);
                        channel.send(ByteBuffer.wrap(new byte[] {1}), server);
                        List<byte[]> datagrams = new ArrayList<>();
                        for (int i = 0; i < SEGMENTS; i++) {
                            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
                            channel.socket().receive(in);
                            assertThat(in.getSocketAddress()).as("the reply's source").isEqualTo(server);
                            datagrams.add(Arrays.copyOf(in.getData(), in.getLength()));
                        }
                        return datagrams;
                    }
                });
                for (int i = 0; i < SEGMENTS; i++) {
                    byte[] expected = new byte[i == SEGMENTS - 1 ? LAST_SIZE : SEGMENT_SIZE];
                    Arrays.fill(expected, (byte) i);
                    assertThat(received.get(i)).as("datagram %d over %s", i, target).isEqualTo(expected);
                }
            }
            // the peer may read the last datagram before the sending thread counts it
            Await.until(() -> datapath.state().sockets().get(0).txPackets() == 2L * SEGMENTS, "every datagram counted");
            SocketState socket = datapath.state().sockets().get(0);
            assertThat(socket.txKernelPackets()).as("sent through the kernel's UDP socket")
                    .isEqualTo(path == TxPath.XDP ? 0 : 2L * SEGMENTS);
        }
    }

    /** Datagram i holds the byte i, all of {@link #SEGMENT_SIZE} bytes but the last. */
    private static final class Numbered extends DatagramBatch {

        @Override
        public int count() {
            return SEGMENTS;
        }

        @Override
        public int length(int index) {
            return index == SEGMENTS - 1 ? LAST_SIZE : SEGMENT_SIZE;
        }

        @Override
        public void copyTo(int index, ByteBuffer target) {
            while (target.hasRemaining()) {
                target.put((byte) index);
            }
        }
    }
}
