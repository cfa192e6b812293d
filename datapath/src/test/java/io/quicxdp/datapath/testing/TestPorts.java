package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

/**
 * UDP ports for the kernel tests, free on this machine when the test JVM starts. Endpoints hold their
 * port in the kernel, so a fixed port would collide with a service using it, such as the sample app.
 */
public final class TestPorts {

    /** The port the tests' XDP programs redirect and their endpoints bind. */
    public static final int ECHO = free();

    /** A second redirected port, for a test that serves two ports side by side. */
    public static final int SECOND = free();

    /** A port the tests' XDP programs do not redirect. */
    public static final int UNREDIRECTED = free();

    private TestPorts() {
    }

    private static int free() {
        // the kernel hands out ephemeral ports in turn, so two calls give two different ports
        try (DatagramChannel probe = DatagramChannel.open().bind(new InetSocketAddress(0))) {
            return ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
