package io.quicxdp.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;

/**
 * An ordinary kernel UDP socket holding the port of an XDP endpoint and never read.
 *
 * <p>It keeps other processes off the port, and datagrams that reach the kernel instead of the
 * XSKMAP (the XDP program's XDP_PASS fallback while our socket is not in the map) land in its small
 * buffer and are dropped there, instead of being answered with ICMP port-unreachable. Binding port 0
 * through it is how an endpoint gets an ephemeral port.
 */
final class PortReservation implements AutoCloseable {

    private final DatagramChannel channel;

    private PortReservation(DatagramChannel channel) {
        this.channel = channel;
    }

    /**
     * Reserves {@code local}: a wildcard address reserves the port for IPv4 and IPv6 alike. A shared
     * reservation sets {@code SO_REUSEPORT}, so that endpoints of different queues can each hold the port.
     *
     * @throws UncheckedIOException with the kernel's reason, for example when the port is in use
     */
    static PortReservation reserve(InetSocketAddress local, InetSocketAddress remote, boolean shared) {
        DatagramChannel channel = null;
        try {
            channel = DatagramChannel.open();
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1);
            if (shared) {
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(local);
            if (remote != null) {
                channel.connect(remote);
            }
            return new PortReservation(channel);
        }
        catch (IOException ex) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot reserve UDP " + local + " in the kernel: " + ex.getMessage(), ex);
        }
        catch (RuntimeException ex) {
            // an unresolved or unsupported address: the half-made socket must not hold the port
            closeQuietly(channel);
            throw ex;
        }
    }

    int port() {
        try {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(DatagramChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            }
            catch (IOException ex) {
                // nothing to do: the descriptor is released either way
            }
        }
    }
}
