package io.quicxdp.datapath;

/**
 * Receives the datagrams of one UDP endpoint, on the thread of the socket (interface queue) that received
 * them.
 *
 * <p>The datagram is a view into the UMEM frame, valid only until the method returns: copy what must
 * outlive the call. A handler that throws loses that one datagram (counted as
 * {@code handler_failed}); the socket goes on receiving.
 */
@FunctionalInterface
public interface DatagramHandler {

    /** Handles one datagram; must not block for long, as it holds up its queue. */
    void onDatagram(ReceivedDatagram datagram);
}
