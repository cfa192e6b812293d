package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** Zero-copy mode was required but the interface's driver cannot run AF_XDP zero-copy. */
public class ZeroCopyUnsupportedException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public ZeroCopyUnsupportedException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
