package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The receive path's endpoint table on its own, filled with bindings whose handlers do nothing, for benchmarks
 * of the lookup every received datagram makes. The bindings are opaque: compare them by identity.
 */
public final class DemuxTable {

    private final EndpointTable table = new EndpointTable();

    /**
     * Binds {@code port} on {@code local} (the wildcard address for all), connected to {@code remote} unless it
     * is {@code null}, on every queue.
     *
     * @return the binding
     */
    public Object bind(InetAddress local, int port, InetSocketAddress remote) {
        Binding binding = new Binding(local, port, remote == null ? null : UdpPeer.of(remote), datagram -> { }, null,
                null, null);
        table.add(binding);
        return binding;
    }

    /** The binding a parsed datagram in {@code frame} goes to, or {@code null}. */
    public Object find(ByteBuffer frame, ParsedUdpFrame datagram) {
        return table.find(frame, datagram, null);
    }
}
