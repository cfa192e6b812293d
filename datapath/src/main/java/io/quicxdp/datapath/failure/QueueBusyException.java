package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** Another AF_XDP socket is already bound to the interface queue. */
public class QueueBusyException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public QueueBusyException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
