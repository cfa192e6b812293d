package io.quicxdp.sample;

/** An echo's port could not be bound: the datapath's kernel reservation of it was refused. */
class EchoPortUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final int port;

    EchoPortUnavailableException(String echo, String property, int port, Exception cause) {
        super("UDP port " + port + " could not be bound for the " + echo + ": " + cause.getMessage(), cause);
        this.property = property;
        this.port = port;
    }

    /** The property that names the port, such as {@code sample.echo.port}. */
    String property() {
        return this.property;
    }

    /** The port. */
    int port() {
        return this.port;
    }
}
