package io.quicxdp.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;

/** A UDP port that is free on this host right now: tests use it for the echo instead of a fixed 4433. */
final class FreeUdpPort {

    private FreeUdpPort() {
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
