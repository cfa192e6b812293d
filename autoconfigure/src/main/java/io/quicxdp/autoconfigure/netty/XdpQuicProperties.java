package io.quicxdp.autoconfigure.netty;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration properties of the QUIC connection IDs issued on the XDP event loops: QUIC-LB's plaintext format,
 * with a server ID a load balancer routes on and the event loop that owns the connection; and the limits past which
 * new connections are refused or their Initials shed. They are checked while they are bound, each mistake reported
 * against its property.
 */
@ConfigurationProperties("quic.xdp.quic")
public class XdpQuicProperties implements Validator {

    /**
     * The server ID in every connection ID, in hexadecimal, two digits an octet (for example 0a01): the octets a
     * QUIC-LB load balancer routes on. Unset means a random one per process, of server-id-length octets.
     */
    private @Nullable String serverId;

    /** The server ID's length in octets, 1 to 14. Defaults to server-id's length, else 2. */
    private @Nullable Integer serverIdLength;

    /**
     * The length of every connection ID in octets, at most 20: the first octet, the server ID, one octet for the
     * event loop and at least 4 random octets.
     */
    private int connectionIdLength = 20;

    /**
     * The config rotation codepoint in the first octet's three high bits, 0 to 6, as the load balancer's
     * configuration has it. 7 is QUIC-LB's codepoint for unroutable IDs.
     */
    private int configRotation;

    /** Whether the first octet's five low bits say the length of the rest, QUIC-LB's option. Else they are random. */
    private boolean lengthSelfDescription;

    /**
     * QUIC connections taken at most over every QUIC port bound with the binder, handshakes under way included; a
     * new one beyond is closed with QUIC's CONNECTION_REFUSED. No limit when not set. Counts the connections whose
     * codec has XdpQuicRouting.connectionHandler as its connection handler.
     */
    private @Nullable Integer maxConnections;

    /**
     * Handshakes under way at most: while that many are, datagrams that begin with a QUIC Initial are dropped before
     * the dispatcher hands them to a codec.
     */
    private int maxHandshakes = 1000;

    /** How long a new connection may take to complete its handshake before it is closed. */
    private Duration handshakeTimeout = Duration.ofSeconds(10);

    public @Nullable String getServerId() {
        return this.serverId;
    }

    public void setServerId(@Nullable String serverId) {
        this.serverId = serverId;
    }

    public @Nullable Integer getServerIdLength() {
        return this.serverIdLength;
    }

    public void setServerIdLength(@Nullable Integer serverIdLength) {
        this.serverIdLength = serverIdLength;
    }

    public int getConnectionIdLength() {
        return this.connectionIdLength;
    }

    public void setConnectionIdLength(int connectionIdLength) {
        this.connectionIdLength = connectionIdLength;
    }

    public int getConfigRotation() {
        return this.configRotation;
    }

    public void setConfigRotation(int configRotation) {
        this.configRotation = configRotation;
    }

    public boolean isLengthSelfDescription() {
        return this.lengthSelfDescription;
    }

    public void setLengthSelfDescription(boolean lengthSelfDescription) {
        this.lengthSelfDescription = lengthSelfDescription;
    }

    public @Nullable Integer getMaxConnections() {
        return this.maxConnections;
    }

    public void setMaxConnections(@Nullable Integer maxConnections) {
        this.maxConnections = maxConnections;
    }

    public int getMaxHandshakes() {
        return this.maxHandshakes;
    }

    public void setMaxHandshakes(int maxHandshakes) {
        this.maxHandshakes = maxHandshakes;
    }

    public Duration getHandshakeTimeout() {
        return this.handshakeTimeout;
    }

    public void setHandshakeTimeout(Duration handshakeTimeout) {
        this.handshakeTimeout = handshakeTimeout;
    }

    @Override
    public boolean supports(Class<?> type) {
        return XdpQuicProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        QuicConnectionIdsMapper.validate(this, errors);
        QuicLimitsValidator.validate("quic.xdp.quic.", this.maxConnections, this.maxHandshakes, this.handshakeTimeout,
                errors);
    }
}
