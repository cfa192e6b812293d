package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** Any other failure while creating, binding or inserting an AF_XDP socket. */
public class XdpSocketException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public XdpSocketException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
