package io.quicxdp.agent;

import java.util.List;

/**
 * {@code java -jar quic-xdp-agent-VERSION.jar --socket PATH --map INTERFACE=PIN --allow-uid UID}: runs the
 * {@link AgentServer} until SIGTERM or SIGINT, then removes its socket. The sockets it inserted stay in their
 * slots; each leaves when its application closes it.
 */
public final class QuicXdpAgent {

    private QuicXdpAgent() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(AgentOptions.USAGE);
            return;
        }
        AgentOptions options;
        try {
            options = AgentOptions.parse(args);
        }
        catch (IllegalArgumentException ex) {
            System.err.println("quic-xdp agent: " + ex.getMessage());
            System.err.println(AgentOptions.USAGE);
            System.exit(2);
            return;
        }
        AgentServer server;
        try {
            server = AgentServer.start(options);
        }
        catch (Exception ex) {
            System.err.println("quic-xdp agent: cannot listen on " + options.socket() + ": " + ex.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "quic-xdp-agent-stop"));
        server.awaitClose();
    }
}
