package io.quicxdp.autoconfigure.http3;

import io.quicxdp.autoconfigure.netty.QuicLimitsValidator;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.core.env.Environment;
import org.springframework.core.io.Resource;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration properties of HTTP/3 for a reactive (WebFlux) application: its handler served over QUIC through
 * the datapath. They are checked while they are bound, each mistake reported against its property.
 */
@ConfigurationProperties("quic.xdp.http3")
public class XdpHttp3Properties implements Validator {

    private static final String PREFIX = "quic.xdp.http3.";

    /** Boot's default for {@code server.max-http-request-header-size}. */
    private static final DataSize DEFAULT_MAX_REQUEST_HEADER_SIZE = DataSize.ofKilobytes(8);

    /** Whether to serve the application's reactive HttpHandler over HTTP/3 through the datapath. */
    private boolean enabled;

    /**
     * UDP port of the HTTP/3 server, one the XDP program redirects. Defaults to server.port: the same
     * number as the TCP server, over UDP.
     */
    private @Nullable Integer port;

    /** TLS of the HTTP/3 server. */
    private final Ssl ssl = new Ssl();

    /** Whether responses carry an Alt-Svc header that advertises the HTTP/3 port. */
    private boolean altSvc = true;

    /**
     * Whether a new client's address is validated with a Retry first (a stateless token keyed for this
     * process, or by retry-token-keys), at the cost of a round trip per connection.
     */
    private boolean retry;

    /**
     * Whether a returning client may send its first requests in 0-RTT early data. Early data can be
     * replayed by an attacker: turn it on only where the first requests are safe to repeat (GET).
     */
    private boolean earlyData;

    /** How long a connection may stay idle before it is closed. */
    private Duration idleTimeout = Duration.ofSeconds(30);

    /** Bidirectional streams (requests) a client may have open on one connection. */
    private long maxStreams = 100;

    /** Bytes a client may send on one connection before the server grants more. */
    private DataSize maxData = DataSize.ofMegabytes(10);

    /** Bytes a client may send on one stream before the server grants more. */
    private DataSize maxStreamData = DataSize.ofMegabytes(1);

    /** How long shutdown waits for the requests in flight to finish before it closes the connections. */
    private Duration shutdownTimeout = Duration.ofSeconds(5);

    /**
     * QUIC connections the server takes at most, handshakes under way included; a new one beyond is closed with
     * QUIC's CONNECTION_REFUSED, the connections open keep their service. No limit when not set.
     */
    private @Nullable Integer maxConnections;

    /**
     * Handshakes under way at most: while that many are, datagrams that begin with a QUIC Initial are dropped
     * before the QUIC codec, so that a handshake flood costs the connections open as little as it can.
     */
    private int maxHandshakes = 1000;

    /** How long a new connection may take to complete its handshake before it is closed. */
    private Duration handshakeTimeout = Duration.ofSeconds(10);

    /**
     * Largest request header section taken, counted as HTTP/3 does (each field's name and value, plus 32 bytes), and
     * announced to clients; a client that sends a larger one has its connection closed (H3_EXCESSIVE_LOAD). Defaults
     * to server.max-http-request-header-size, else 8KB.
     */
    private @Nullable DataSize maxRequestHeaderSize;

    /**
     * File of TLS session-ticket keys that every instance shares, so that a client resumes (and sends 0-RTT) on
     * any of them: one base64 key of 48 bytes a line (openssl rand -base64 48), the one that issues first, all
     * accepted. Unset: a key made at random for this process.
     */
    private @Nullable Resource sessionTicketKeys;

    /**
     * File of Retry-token keys that every instance shares, so that a token from one is accepted by another: one
     * base64 key of 32 bytes a line (openssl rand -base64 32), the one that issues first, all accepted. Unset: a
     * key made at random for this process.
     */
    private @Nullable Resource retryTokenKeys;

    /**
     * File of the stateless-reset key that every instance shares, so that any of them can reset a connection it
     * does not hold: one base64 key of 32 bytes (openssl rand -base64 32). Set, packets for another instance's
     * connection IDs are answered with a stateless reset. Unset: Netty's, made at random for this process, and
     * no reset is sent.
     */
    private @Nullable Resource statelessResetKey;

    /** How often the key files are read again, so that changed keys are used without a restart. */
    private Duration keyReloadInterval = Duration.ofSeconds(10);

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable Integer getPort() {
        return this.port;
    }

    public void setPort(@Nullable Integer port) {
        this.port = port;
    }

    public Ssl getSsl() {
        return this.ssl;
    }

    public boolean isAltSvc() {
        return this.altSvc;
    }

    public void setAltSvc(boolean altSvc) {
        this.altSvc = altSvc;
    }

    public boolean isEarlyData() {
        return this.earlyData;
    }

    public void setEarlyData(boolean earlyData) {
        this.earlyData = earlyData;
    }

    public boolean isRetry() {
        return this.retry;
    }

    public void setRetry(boolean retry) {
        this.retry = retry;
    }

    public Duration getIdleTimeout() {
        return this.idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    public long getMaxStreams() {
        return this.maxStreams;
    }

    public void setMaxStreams(long maxStreams) {
        this.maxStreams = maxStreams;
    }

    public DataSize getMaxData() {
        return this.maxData;
    }

    public void setMaxData(DataSize maxData) {
        this.maxData = maxData;
    }

    public DataSize getMaxStreamData() {
        return this.maxStreamData;
    }

    public void setMaxStreamData(DataSize maxStreamData) {
        this.maxStreamData = maxStreamData;
    }

    public @Nullable DataSize getMaxRequestHeaderSize() {
        return this.maxRequestHeaderSize;
    }

    public void setMaxRequestHeaderSize(@Nullable DataSize maxRequestHeaderSize) {
        this.maxRequestHeaderSize = maxRequestHeaderSize;
    }

    public Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
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

    public @Nullable Resource getSessionTicketKeys() {
        return this.sessionTicketKeys;
    }

    public void setSessionTicketKeys(@Nullable Resource sessionTicketKeys) {
        this.sessionTicketKeys = sessionTicketKeys;
    }

    public @Nullable Resource getRetryTokenKeys() {
        return this.retryTokenKeys;
    }

    public void setRetryTokenKeys(@Nullable Resource retryTokenKeys) {
        this.retryTokenKeys = retryTokenKeys;
    }

    public @Nullable Resource getStatelessResetKey() {
        return this.statelessResetKey;
    }

    public void setStatelessResetKey(@Nullable Resource statelessResetKey) {
        this.statelessResetKey = statelessResetKey;
    }

    public Duration getKeyReloadInterval() {
        return this.keyReloadInterval;
    }

    public void setKeyReloadInterval(Duration keyReloadInterval) {
        this.keyReloadInterval = keyReloadInterval;
    }

    /** TLS of the HTTP/3 server. */
    public static class Ssl {

        /**
         * Name of the SSL bundle (spring.ssl.bundle.*) with the server's key and certificate. Defaults to
         * server.ssl.bundle, the TCP server's.
         */
        private @Nullable String bundle;

        public @Nullable String getBundle() {
            return this.bundle;
        }

        public void setBundle(@Nullable String bundle) {
            this.bundle = bundle;
        }
    }

    /**
     * The UDP port HTTP/3 serves in {@code environment}: {@code quic.xdp.http3.port}, else the number of
     * {@code server.port}, else 8080; read before the properties are bound as well (by an application that
     * prepares its XDP program's redirects).
     */
    public static int port(Environment environment) {
        Binder binder = Binder.get(environment);
        return binder.bind("quic.xdp.http3.port", Integer.class)
            .orElseGet(() -> binder.bind("server.port", Integer.class).orElse(8080));
    }

    /** What the HTTP/3 server is given: these properties as plain settings, defaults from {@code environment}. */
    XdpHttp3Settings toSettings(Environment environment) {
        DataSize maxRequestHeaderSize = (this.maxRequestHeaderSize != null) ? this.maxRequestHeaderSize
                : Binder.get(environment).bind("server.max-http-request-header-size", DataSize.class)
                    .orElse(DEFAULT_MAX_REQUEST_HEADER_SIZE);
        return new XdpHttp3Settings(this.idleTimeout, this.maxStreams, this.maxData.toBytes(),
                this.maxStreamData.toBytes(), this.retry, this.shutdownTimeout, maxRequestHeaderSize.toBytes(),
                (this.maxConnections != null) ? this.maxConnections : 0, this.maxHandshakes, this.handshakeTimeout);
    }

    @Override
    public boolean supports(Class<?> type) {
        return XdpHttp3Properties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        if (this.port != null && (this.port < 1 || this.port > 65535)) {
            reject(errors, "port", "must be a UDP port from 1 to 65535, one the XDP program redirects");
        }
        if (this.idleTimeout.isNegative() || this.idleTimeout.isZero()) {
            reject(errors, "idleTimeout", "must be positive");
        }
        if (this.maxStreams < 1) {
            reject(errors, "maxStreams", "must be at least 1");
        }
        if (this.maxRequestHeaderSize != null && this.maxRequestHeaderSize.toBytes() < 1) {
            reject(errors, "maxRequestHeaderSize", "must be at least 1B");
        }
        QuicLimitsValidator.validate(PREFIX, this.maxConnections, this.maxHandshakes, this.handshakeTimeout, errors);
        if (this.keyReloadInterval.isNegative() || this.keyReloadInterval.isZero()) {
            reject(errors, "keyReloadInterval", "must be positive");
        }
    }

    private static void reject(Errors errors, String field, String reason) {
        errors.rejectValue(field, "invalid",
                PREFIX + DataObjectPropertyName.toDashedForm(field) + " " + reason);
    }
}
