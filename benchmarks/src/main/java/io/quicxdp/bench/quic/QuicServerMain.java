package io.quicxdp.bench.quic;

import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import io.quicxdp.bench.LifetimeGuard;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HTTP/3 server process of the QUIC benchmarks, driven over stdin/stdout by the benchmark's orchestrator:
 * the same {@link Http3FileServer} on the transport chosen, one event loop.
 *
 * <p>usage: {@value ServerOptions#USAGE}
 *
 * <p>It speaks {@link ServerControl}'s protocol; its snapshots add {@code requests} (HTTP/3 requests
 * answered), {@code handshakes} (QUIC handshakes completed), quiche's statistics ({@link QuicStats}) and, on
 * XDP, the datapath's socket counters ({@link RecordCounters}). {@code quit}, or the end of input, closes the
 * channels, the loop and the datapath, and exits 0. A server its driver left behind exits by itself after
 * 30 minutes.
 */
public final class QuicServerMain {

    private static final Duration MAX_LIFETIME = Duration.ofMinutes(30);

    private QuicServerMain() {
    }

    public static void main(String[] args) throws Exception {
        ServerOptions options;
        try {
            options = ServerOptions.parse(args);
        }
        catch (IllegalArgumentException ex) {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        Thread guard = LifetimeGuard.start("quic-server", MAX_LIFETIME);
        QuicSslContext tls = tls(options);
        try (Http3FileServer server = Http3FileServer.load(options.htdocs());
                ServerTransport transport = ServerTransport.open(options,
                        transportOptions -> server.newCodec(tls, transportOptions))) {
            System.err.println("quic-server: serving " + server.paths() + " on UDP port " + options.port());
            ServerControl.serve(ServerControl.threadId(transport.loop()), () -> {
                Map<String, Long> figures = new LinkedHashMap<>();
                figures.put("requests", server.requests());
                figures.put("handshakes", server.handshakes());
                figures.putAll(server.quicStats().snapshot());
                figures.putAll(transport.counters());
                return figures;
            });
            System.err.println("quic-server: " + server.requests() + " requests, " + server.handshakes()
                    + " handshakes; closing " + transport.state());
        }
        guard.interrupt();
        System.exit(0);
    }

    /**
     * The server's TLS: the PEM key and certificate, ALPN h3, and session-ticket keys made at random for this
     * process as the project's HTTP/3 server makes them, so a returning client may resume.
     */
    private static QuicSslContext tls(ServerOptions options) {
        QuicSslContext tls;
        try {
            tls = QuicSslContextBuilder.forServer(options.key().toFile(), null, options.cert().toFile())
                    .applicationProtocols("h3").build();
        }
        catch (IllegalArgumentException ex) {
            // Netty reads PKCS#8 keys only; openssl ecparam -genkey writes SEC1 ("BEGIN EC PRIVATE KEY")
            throw new IllegalArgumentException("--key " + options.key() + " / --cert " + options.cert()
                    + " cannot be read: the key must be an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY; make it with "
                    + "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256, or convert with openssl pkcs8 "
                    + "-topk8 -nocrypt) and the certificate a PEM chain: " + ex.getMessage(), ex);
        }
        SecureRandom random = new SecureRandom();
        byte[] name = new byte[SslSessionTicketKey.NAME_SIZE];
        byte[] hmacKey = new byte[SslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aesKey = new byte[SslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmacKey);
        random.nextBytes(aesKey);
        tls.sessionContext().setTicketKeys(new SslSessionTicketKey(name, hmacKey, aesKey));
        return tls;
    }
}
