package io.quicxdp.datapath.state;

/**
 * How the interface of a configured map stands now, compared with the interface the datapath opened its
 * sockets on.
 */
public enum LinkStatus {

    /** Administratively up and with carrier: frames can arrive. */
    UP,

    /**
     * Down, administratively or for want of carrier: nothing arrives and sends fail with {@code ENETDOWN}. The
     * sockets stay bound and in their slots, and traffic resumes by itself once the link is up again.
     */
    DOWN,

    /**
     * No interface with the index the sockets were bound to exists any more: it was deleted (or its namespace
     * went). The kernel unbound the sockets, which receive and send nothing again; only a restart on the
     * interface, once it exists again, brings its queues back.
     */
    GONE,

    /** Not known: asking the kernel failed (the datapath is closed, or netlink refused). */
    UNKNOWN
}
