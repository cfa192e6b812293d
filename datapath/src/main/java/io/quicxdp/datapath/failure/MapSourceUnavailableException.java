package io.quicxdp.datapath.failure;

import io.quicxdp.datapath.config.MapSource;

/**
 * The map's source, the AF_XDP device plugin or the quic-xdp agent, could not be reached on its unix socket,
 * did not answer, or refused: no socket was inserted through it.
 */
public class MapSourceUnavailableException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    private final transient MapSource source;

    /**
     * Creates the exception; the other arguments are described at {@link XdpDatapathException}'s accessors.
     *
     * @param source the device plugin's or agent's socket
     */
    public MapSourceUnavailableException(String message, String action, String interfaceName, MapSource source,
            Integer queueId, int errno, Throwable cause) {
        super(message, action, interfaceName, null, queueId, errno, cause);
        this.source = source;
    }

    /** The device plugin's or agent's socket. */
    public MapSource source() {
        return source;
    }
}
