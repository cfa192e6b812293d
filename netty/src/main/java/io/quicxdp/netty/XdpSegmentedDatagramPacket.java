package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.internal.ObjectUtil;
import java.net.InetSocketAddress;

/**
 * Several datagrams to one recipient in one buffer: each {@link #segmentSize()} bytes long, back to back, the
 * last one possibly shorter. An {@link XdpDatagramChannel} sends them as one batch, with one lock, one route
 * check and one TX ring reservation, as a kernel socket sends a {@code UDP_SEGMENT} write; each still leaves as
 * a datagram of its own. Netty's QUIC codec writes them when its channel is given {@link XdpQuic#segmentedAllocator}.
 */
public final class XdpSegmentedDatagramPacket extends DatagramPacket {

    private final int segmentSize;

    /**
     * @param data the datagrams' payloads, back to back
     * @param segmentSize the length of every payload but the last, which may be shorter
     * @param recipient where all of them go
     */
    public XdpSegmentedDatagramPacket(ByteBuf data, int segmentSize, InetSocketAddress recipient) {
        super(data, recipient);
        this.segmentSize = ObjectUtil.checkPositive(segmentSize, "segmentSize");
    }

    /** The length of every datagram but the last, which may be shorter. */
    public int segmentSize() {
        return segmentSize;
    }

    @Override
    public XdpSegmentedDatagramPacket copy() {
        return replace(content().copy());
    }

    @Override
    public XdpSegmentedDatagramPacket duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public XdpSegmentedDatagramPacket retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public XdpSegmentedDatagramPacket replace(ByteBuf content) {
        return new XdpSegmentedDatagramPacket(content, segmentSize, recipient());
    }

    @Override
    public XdpSegmentedDatagramPacket retain() {
        super.retain();
        return this;
    }

    @Override
    public XdpSegmentedDatagramPacket retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public XdpSegmentedDatagramPacket touch() {
        super.touch();
        return this;
    }

    @Override
    public XdpSegmentedDatagramPacket touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
