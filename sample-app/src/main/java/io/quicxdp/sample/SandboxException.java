package io.quicxdp.sample;

/**
 * The zero-setup sandbox could not be built, or is not to be built in this configuration: the message says
 * what happened, {@link #action()} what to do about it.
 */
class SandboxException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String action;

    SandboxException(String message, String action) {
        this(message, action, null);
    }

    SandboxException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    /** How to fix it. */
    String action() {
        return this.action;
    }
}
