package io.quicxdp.containers;

import io.quicxdp.datapath.testing.VethNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** UDP from the fixture's peer namespace to the sample, and the free ports it listens on. */
final class PeerTraffic {

    private PeerTraffic() {
    }

    /** Sends {@code count} datagrams from the peer namespace to {@code target} and returns the echoes. */
    static List<String> echoes(VethNamespace net, InetAddress target, int port, int count) throws Exception {
        return net.inPeer(() -> {
            List<String> echoes = new ArrayList<>();
            try (DatagramSocket socket = new DatagramSocket()) {
                for (int i = 0; i < count; i++) {
                    byte[] text = ("echo me " + i).getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(text, text.length, new InetSocketAddress(target, port)));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                byte[] buffer = new byte[2048];
                while (echoes.size() < count && System.nanoTime() < deadline) {
                    socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                    try {
                        socket.receive(packet);
                    }
                    catch (SocketTimeoutException ex) {
                        break;
                    }
                    echoes.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII));
                }
            }
            return echoes;
        });
    }

    /** {@code count} distinct UDP ports free on this host right now. */
    static int[] freePorts(int count) {
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < count) {
            try (DatagramSocket socket = new DatagramSocket(0)) {
                if (!ports.contains(socket.getLocalPort())) {
                    ports.add(socket.getLocalPort());
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return IntStream.range(0, count).map(ports::get).toArray();
    }
}
