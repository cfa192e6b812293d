package io.quicxdp.autoconfigure.http3;

/**
 * Where the actuator reads the HTTP/3 server's {@link Http3State}. A type of its own, free of Reactor Netty, so
 * that the endpoint and meters load where HTTP/3 is absent.
 */
@FunctionalInterface
public interface XdpHttp3Status {

    /** The server's state now. */
    Http3State state();
}
