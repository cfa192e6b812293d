package io.quicxdp.netty.quic;

import io.netty.channel.Channel;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;

/**
 * Builds the QUIC codec of one event loop's channel, behind its {@link XdpQuicDispatcher}: the shape of Netty's
 * {@code QuicCodecDispatcher.initChannel}, so that a server written for it moves over as it is.
 */
@FunctionalInterface
public interface XdpQuicInitializer {

    /**
     * Adds the codec, and whatever goes with it, to {@code channel}'s pipeline.
     *
     * @param channel the channel of one event loop, registered on it
     * @param localConnectionIdLength what to give the codec builder's {@code localConnectionIdLength}
     * @param idGenerator what to give the server codec builder's {@code connectionIdAddressGenerator}: its IDs name
     *     this channel's loop
     * @throws Exception a failure to build the codec, which fails the channel's registration
     */
    void initChannel(Channel channel, int localConnectionIdLength, QuicConnectionIdGenerator idGenerator)
            throws Exception;
}
