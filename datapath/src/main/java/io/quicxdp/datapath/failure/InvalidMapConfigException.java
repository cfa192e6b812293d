package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** The map configuration contradicts itself: no map, an interface or map given twice. */
public class InvalidMapConfigException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public InvalidMapConfigException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
