package io.quicxdp.datapath.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VethNamespaceTests {

    @Test
    void peerNamespaceReachesTheAppSideAndEverythingIsRemoved() throws Exception {
        String namespace;
        String app;
        try (VethNamespace net = VethNamespace.create(2);
                DatagramChannel receiver = DatagramChannel.open()) {
            namespace = net.namespace();
            app = net.appInterface();
            receiver.bind(new InetSocketAddress(net.appIpv4(), 0));
            int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            net.inPeer(() -> {
                try (DatagramChannel sender = DatagramChannel.open()) {
                    return sender.send(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)),
                            new InetSocketAddress(net.appIpv4(), port));
                }
            });
            ByteBuffer received = ByteBuffer.allocate(64);
            InetSocketAddress from = (InetSocketAddress) receiver.receive(received);
            assertThat(from.getAddress()).isEqualTo(net.peerIpv4());
            assertThat(net.runInPeer("ip", "-o", "link", "show", net.peerInterface())).contains(net.peerInterface());
        }
        assertThat(Commands.run("ip", "netns", "list")).doesNotContain(namespace);
        assertThat(Commands.tryRun("ip", "link", "show", app).exitCode()).isNotZero();
    }
}
