package io.quicxdp.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Binding one {@link XdpDatagramChannel} per event loop, so that a port is served on every queue. */
public final class XdpChannels {

    private XdpChannels() {
    }

    /**
     * Binds a copy of {@code bootstrap} (its handler and options) on every loop of {@code group}, each to
     * {@code localAddress}: the pattern of {@code SO_REUSEPORT}, with the queues in the kernel's role. A QUIC
     * server binds its channels with an {@code io.quicxdp.netty.quic.XdpQuicDispatcher} as the handler: the
     * connection ids name their loop, so a connection's packets reach it even when they arrive on another queue.
     *
     * @return the channels, in the group's loop order
     * @throws Exception the first bind failure; the channels bound before it are closed
     */
    public static List<Channel> bindEveryLoop(Bootstrap bootstrap, EventLoopGroup group, SocketAddress localAddress)
            throws Exception {
        List<Channel> channels = new ArrayList<>();
        try {
            for (EventExecutor loop : group) {
                ChannelFuture bound = bootstrap.clone((EventLoopGroup) loop).channel(XdpDatagramChannel.class)
                        .bind(localAddress).sync();
                channels.add(bound.channel());
            }
            return channels;
        }
        catch (Exception | Error ex) {
            channels.forEach(Channel::close);
            throw ex;
        }
    }
}
