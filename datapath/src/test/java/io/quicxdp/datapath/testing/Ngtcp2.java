package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * ngtcp2's HTTP/3 client and server as Debian packages them ({@code gtlsclient}, {@code gtlsserver}), for tests
 * in which a client no one here wrote downloads one blob from a server over a {@link VethNamespace}: the client
 * runs in the peer namespace, bounded in time, its log and download kept in a directory of their own under
 * {@code files} (under {@code target}, so they stay for a look after a failure).
 */
public final class Ngtcp2 {

    /** A frame of the request stream in gtlsclient's log. */
    private static final Pattern STREAM_FRAME = Pattern
            .compile("frm rx \\d+ 1RTT STREAM\\(0x0[ef]\\) id=0x0 fin=(\\d) offset=(\\d+) len=(\\d+)");

    private static final String LOG = "gtlsclient.log";

    /** Where the relays run; {@code null} for a client namespace of another fixture, without relays. */
    private final VethNamespace net;

    private final String namespace;

    private final Path files;

    private final String path;

    private final byte[] blob;

    /**
     * @param net where the client runs: its peer namespace
     * @param files where each download's directory goes
     * @param path the blob's path on the server, without the leading slash
     * @param blob what the server serves there
     */
    public Ngtcp2(VethNamespace net, Path files, String path, byte[] blob) {
        this(net, net.namespace(), files, path, blob);
    }

    /**
     * A client in {@code namespace} (a {@link FleetFixture}'s client, say), which cannot run the relays of
     * {@link #rebindUntilCompleted}.
     */
    public Ngtcp2(String namespace, Path files, String path, byte[] blob) {
        this(null, namespace, files, path, blob);
    }

    private Ngtcp2(VethNamespace net, String namespace, Path files, String path, byte[] blob) {
        this.net = net;
        this.namespace = namespace;
        this.files = files;
        this.path = path;
        this.blob = blob;
    }

    /** Skips the test, saying what to install, without {@code gtlsclient} (and {@code gtlsserver} if asked). */
    public static void assumeInstalled(boolean server) {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        if (server) {
            Assumptions.assumeTrue(Commands.tryRun("gtlsserver", "--help").exitCode() == 0,
                    "the gtlsserver command is missing: apt-get install ngtcp2-server");
        }
    }

    /**
     * Starts {@code gtlsserver} on {@code address} in this namespace (the application's side), serving the blob,
     * and waits until it has bound. GnuTLS needs an RSA key: it refuses the JDK's PKCS#8 EC keys.
     */
    public Process startServer(InetSocketAddress address, PrivateKey key, X509Certificate certificate)
            throws IOException, GeneralSecurityException, InterruptedException {
        Path htdocs = Files.createDirectories(files.resolve("htdocs"));
        Files.write(htdocs.resolve(path), blob);
        Path keyFile = Files.writeString(files.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded()));
        Path certFile = Files.writeString(files.resolve("cert.pem"), pem("CERTIFICATE", certificate.getEncoded()));
        Path log = files.resolve("gtlsserver.log");
        Process server = new ProcessBuilder("gtlsserver", "--quiet", "--htdocs=" + htdocs,
                address.getAddress().getHostAddress(), Integer.toString(address.getPort()), keyFile.toString(),
                certFile.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && server.isAlive()) {
            if (!Commands.run("ss", "-Hlun", "sport = :" + address.getPort()).isBlank()) {
                return server;
            }
            Thread.sleep(20);
        }
        server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError("gtlsserver did not bind " + address + ": " + Files.readString(log));
    }

    /**
     * Runs gtlsclient in the peer namespace for the blob from {@code server}, with {@code options}, for up to
     * 30 s; returns the directory named {@code name} that holds its download, its log and how it exited.
     */
    public Path download(InetSocketAddress server, String name, String... options)
            throws IOException, InterruptedException {
        Path directory = Files.createDirectories(files.resolve(name));
        String host = server.getAddress().getHostAddress();
        String port = Integer.toString(server.getPort());
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "gtlsclient",
                "--no-quic-dump", "--no-http-dump", "--exit-on-all-streams-close", "--timeout=5s",
                "--download=" + directory));
        command.addAll(Arrays.asList(options));
        command.addAll(List.of(host, port, "https://" + host + ":" + port + "/" + path));
        Process client = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve(LOG).toFile()).start();
        String exit = "did not finish within 30 s";
        if (client.waitFor(30, TimeUnit.SECONDS)) {
            exit = "exit status " + client.exitValue();
        }
        else {
            client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Files.writeString(directory.resolve("exit"), exit);
        return directory;
    }

    /** What gtlsclient wrote in {@code directory}. */
    public static String log(Path directory) throws IOException {
        return Files.readString(directory.resolve(LOG));
    }

    /** The blob arrived whole, and with {@code clientMoved} the client says it changed its address. */
    public void assertDownloaded(Path directory, boolean clientMoved) throws IOException {
        Path file = directory.resolve(path);
        String log = log(directory);
        String said = String.format("%s: gtlsclient's %s; it said, at the end:%n%s", directory.getFileName(),
                Files.readString(directory.resolve("exit")), log.substring(Math.max(0, log.length() - 4000)));
        if (!Files.exists(file)) {
            throw new AssertionError("not downloaded; " + said);
        }
        byte[] downloaded = Files.readAllBytes(file);
        int mismatch = Arrays.mismatch(downloaded, blob);
        if (mismatch != -1) {
            throw new AssertionError("the " + downloaded.length + " bytes downloaded first differ from the "
                    + blob.length + " served at " + mismatch + "; " + said);
        }
        if (clientMoved && !log.contains("Local address is now")) {
            throw new AssertionError(directory.getFileName() + ": the client did not change its address; " + said);
        }
    }

    /**
     * Whether a download whose client changed its address completed; false when quiche stranded data in flight
     * on the old path (cloudflare/quiche#2452: a hole below the stream's end, which arrived, and the client idled
     * out). Any other outcome fails.
     */
    public boolean completedOrStranded(Path directory) throws IOException {
        return completedOrStranded(directory, true);
    }

    private boolean completedOrStranded(Path directory, boolean clientMoved) throws IOException {
        Path file = directory.resolve(path);
        if (Files.exists(file) && Files.size(file) == blob.length) {
            assertDownloaded(directory, clientMoved);
            return true;
        }
        String log = log(directory);
        long received = 0;
        boolean finished = false;
        Matcher frames = STREAM_FRAME.matcher(log);
        TreeMap<Long, Long> ranges = new TreeMap<>();
        while (frames.find()) {
            long offset = Long.parseLong(frames.group(2));
            ranges.merge(offset, offset + Long.parseLong(frames.group(3)), Math::max);
            finished |= frames.group(1).equals("1");
        }
        boolean hole = false;
        for (Map.Entry<Long, Long> range : ranges.entrySet()) {
            hole |= range.getKey() > received;
            received = Math.max(received, range.getValue());
        }
        if (!(finished && hole && log.contains("ERR_IDLE_CLOSE"))) {
            throw new AssertionError(directory.getFileName() + ": neither downloaded nor stranded by quiche (a hole "
                    + "below the stream's end, then the idle close), the one failure allowed; gtlsclient's "
                    + Files.readString(directory.resolve("exit")) + "; it said, at the end:\n"
                    + log.substring(Math.max(0, log.length() - 4000)));
        }
        return false;
    }

    /**
     * Downloads with {@code gtlsclient --change-local-addr=50ms} from {@code server} until {@code crossings}
     * completed downloads moved to a path whose packets {@code handedOver} saw reach another loop, at most
     * {@code maxRuns} times; a download stranded by quiche is counted, any other failure fails.
     *
     * @param handedOver the server's count of packets handed from one loop to another
     */
    public Moves moveUntilCrossed(InetSocketAddress server, String prefix, int crossings, int maxRuns,
            LongSupplier handedOver) throws IOException, InterruptedException {
        int runs = 0;
        int crossed = 0;
        int stranded = 0;
        while (crossed < crossings && runs < maxRuns) {
            long before = handedOver.getAsLong();
            boolean completed = completedOrStranded(download(server, prefix + runs, "--change-local-addr=50ms"));
            runs++;
            if (!completed) {
                stranded++;
            }
            else if (handedOver.getAsLong() > before) {
                crossed++;
            }
        }
        return new Moves(runs, crossed, stranded);
    }

    /** Downloads {@code runs} times with {@code --change-local-addr=50ms}; every one must complete. */
    public void moveAndComplete(InetSocketAddress server, String prefix, int runs)
            throws IOException, InterruptedException {
        for (int i = 0; i < runs; i++) {
            assertDownloaded(download(server, prefix + i, "--change-local-addr=50ms"), true);
        }
    }

    /**
     * Downloads from {@code server} through a {@link RebindingRelay} that moves to another port after a hundred
     * answers, unknown to the client, until {@code completions} downloads completed, at most {@code maxRuns}
     * times; the relay must have switched in each. With {@code queues}, the new port is one whose datagrams arrive
     * on another queue than the old, and {@code handedOver} must have moved in each completed download: the server
     * handed the packets to the connection's loop. With {@code strandedAllowed}, a download quiche stranded at the
     * switch (as {@link #completedOrStranded}) is counted; without, it fails, as does any other outcome.
     */
    public Moves rebindUntilCompleted(InetSocketAddress server, String prefix, int completions, int maxRuns,
            QueueProbe queues, LongSupplier handedOver, boolean strandedAllowed) throws Exception {
        if (net == null) {
            throw new IllegalStateException("the relay runs in a VethNamespace's peer: make this with one");
        }
        int runs = 0;
        int completed = 0;
        while (completed < completions && runs < maxRuns) {
            try (RebindingRelay relay = RebindingRelay.start(net, server)) {
                DatagramChannel moved = (queues != null)
                        ? queues.upstreamOnAnotherQueue(relay, queues.queueOf(relay.upstream())) : relay.newUpstream();
                relay.switchAfter(100, moved);
                long before = (handedOver != null) ? handedOver.getAsLong() : 0;
                Path directory = download(relay.address(), prefix + runs);
                runs++;
                if (relay.upstream() != moved) {
                    throw new AssertionError(directory.getFileName() + ": the relay did not switch");
                }
                if (strandedAllowed && !completedOrStranded(directory, false)) {
                    continue;
                }
                assertDownloaded(directory, false);
                completed++;
                if (handedOver != null && handedOver.getAsLong() <= before) {
                    throw new AssertionError(directory.getFileName() + ": no packet was handed to the connection's "
                            + "loop, though the new port's packets arrive on another queue");
                }
            }
        }
        return new Moves(runs, completed, runs - completed);
    }

    /**
     * What {@link #moveUntilCrossed} or {@link #rebindUntilCompleted} saw.
     *
     * @param runs downloads run
     * @param crossed completed downloads (whose new path reached another loop, where the server has loops)
     * @param stranded downloads quiche stranded
     */
    public record Moves(int runs, int crossed, int stranded) {
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
