package io.quicxdp.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;

/** A UDP port that is free on this host right now: tests use it for the echoes instead of fixed 4433 and 4434. */
final class FreeUdpPort {

    private FreeUdpPort() {
    }

    /** A free UDP port other than {@code taken}: the QUIC echo's beside the UDP echo's. */
    static int pickOtherThan(int taken) {
        int port = pick();
        while (port == taken) {
            port = pick();
        }
        return port;
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
