package io.quicxdp.datapath.failure;

import java.nio.file.Path;

/**
 * The process lacks a capability or a permission on a pin that map mode needs, or a seccomp filter (such as a
 * container runtime's default profile) refuses a system call that map mode makes; the message says which.
 */
public class MissingPrivilegeException extends XdpDatapathException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the arguments are described at {@link XdpDatapathException}'s accessors. */
    public MissingPrivilegeException(String message, String action, String interfaceName, Path mapPath, Integer queueId,
            int errno, Throwable cause) {
        super(message, action, interfaceName, mapPath, queueId, errno, cause);
    }
}
