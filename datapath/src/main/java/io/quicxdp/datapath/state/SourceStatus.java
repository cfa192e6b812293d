package io.quicxdp.datapath.state;

/**
 * How the source a map came from stands now. Whatever it says, the sockets already in the map stay there and
 * traffic flows: only a later start-up needs the source again.
 */
public enum SourceStatus {

    /** A pinned map: there is nothing to be connected to (the pin itself is checked apart). */
    PINNED,

    /** The quic-xdp agent's connection is open. */
    CONNECTED,

    /** The device plugin handed the map over at start-up and its socket is still there. */
    HANDED_OVER,

    /**
     * The agent closed its connection (it stopped or restarted), or the device plugin's socket is gone. The
     * AF_XDP device plugin removes its socket once it has served the pod, so for it this is the usual state.
     */
    LOST
}
