package io.quicxdp.sample;

/** The echo port could not be bound: the datapath's kernel reservation of it was refused. */
class EchoPortUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int port;

    EchoPortUnavailableException(int port, RuntimeException cause) {
        super("UDP port " + port + " could not be bound for the echo: " + cause.getMessage(), cause);
        this.port = port;
    }

    /** The port, {@code sample.echo.port}. */
    int port() {
        return this.port;
    }
}
