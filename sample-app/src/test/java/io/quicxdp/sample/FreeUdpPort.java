package io.quicxdp.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.util.stream.IntStream;

/**
 * A UDP port that is free on this host right now: tests use it for the echoes and HTTP/3 instead of fixed 4433,
 * 4434 and 8080.
 */
final class FreeUdpPort {

    private FreeUdpPort() {
    }

    /** A free UDP port other than those {@code taken}: the QUIC echo's and HTTP/3's beside the UDP echo's. */
    static int pickOtherThan(int... taken) {
        while (true) {
            int port = pick();
            if (IntStream.of(taken).noneMatch((other) -> other == port)) {
                return port;
            }
        }
    }

    static int pick() {
        try (DatagramSocket socket = new DatagramSocket(0)) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
