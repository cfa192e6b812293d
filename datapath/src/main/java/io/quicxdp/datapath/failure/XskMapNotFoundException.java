package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** Nothing is pinned at a configured XSKMAP path. */
public class XskMapNotFoundException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public XskMapNotFoundException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
