package io.quicxdp.netty;

import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * The {@link DatagramPacket} of one UMEM frame, reused with its {@link FrameBuf} for each datagram the frame
 * receives; only the addresses change. Like a pooled buffer, it must not be used after its release.
 */
final class FramePacket extends DatagramPacket {

    private static final InetSocketAddress UNSET = new InetSocketAddress(0);

    private InetSocketAddress sender;

    private InetSocketAddress recipient;

    FramePacket(FrameBuf content) {
        super(content, UNSET);
    }

    FramePacket addresses(InetSocketAddress sender, InetSocketAddress recipient) {
        this.sender = sender;
        this.recipient = recipient;
        return this;
    }

    @Override
    public InetSocketAddress sender() {
        return sender;
    }

    @Override
    public InetSocketAddress recipient() {
        return recipient;
    }

    @Override
    public String toString() {
        return "FramePacket(" + sender + " => " + recipient + ", " + content() + ")";
    }
}
