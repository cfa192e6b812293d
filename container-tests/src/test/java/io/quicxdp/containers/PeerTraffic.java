package io.quicxdp.containers;

import io.quicxdp.datapath.testing.Commands;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;

/** UDP and HTTP/3 from the fixture's peer namespace to the sample, and the free ports it listens on. */
final class PeerTraffic {

    /** How gtlsclient prints a response's status header. */
    private static final Pattern HTTP3_STATUS = Pattern.compile("\\[:status: (\\d{3})\\]");

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

    /** Skips the calling test when Debian's {@code gtlsclient} (package ngtcp2-client) is missing. */
    static void assumeHttp3Client() {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "gtlsclient is not installed (apt-get install ngtcp2-client, as .ci/run does)");
    }

    /**
     * Fetches {@code path} over HTTP/3 from the peer namespace with {@code gtlsclient}, which verifies no
     * certificate, and returns the response's status, or {@code null} when none came.
     */
    static Integer http3Status(VethNamespace net, int port, String path) {
        String address = net.appIpv4().getHostAddress();
        String output = net.runInPeer("gtlsclient", "--exit-on-all-streams-close", "--no-quic-dump", "--timeout=5s",
                address, Integer.toString(port), "https://" + address + ":" + port + path);
        Matcher status = HTTP3_STATUS.matcher(output);
        return status.find() ? Integer.valueOf(status.group(1)) : null;
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
