package io.quicxdp.datapath.internal.source;

import java.nio.charset.StandardCharsets;

/**
 * The wire format between an application and the quic-xdp agent, shared by both sides.
 *
 * <p>One {@code AF_UNIX} {@code SOCK_SEQPACKET} connection per application; every message is one packet of
 * at most {@value #MAX_MESSAGE} ASCII bytes, fields separated by single spaces:
 *
 * <pre>
 * agent → app, on accept:  agent 1                               the version; or
 *                          refused TEXT                          the peer's uid/gid is not allowed; closed then
 * app → agent:             map INTERFACE
 * agent → app:             map INTERFACE ID MAX_ENTRIES NAME     the XSKMAP the agent serves for INTERFACE
 * app → agent:             insert INTERFACE KEY                  with the XSK's descriptor (SCM_RIGHTS)
 * agent → app:             inserted INTERFACE KEY                in the map at KEY, with BPF_NOEXIST
 * agent → app, instead:    error INTERFACE KEY|- CODE TEXT       CODE is one of {@link AgentError}
 * </pre>
 *
 * <p>The agent closes its copy of every descriptor at once, so the socket stays the application's alone:
 * when the application closes it or dies, the kernel empties the slot. The connection stays open while the
 * application runs, so each side sees when the other goes away; nothing else is ever sent on it.
 */
public final class AgentProtocol {

    /** The protocol's version, sent in the greeting. */
    public static final int VERSION = 1;

    /** The longest message either side sends. */
    public static final int MAX_MESSAGE = 256;

    public static final String GREETING = "agent";
    public static final String REFUSED = "refused";
    public static final String MAP = "map";
    public static final String INSERT = "insert";
    public static final String INSERTED = "inserted";
    public static final String ERROR = "error";

    private AgentProtocol() {
    }

    /** Why the agent did not do what was asked: the {@code CODE} of an {@code error} answer. */
    public enum AgentError {

        /** The agent was not started with a map for this interface. */
        NOT_SERVED("not-served"),

        /** The map's slot at this key already holds a socket; the agent never replaces one. */
        OCCUPIED("occupied"),

        /** The key is not below the map's number of entries. */
        BAD_KEY("bad-key"),

        /** The insert came without a descriptor. */
        NO_DESCRIPTOR("no-descriptor"),

        /** The descriptor is not an AF_XDP socket, or one the kernel will not put in this map. */
        NOT_AN_XSK("not-an-xsk"),

        /** The pin the agent was given cannot be opened now. */
        MAP_UNAVAILABLE("map-unavailable"),

        /** The pin the agent was given is not an XSKMAP with 4-byte keys and values. */
        NOT_AN_XSKMAP("not-an-xskmap"),

        /** The request is not part of the protocol. */
        BAD_REQUEST("bad-request"),

        /** The kernel refused for another reason, named in the text. */
        FAILED("failed");

        private final String code;

        AgentError(String code) {
            this.code = code;
        }

        /** The code on the wire, for example {@code occupied}. */
        public String code() {
            return code;
        }

        /** The error with {@code code}, or {@link #FAILED} for one this version does not know. */
        public static AgentError of(String code) {
            for (AgentError error : values()) {
                if (error.code.equals(code)) {
                    return error;
                }
            }
            return FAILED;
        }
    }

    /** The bytes of a message, refusing one longer than {@link #MAX_MESSAGE}. */
    public static byte[] encode(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("agent message longer than " + MAX_MESSAGE + " bytes: " + message);
        }
        return bytes;
    }

    /** The text of a received message. */
    public static String decode(byte[] buffer, int length) {
        return new String(buffer, 0, Math.min(length, buffer.length), StandardCharsets.US_ASCII);
    }

    /** An {@code error} answer; {@code key} is -1 for one about the interface as a whole. */
    public static String error(String interfaceName, int key, AgentError error, String text) {
        return ERROR + " " + interfaceName + " " + (key < 0 ? "-" : Integer.toString(key)) + " " + error.code() + " "
                + text.replace('\n', ' ');
    }
}
