package io.quicxdp.datapath.internal.source;

import java.io.IOException;

/**
 * The peer on a map source's unix socket (the AF_XDP device plugin or the quic-xdp agent) answered, but not
 * with what was asked for: a refusal, an error it reported, or something outside the protocol.
 */
public class SourceProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String request;

    private final String reply;

    /**
     * @param message what went wrong
     * @param request the request that was answered this way
     * @param reply the peer's answer as received, or {@code null} when it closed the connection instead
     */
    public SourceProtocolException(String message, String request, String reply) {
        super(message);
        this.request = request;
        this.reply = reply;
    }

    /** The request that was answered this way. */
    public String request() {
        return request;
    }

    /** The peer's answer as received, or {@code null} when it closed the connection instead. */
    public String reply() {
        return reply;
    }
}
