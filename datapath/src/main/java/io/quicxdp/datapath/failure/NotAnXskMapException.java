package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** The map pinned at a configured path is not an XSKMAP with 4-byte keys and values. */
public class NotAnXskMapException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public NotAnXskMapException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
