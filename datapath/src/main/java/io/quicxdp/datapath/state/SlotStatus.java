package io.quicxdp.datapath.state;

/** What one XSKMAP slot (key = queue id) holds, compared with the socket the datapath put there. */
public enum SlotStatus {

    /** Our open socket for that queue. */
    OURS,

    /** No socket: someone deleted the entry, or our socket was closed. */
    EMPTY,

    /** A socket that is not our open socket for that queue. */
    OTHER_SOCKET,

    /** Not known: the map cannot be looked into (see the inspection's detail). */
    UNKNOWN
}
