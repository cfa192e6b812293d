package io.quicxdp.autoconfigure.http3.keys;

import io.netty.handler.codec.quic.SslSessionTicketKey;

/** The keys an HTTP/3 fleet shares: what each is for, its property, and its size. */
public enum KeyKind {

    /**
     * TLS session tickets, for resumption and 0-RTT on any instance: BoringSSL's 16-byte name, 16-byte HMAC key
     * and 16-byte AES key, in that order.
     */
    SESSION_TICKET("quic.xdp.http3.session-ticket-keys", "session-ticket key", SslSessionTicketKey.TICKET_KEY_SIZE,
            true),

    /** The HMAC-SHA256 key of Retry tokens, so that a token from one instance is good on another. */
    RETRY_TOKEN("quic.xdp.http3.retry-token-keys", "Retry-token key", 32, true),

    /**
     * The HMAC-SHA256 key of stateless-reset tokens, so that an instance that does not hold a connection can
     * reset it with the token the client was given. One key: a token is made, never checked, by the server.
     */
    STATELESS_RESET("quic.xdp.http3.stateless-reset-key", "stateless-reset key", 32, false);

    private final String property;

    private final String description;

    private final int length;

    private final boolean several;

    KeyKind(String property, String description, int length, boolean several) {
        this.property = property;
        this.description = description;
        this.length = length;
        this.several = several;
    }

    /** The property that names the file. */
    public String property() {
        return this.property;
    }

    /** What a key of this kind is, for messages. */
    public String description() {
        return this.description;
    }

    /** Bytes in one key. */
    public int length() {
        return this.length;
    }

    /** Whether a file may hold several keys (the first issues, all are accepted) or exactly one. */
    public boolean several() {
        return this.several;
    }

    /** A command that makes one key of this kind. */
    public String command() {
        return "openssl rand -base64 " + this.length;
    }
}
