package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** The UMEM does not fit in the process's locked-memory limit (RLIMIT_MEMLOCK). */
public class MemlockLimitException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public MemlockLimitException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
