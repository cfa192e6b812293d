package io.quicxdp.autoconfigure.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.quicxdp.netty.XdpChannels;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds a Netty pipeline on a port of the XDP datapath in one call: one {@code XdpDatagramChannel} per event
 * loop, so that the port is served on every queue. The channels it bound are closed when the application
 * stops, before the event loops shut down and the datapath closes.
 *
 * <p>The handler is added to every channel: make it a {@code ChannelInitializer}, or {@code @Sharable}. For
 * Netty's QUIC codec, give its builder {@code QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR} set to
 * {@link io.quicxdp.netty.XdpQuic#segmentedAllocator()}: the channels then take each turn's datagrams to a
 * peer as one batch.
 */
public final class XdpChannelBinder {

    private final EventLoopGroup loops;

    private final List<Channel> bound = new ArrayList<>();

    XdpChannelBinder(EventLoopGroup loops) {
        this.loops = loops;
    }

    /** Binds {@code handler} on {@code port} of every address, IPv4 and IPv6. */
    public List<Channel> bind(int port, ChannelHandler handler) throws Exception {
        return bind(new InetSocketAddress(port), handler);
    }

    /** Binds {@code handler} on {@code address}. */
    public List<Channel> bind(InetSocketAddress address, ChannelHandler handler) throws Exception {
        return bind(new Bootstrap().handler(handler), address);
    }

    /**
     * Binds copies of {@code bootstrap} (its handler, options and attributes; its group and channel are set
     * here) on {@code address}.
     *
     * @return the channels, one per event loop
     * @throws Exception the first bind failure; the channels bound before it are closed
     */
    public List<Channel> bind(Bootstrap bootstrap, InetSocketAddress address) throws Exception {
        List<Channel> channels = XdpChannels.bindEveryLoop(bootstrap, this.loops, address);
        synchronized (this.bound) {
            this.bound.addAll(channels);
        }
        return channels;
    }

    /** Closes every channel bound here and waits for them, as the application stops. */
    void closeAll() {
        List<Channel> channels;
        synchronized (this.bound) {
            channels = new ArrayList<>(this.bound);
            this.bound.clear();
        }
        channels.forEach((channel) -> channel.close().syncUninterruptibly());
    }
}
