package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** A configured XSKMAP has fewer entries than the highest queue index it must hold. */
public class XskMapTooSmallException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public XskMapTooSmallException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
