package io.quicxdp.netty;

import io.netty.channel.IoEvent;

/** The one event an {@link XdpIoHandler} hands its channels: a turn of its queues is over. */
enum XdpIoEvent implements IoEvent {

    /**
     * The queues were polled: a channel that read fires {@code channelReadComplete}, one whose writes
     * waited for TX frames tries again.
     */
    TURN_COMPLETE
}
