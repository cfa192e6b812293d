package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/** This machine cannot run the datapath at all: it is not 64-bit little-endian Linux on x86-64 or arm64. */
public class UnsupportedPlatformException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public UnsupportedPlatformException(String message, String action, String interfaceName, Path mapPath,
            Integer queueId, int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
