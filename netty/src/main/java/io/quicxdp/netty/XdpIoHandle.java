package io.quicxdp.netty;

import io.netty.channel.IoHandle;

/** What an {@link XdpIoHandler} drives besides its queues: a channel registered on its loop. */
interface XdpIoHandle extends IoHandle {

    /** Closes the channel; nothing to throw, as the close completes through the channel's future. */
    @Override
    void close();
}
