package io.quicxdp.datapath.internal.queue;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;

/**
 * Where a queue hands each received frame that parses as UDP: the receive path's one call upward, into the
 * layer that knows endpoints. The queue knows frames and rings, never who the datagrams are for.
 */
public interface FrameSink {

    /**
     * Takes one datagram, on the queue's driving thread. The frame is a view into {@code frames}, valid only
     * during the call, unless the sink retains it ({@link Queue#retain()}).
     *
     * @return why the datagram was dropped, counted by the queue; {@code null} when it was delivered
     */
    DropReason onFrame(ByteBuffer frames, ParsedUdpFrame frame);
}
