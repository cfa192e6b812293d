package io.quicxdp.datapath.internal.source;

import io.quicxdp.datapath.internal.source.AgentProtocol.AgentError;

/** The quic-xdp agent answered a request with an {@code error}: it did not do what was asked. */
public class AgentRefusedException extends SourceProtocolException {

    private static final long serialVersionUID = 1L;

    private final AgentError error;

    /**
     * @param error the agent's reason
     * @param text the agent's explanation
     * @param request the request
     * @param reply the whole answer
     */
    public AgentRefusedException(AgentError error, String text, String request, String reply) {
        super("the agent answered " + request + " with " + error.code() + ": " + text, request, reply);
        this.error = error;
    }

    /** The agent's reason. */
    public AgentError error() {
        return error;
    }
}
