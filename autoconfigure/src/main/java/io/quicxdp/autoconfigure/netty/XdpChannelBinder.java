package io.quicxdp.autoconfigure.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.quicxdp.netty.XdpChannels;
import io.quicxdp.netty.quic.XdpQuicInitializer;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Binds a Netty pipeline on a port of the XDP datapath in one call: one {@code XdpDatagramChannel} per event
 * loop, so that the port is served on every queue. The channels it bound are closed when the application
 * stops, before the event loops shut down and the datapath closes.
 *
 * <p>The handler is added to every channel: make it a {@code ChannelInitializer}, or {@code @Sharable}. A QUIC
 * server binds with {@link #bindQuic}: its connection IDs name this server and the loop that holds each
 * connection, and a datagram that arrives on another loop is handed to that one. Give its codec builder
 * {@code QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR} set to
 * {@link io.quicxdp.netty.XdpQuic#segmentedAllocator()}: the channels then take each turn's datagrams to a
 * peer as one batch; and {@code ChannelOption.ALLOCATOR} set to {@link io.quicxdp.netty.XdpQuic#txFrameAllocator()}:
 * the codec then writes each datagram straight into a TX frame of the loop's queue, sent from there without a copy.
 */
public final class XdpChannelBinder {

    private final EventLoopGroup loops;

    private final @Nullable XdpQuicRouting quic;

    private final List<Channel> bound = new ArrayList<>();

    XdpChannelBinder(EventLoopGroup loops, @Nullable XdpQuicRouting quic) {
        this.loops = loops;
        this.quic = quic;
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

    /**
     * Binds a QUIC server on {@code port} of every address: on each loop's channel an {@code XdpQuicDispatcher}, and
     * behind it the codec that {@code codec} builds with the loop's connection ID generator
     * ({@code quic.xdp.quic.*}).
     *
     * @return the channels, one per event loop
     * @throws Exception the first bind failure; the channels bound before it are closed
     * @throws IllegalStateException without Netty's QUIC codec on the class path
     */
    public List<Channel> bindQuic(int port, XdpQuicInitializer codec) throws Exception {
        return bindQuic(new InetSocketAddress(port), codec);
    }

    /** Binds a QUIC server on {@code address}; see {@link #bindQuic(int, XdpQuicInitializer)}. */
    public List<Channel> bindQuic(InetSocketAddress address, XdpQuicInitializer codec) throws Exception {
        return bind(address, quicRouting().dispatcher(codec));
    }

    /**
     * The routing of QUIC connections across the loops: the connection IDs' format, the counters, and the handler
     * that counts migrations on each connection ({@code XdpQuicRouting.connectionHandler}).
     *
     * @throws IllegalStateException without Netty's QUIC codec on the class path
     */
    public XdpQuicRouting quicRouting() {
        if (this.quic == null) {
            throw new IllegalStateException("No QUIC routing: Netty's QUIC codec (io.netty:netty-codec-classes-quic, "
                    + "with netty-codec-native-quic for the platform) is not on the class path");
        }
        return this.quic;
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
