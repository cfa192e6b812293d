package io.quicxdp.datapath.state;

/** What the configured pin path refers to now, compared with the map the datapath opened at start. */
public enum PinStatus {

    /** The pin still refers to the map the datapath inserted its sockets into. */
    SAME_MAP,

    /** Nothing is pinned at the path any more. */
    REMOVED,

    /** Another object is pinned at the path: the XDP program may redirect into a map without our sockets. */
    REPLACED,

    /** The pin could not be read (see the inspection's detail). */
    UNREADABLE,

    /** The map did not come from a pin but from the device plugin or the agent: there is no pin to check. */
    NOT_PINNED
}
