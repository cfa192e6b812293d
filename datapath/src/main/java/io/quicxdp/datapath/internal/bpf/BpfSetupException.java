package io.quicxdp.datapath.internal.bpf;

import java.io.IOException;

/**
 * A BPF object could not be set up because of something on this machine an operator can fix: the message says
 * what, and {@link #problem()} tells callers which case it is.
 */
public final class BpfSetupException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The cases an operator fixes differently. */
    public enum Problem {
        /** No network interface has the given name in this network namespace. */
        INTERFACE_MISSING,
        /** The pin's directory does not exist or is not on a mounted bpffs. */
        NOT_ON_BPFFS,
        /** Something is already pinned at the path. */
        PIN_EXISTS,
        /** The pinned object is not a map, or not the kind of map needed. */
        WRONG_OBJECT,
        /** The interface already has an XDP program attached in that mode. */
        INTERFACE_BUSY,
        /** The kernel refused for lack of privilege: CAP_BPF and CAP_NET_ADMIN (or root) are needed. */
        PERMISSION_DENIED
    }

    private final Problem problem;

    BpfSetupException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    /** Which case this is. */
    public Problem problem() {
        return problem;
    }
}
