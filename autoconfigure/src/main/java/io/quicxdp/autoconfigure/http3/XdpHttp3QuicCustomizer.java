package io.quicxdp.autoconfigure.http3;

/**
 * Callback to adjust the QUIC side of the HTTP/3 server in code (its connection IDs, tokens, TLS keys, the
 * handlers in front of its codec) after {@code quic.xdp.http3.*} has been applied and before the server starts.
 * Customizers run in {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface XdpHttp3QuicCustomizer {

    /**
     * Customizes how the server builds the QUIC codec of each event loop.
     *
     * @param quic the codecs' settings, holding the configured properties
     */
    void customize(XdpHttp3Quic quic);
}
