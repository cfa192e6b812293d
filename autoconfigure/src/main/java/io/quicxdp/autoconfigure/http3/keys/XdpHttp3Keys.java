package io.quicxdp.autoconfigure.http3.keys;

import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * The keys an HTTP/3 server shares with the rest of its fleet: session tickets, Retry tokens and stateless
 * resets, each from a file when one is configured ({@code null} otherwise: the server makes its own at random,
 * enough for a single instance). While running, the files are read again every reload interval on a thread of
 * their own, never an event loop, and changed keys are swapped in as a whole.
 */
public class XdpHttp3Keys implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(XdpHttp3Keys.class);

    private final @Nullable SharedKeys sessionTickets;

    private final @Nullable SharedKeys retryTokens;

    private final @Nullable SharedKeys statelessReset;

    private final Duration reloadInterval;

    private @Nullable ScheduledExecutorService reloader;

    /**
     * @param sessionTickets the session-ticket keys, or {@code null} when not configured
     * @param retryTokens the Retry-token keys, or {@code null} when not configured
     * @param statelessReset the stateless-reset key, or {@code null} when not configured
     * @param reloadInterval how often the files are read again while running
     */
    public XdpHttp3Keys(@Nullable SharedKeys sessionTickets, @Nullable SharedKeys retryTokens,
            @Nullable SharedKeys statelessReset, Duration reloadInterval) {
        if (reloadInterval.isNegative() || reloadInterval.isZero()) {
            throw new IllegalArgumentException("the reload interval must be positive, not " + reloadInterval);
        }
        this.sessionTickets = sessionTickets;
        this.retryTokens = retryTokens;
        this.statelessReset = statelessReset;
        this.reloadInterval = reloadInterval;
    }

    /** The session-ticket keys, or {@code null} when none are configured. */
    public @Nullable SharedKeys sessionTickets() {
        return this.sessionTickets;
    }

    /** The Retry-token keys, or {@code null} when none are configured. */
    public @Nullable SharedKeys retryTokens() {
        return this.retryTokens;
    }

    /** The stateless-reset key, or {@code null} when none is configured. */
    public @Nullable SharedKeys statelessReset() {
        return this.statelessReset;
    }

    /**
     * Gives {@code tls} the configured session-ticket keys now, and again each time they change: BoringSSL issues
     * tickets with the first and accepts them all. Without configured keys, {@code tls} keeps its own.
     *
     * @return whether keys were configured and given
     */
    public boolean applySessionTicketKeys(QuicSslContext tls) {
        SharedKeys keys = this.sessionTickets;
        if (keys == null) {
            return false;
        }
        keys.onChange((changed) -> setTicketKeys(tls, keys));
        setTicketKeys(tls, keys);
        return true;
    }

    /** Stateless-reset tokens from the shared key, or {@code null} when none is configured. */
    public @Nullable QuicResetTokenGenerator resetTokenGenerator() {
        SharedKeys keys = this.statelessReset;
        return (keys != null) ? new SharedResetTokenGenerator(keys) : null;
    }

    /** The keys of a ring as BoringSSL takes them: a 16-byte name, a 16-byte HMAC key, a 16-byte AES key. */
    static SslSessionTicketKey[] ticketKeys(KeyRing keys) {
        SslSessionTicketKey[] ticketKeys = new SslSessionTicketKey[keys.size()];
        for (int i = 0; i < ticketKeys.length; i++) {
            byte[] key = keys.key(i);
            int hmacStart = SslSessionTicketKey.NAME_SIZE;
            int aesStart = hmacStart + SslSessionTicketKey.HMAC_KEY_SIZE;
            ticketKeys[i] = new SslSessionTicketKey(Arrays.copyOfRange(key, 0, hmacStart),
                    Arrays.copyOfRange(key, hmacStart, aesStart), Arrays.copyOfRange(key, aesStart, key.length));
        }
        return ticketKeys;
    }

    /** Always the keys current now: whichever of two calls comes last leaves the newest. */
    private static void setTicketKeys(QuicSslContext tls, SharedKeys keys) {
        synchronized (tls) {
            tls.sessionContext().setTicketKeys(ticketKeys(keys.current()));
        }
    }

    @Override
    public synchronized void start() {
        if (this.reloader != null || configured().isEmpty()) {
            return;
        }
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((task) -> {
            Thread thread = new Thread(task, "quic-xdp-keys");
            thread.setDaemon(true);
            return thread;
        });
        long period = this.reloadInterval.toMillis();
        executor.scheduleWithFixedDelay(this::reload, period, period, TimeUnit.MILLISECONDS);
        this.reloader = executor;
    }

    /** Reads every shared file again; a failure is logged and the next round tries again. */
    void reload() {
        for (SharedKeys keys : configured()) {
            try {
                keys.reload();
            }
            catch (RuntimeException ex) {
                logger.warn("Reading " + keys.kind().property() + " again failed; the keys in use stay", ex);
            }
        }
    }

    @Override
    public synchronized void stop() {
        ScheduledExecutorService executor = this.reloader;
        if (executor != null) {
            executor.shutdownNow();
            this.reloader = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return this.reloader != null;
    }

    private List<SharedKeys> configured() {
        return Stream.of(this.sessionTickets, this.retryTokens, this.statelessReset).filter(Objects::nonNull).toList();
    }
}
