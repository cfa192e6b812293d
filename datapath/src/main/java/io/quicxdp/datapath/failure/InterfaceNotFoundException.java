package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** A configured network interface does not exist in this network namespace. */
public class InterfaceNotFoundException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public InterfaceNotFoundException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
