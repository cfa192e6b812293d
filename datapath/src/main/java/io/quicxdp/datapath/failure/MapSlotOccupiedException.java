package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** The XSKMAP slot for a queue already holds another AF_XDP socket; the datapath never takes it over. */
public class MapSlotOccupiedException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public MapSlotOccupiedException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
