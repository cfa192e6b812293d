package io.quicxdp.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannelConfig;
import java.net.InetAddress;
import java.net.NetworkInterface;

/**
 * The options of an {@link XdpDatagramChannel}: Netty's channel options apply as usual; socket options
 * that have no meaning for an AF_XDP queue fail with a message that says why, instead of being ignored.
 *
 * <p>Received datagrams are not read into buffers the allocator makes, so the {@link RecvByteBufAllocator}
 * only counts messages per read; buffer sizes belong to the datapath's UMEM and rings, set in its
 * {@code DatapathSettings}; there is no multicast, broadcast or per-socket TTL.
 */
public final class XdpDatagramChannelConfig extends DefaultChannelConfig implements DatagramChannelConfig {

    /**
     * The QUIC codec's option for batches of datagrams: a server that sets it on every channel it makes (Reactor
     * Netty sets a server's options on its QUIC connections and on the datagram channel alike) sets it here too,
     * where it has no meaning and is taken without a warning: the channel takes the batches as they come.
     */
    private static final String QUIC_SEGMENTED_ALLOCATOR =
            "io.netty.handler.codec.quic.QuicChannelOption#SEGMENTED_DATAGRAM_PACKET_ALLOCATOR";

    XdpDatagramChannelConfig(XdpDatagramChannel channel) {
        super(channel, new FixedRecvByteBufAllocator(2048));
    }

    private static UnsupportedOperationException unsupported(String option, String instead) {
        return new UnsupportedOperationException(option + " does not apply to an XDP datagram channel: " + instead);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        if (option == ChannelOption.SO_RCVBUF || option == ChannelOption.SO_SNDBUF) {
            throw unsupported(option.name(), "its buffers are the datapath's UMEM frames and rings (DatapathSettings "
                    + "frameCount, frameSize and the ring sizes)");
        }
        if (option == ChannelOption.SO_BROADCAST || option == ChannelOption.IP_MULTICAST_ADDR
                || option == ChannelOption.IP_MULTICAST_IF || option == ChannelOption.IP_MULTICAST_TTL
                || option == ChannelOption.IP_MULTICAST_LOOP_DISABLED || option == ChannelOption.IP_TOS
                || option == ChannelOption.SO_REUSEADDR) {
            throw unsupported(option.name(), "the datapath writes unicast IP headers itself");
        }
        if (option.name().equals(QUIC_SEGMENTED_ALLOCATOR)) {
            return true;
        }
        return super.setOption(option, value);
    }

    @Override
    public int getSendBufferSize() {
        throw unsupported("SO_SNDBUF", "see the datapath's TX ring and frames");
    }

    @Override
    public DatagramChannelConfig setSendBufferSize(int sendBufferSize) {
        throw unsupported("SO_SNDBUF", "size the datapath's TX ring and UMEM (DatapathSettings txRingSize, "
                + "frameCount)");
    }

    @Override
    public int getReceiveBufferSize() {
        throw unsupported("SO_RCVBUF", "see the datapath's RX ring and frames");
    }

    @Override
    public DatagramChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        throw unsupported("SO_RCVBUF", "size the datapath's RX and fill rings and UMEM (DatapathSettings "
                + "rxRingSize, fillRingSize, frameCount)");
    }

    @Override
    public int getTrafficClass() {
        return 0;
    }

    @Override
    public DatagramChannelConfig setTrafficClass(int trafficClass) {
        throw unsupported("IP_TOS", "the datapath writes its IP headers with traffic class 0");
    }

    @Override
    public boolean isReuseAddress() {
        return false;
    }

    @Override
    public DatagramChannelConfig setReuseAddress(boolean reuseAddress) {
        throw unsupported("SO_REUSEADDR", "bind one channel per event loop on the same address instead");
    }

    @Override
    public boolean isBroadcast() {
        return false;
    }

    @Override
    public DatagramChannelConfig setBroadcast(boolean broadcast) {
        throw unsupported("SO_BROADCAST", "the datapath sends unicast only");
    }

    @Override
    public boolean isLoopbackModeDisabled() {
        return true;
    }

    @Override
    public DatagramChannelConfig setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        throw unsupported("IP_MULTICAST_LOOP", "the datapath has no multicast");
    }

    @Override
    public int getTimeToLive() {
        return 64;
    }

    @Override
    public DatagramChannelConfig setTimeToLive(int ttl) {
        throw unsupported("IP_MULTICAST_TTL", "the datapath has no multicast");
    }

    @Override
    public InetAddress getInterface() {
        return null;
    }

    @Override
    public DatagramChannelConfig setInterface(InetAddress interfaceAddress) {
        throw unsupported("IP_MULTICAST_IF", "the datapath has no multicast");
    }

    @Override
    public NetworkInterface getNetworkInterface() {
        return null;
    }

    @Override
    public DatagramChannelConfig setNetworkInterface(NetworkInterface networkInterface) {
        throw unsupported("IP_MULTICAST_IF", "the datapath has no multicast");
    }

    /** @deprecated as in Netty: set the maximum on the {@link RecvByteBufAllocator}. */
    @Override
    @Deprecated
    public DatagramChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public DatagramChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public DatagramChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    public DatagramChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public DatagramChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public DatagramChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public DatagramChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public DatagramChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    public DatagramChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }
}
