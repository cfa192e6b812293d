package io.quicxdp.datapath.testing;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Sends numbered datagrams from the peer namespace and counts the distinct ones echoed back. */
public final class EchoPeer {

    private EchoPeer() {
    }

    /**
     * Sends {@code count} datagrams from one ordinary UDP socket in the peer namespace to {@code target}:{@code port},
     * and waits up to five seconds for their echoes.
     *
     * @return how many distinct datagrams came back
     */
    public static int echoes(VethNamespace net, InetAddress target, int port, int count) throws Exception {
        return net.inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(0));
                channel.configureBlocking(false);
                InetSocketAddress to = new InetSocketAddress(target, port);
                for (int i = 0; i < count; i++) {
                    channel.send(ByteBuffer.wrap(("echo-" + i).getBytes(StandardCharsets.US_ASCII)), to);
                }
                Set<String> echoed = new HashSet<>();
                ByteBuffer buffer = ByteBuffer.allocate(2048);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (echoed.size() < count && System.nanoTime() < deadline) {
                    buffer.clear();
                    if (channel.receive(buffer) == null) {
                        Thread.sleep(1);
                        continue;
                    }
                    buffer.flip();
                    echoed.add(StandardCharsets.US_ASCII.decode(buffer).toString());
                }
                return echoed.size();
            }
        });
    }
}
