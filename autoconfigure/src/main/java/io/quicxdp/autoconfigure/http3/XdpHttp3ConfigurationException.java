package io.quicxdp.autoconfigure.http3;

/** HTTP/3 is enabled where it cannot run; the message says why and {@link #action()} what to do. */
public abstract class XdpHttp3ConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String action;

    XdpHttp3ConfigurationException(String message, String action) {
        super(message);
        this.action = action;
    }

    /** What to change. */
    public String action() {
        return this.action;
    }
}
