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

    /**
     * The device plugin handed the map over at start-up: its descriptor is this process's, and nothing more
     * is asked of the plugin. Whether the plugin's socket is still there is said apart
     * ({@link MapInspection#sourceDetail()}): the AF_XDP device plugin removes it once it has served the pod.
     */
    HANDED_OVER,

    /** The agent closed its connection (it stopped or restarted): a restart of the application needs it back. */
    LOST
}
