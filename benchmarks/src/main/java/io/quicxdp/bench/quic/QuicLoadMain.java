package io.quicxdp.bench.quic;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.quicxdp.bench.LifetimeGuard;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/3 load generator for the QUIC benchmarks: one process, one Netty epoll event loop, one UDP socket per
 * command, many QUIC connections (Netty's QUIC client), driven over stdin/stdout in lines.
 *
 * <p>It prints {@code ready}, then takes one command a line; HOST is an IPv4 or IPv6 literal:
 * <ul>
 * <li>{@code handshakes HOST PORT SECONDS CONCURRENCY}: a new connection per request (full handshake, no
 * session resumption), GET /small, close; CONCURRENCY such cycles in flight; latency is connect to last byte.
 * <li>{@code requests HOST PORT SECONDS CONNECTIONS STREAMS}: CONNECTIONS persistent connections, each keeping
 * STREAMS GET /small requests in flight.
 * <li>{@code bulk HOST PORT SECONDS STREAMS}: one connection, STREAMS streams each fetching GET /bulk back to
 * back; bytes count as they arrive.
 * <li>{@code latency HOST PORT SECONDS CONNECTIONS RATE}: RATE GET /small per second spread round-robin over
 * CONNECTIONS persistent connections; latency runs from each request's intended start to its last byte, so a
 * slow server cannot slow the schedule (no coordinated omission).
 * <li>{@code paced HOST PORT SECONDS MBPS}: one connection, one stream at a time fetching GET /bulk back to back,
 * read at MBPS megabytes per second with a 256 KiB stream window, so that every server sends at that rate and
 * their CPU per byte compares at equal batching.
 * </ul>
 * Each command connects and runs unmeasured for one second, prints {@code window}, measures SECONDS, prints
 * {@code result completed=N failed=F bytes=B seconds=S p50us=X p99us=Y rttus=R} (S the real window length;
 * latencies in microseconds of the requests completed in the window, 0 if none; B the body bytes received in
 * the window; R the mean smoothed round-trip time quiche estimates on the open connections at the close),
 * then closes its connections before reading the next line. A response counts as completed with status 200 and
 * the announced body length (or, without content-length, the length of the path's first response); other
 * responses, resets and 5 s without progress on the whole connection count as failed (the connection is then
 * replaced), as do handshakes over 5 s and, in latency mode, requests that waited 5 s for a stream. Bad input
 * or a failure answers {@code error TEXT}; {@code quit} or the end of input exits 0. Certificates are not
 * checked; ALPN h3, SNI localhost. The first command after start runs on a cold JIT: warm up before measuring.
 *
 * <p>stderr is a log: per window the generator's own CPU time and allocation per completed request (to tell
 * whether the generator, not the server, is the limit) and, in latency mode, how late requests left against
 * their intended start. UDP GRO is on ({@code -Dquicload.gro=false} turns it off): against a server that sends
 * with GSO it takes about a third off the generator's CPU per downloaded byte. {@code -Dquicload.path=/x}
 * requests /x wherever the commands above say /small, for a server that has no /small (the soak test's sample).
 *
 * <p>usage: {@code java -cp CP io.quicxdp.bench.quic.QuicLoadMain}
 */
public final class QuicLoadMain {

    /** Unmeasured run before each window: connections open, congestion windows grow. */
    private static final long RAMP_MILLIS = 1000;

    /** A generator left behind by a crashed driver goes away on its own. */
    private static final Duration MAX_LIFETIME = Duration.ofMinutes(180);

    private QuicLoadMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Epoll.ensureAvailability();
        Quic.ensureAvailability();
        boolean gro = Boolean.parseBoolean(System.getProperty("quicload.gro", "true"));
        String smallPath = System.getProperty("quicload.path", "/small");
        if (!smallPath.startsWith("/")) {
            out.println("error quicload.path '" + smallPath + "' is not an absolute path: start it with /");
            System.exit(2);
        }
        LifetimeGuard.start("load generator", MAX_LIFETIME);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            QuicSslContext ssl = QuicSslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocols("h3")
                    // every handshake a full one: no tickets kept for resumption
                    .sessionCacheSize(0)
                    .build();
            out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
                if (line.isBlank()) {
                    continue;
                }
                run(line, loop, ssl, gro, smallPath, out);
            }
        }
        finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    /**
     * Runs one command, printing {@code window} when its window opens and then its result or an error; returns
     * once its connections are closed.
     */
    private static void run(String line, EventLoop loop, QuicSslContext ssl, boolean gro, String smallPath,
            PrintStream out) throws InterruptedException {
        LoadCommand command;
        try {
            command = LoadCommand.parse(line);
        }
        catch (IllegalArgumentException ex) {
            out.println("error " + ex.getMessage());
            return;
        }
        System.err.println("command: " + line.trim());
        LoadRun run;
        try {
            run = LoadRun.start(command, loop, ssl, gro, smallPath);
        }
        catch (Exception ex) {
            out.println("error " + describe(ex));
            return;
        }
        try {
            Thread.sleep(RAMP_MILLIS);
            run.openWindow();
            out.println("window");
            Thread.sleep(command.seconds * 1000L);
            String result = run.closeWindow();
            out.println(result);
            System.err.println(result);
        }
        catch (InterruptedException ex) {
            throw ex;
        }
        catch (Exception ex) {
            out.println("error " + describe(ex));
        }
        finally {
            run.stop();
        }
    }

    private static String describe(Exception ex) {
        return ex.getMessage() != null ? ex.getClass().getSimpleName() + ": " + ex.getMessage()
                : ex.getClass().getSimpleName();
    }
}
