package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.util.internal.ObjectUtil;
import java.net.InetSocketAddress;

/**
 * Netty's QUIC codec on the XDP transport. Needs {@code netty-codec-classes-quic} on the class path, which this
 * module declares optional.
 */
public final class XdpQuic {

    /** Datagrams per batch the QUIC codec collects by default: as many as a kernel {@code UDP_SEGMENT} write takes. */
    public static final int DEFAULT_MAX_SEGMENTS = 64;

    private XdpQuic() {
    }

    /**
     * The allocator for {@code ChannelOption.ALLOCATOR} on the QUIC channels (a server codec builder's
     * {@code option(ChannelOption.ALLOCATOR, ...)}, a client's {@code QuicChannel.newBootstrap(...).option(...)}):
     * the codec then has quiche write each datagram straight into a TX frame of its loop's queue, which the
     * {@link XdpDatagramChannel} sends from there, without a copy. Stream channels keep their own allocator. Works
     * with and without {@link #segmentedAllocator()}. See {@link XdpTxFrameAllocator} for who owns the frames when.
     */
    public static ByteBufAllocator txFrameAllocator() {
        return XdpTxFrameAllocator.DEFAULT;
    }

    /**
     * An allocator for {@link QuicChannelOption#SEGMENTED_DATAGRAM_PACKET_ALLOCATOR} that makes the QUIC codec hand
     * an {@link XdpDatagramChannel} its datagrams to one peer as one {@link XdpSegmentedDatagramPacket} of up to
     * {@value #DEFAULT_MAX_SEGMENTS}, instead of one write each.
     */
    public static SegmentedDatagramPacketAllocator segmentedAllocator() {
        return segmentedAllocator(DEFAULT_MAX_SEGMENTS);
    }

    /**
     * As {@link #segmentedAllocator()}, with up to {@code maxNumSegments} datagrams per batch.
     *
     * @throws IllegalArgumentException when {@code maxNumSegments} is not positive
     */
    public static SegmentedDatagramPacketAllocator segmentedAllocator(int maxNumSegments) {
        ObjectUtil.checkPositive(maxNumSegments, "maxNumSegments");
        return new SegmentedDatagramPacketAllocator() {

            @Override
            public int maxNumSegments() {
                return maxNumSegments;
            }

            @Override
            public DatagramPacket newPacket(ByteBuf buffer, int segmentSize, InetSocketAddress remoteAddress) {
                return new XdpSegmentedDatagramPacket(buffer, segmentSize, remoteAddress);
            }
        };
    }
}
