package io.quicxdp.bench.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The handshake flood: {@link InitialPackets} of each kind, in the mix asked for, from many source addresses and
 * ports to one server, at a rate or as fast as the threads can. Each source is an ordinary UDP socket bound to an
 * address of the sending namespace: give it a range that is local there (an {@code ip route add local RANGE dev lo}
 * inside the subnet of the link to the server), so that the server's answers come back to it on the same link and
 * nothing leaves the test's namespaces. The sockets are opened by {@link #open}, in the calling thread's
 * namespace; {@link #run} may run anywhere.
 */
public final class InitialFlood implements AutoCloseable {

    private final Settings settings;

    private final List<DatagramChannel> sockets = new ArrayList<>();

    private final List<InetAddress> socketSources = new ArrayList<>();

    /** Per socket: datagrams and UDP payload bytes sent; each written by the one thread that sends on it. */
    private final long[] sentDatagrams;

    private final long[] sentBytes;

    /**
     * What to send.
     *
     * @param server the server's address and UDP port
     * @param sources the addresses to send from, each local in the namespace of {@link #open}
     * @param portsPerSource sockets per address, each on a port of its own
     * @param rate datagrams per second in all, 0 for as fast as possible
     * @param duration how long to send
     * @param maxDatagrams the most to send, whatever the time
     * @param mix relative weights of {@link InitialPackets.Kind#INITIAL}, {@code UNDECRYPTABLE} and {@code GARBAGE}
     * @param threads sending threads, each with its share of the sockets
     * @param alpn the application protocol the real Initials offer: the server's, for it to start handshakes
     */
    public record Settings(InetSocketAddress server, List<InetAddress> sources, int portsPerSource, double rate,
            Duration duration, long maxDatagrams, int[] mix, int threads, String alpn) {

        /** Settings whose Initials offer HTTP/3 ({@code h3}). */
        public Settings(InetSocketAddress server, List<InetAddress> sources, int portsPerSource, double rate,
                Duration duration, long maxDatagrams, int[] mix, int threads) {
            this(server, sources, portsPerSource, rate, duration, maxDatagrams, mix, threads, "h3");
        }

        public Settings {
            if (sources.isEmpty() || portsPerSource < 1 || rate < 0 || threads < 1 || maxDatagrams < 1) {
                throw new IllegalArgumentException("at least one source, port per source, thread and datagram, and "
                        + "a rate of 0 or more");
            }
            if (duration.isNegative() || duration.compareTo(Duration.ofMinutes(30)) > 0) {
                throw new IllegalArgumentException("a flood lasts up to 30 minutes, not " + duration);
            }
            if (mix.length != 3 || mix[0] < 0 || mix[1] < 0 || mix[2] < 0 || mix[0] + mix[1] + mix[2] == 0) {
                throw new IllegalArgumentException("the mix is three weights, initial:undecryptable:garbage, not all 0");
            }
            if (alpn.isEmpty() || alpn.length() > 255 || !alpn.chars().allMatch((c) -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("the ALPN is 1 to 255 printable ASCII characters, not '" + alpn
                        + "'");
            }
        }
    }

    /**
     * What was sent.
     *
     * @param datagrams sent in all
     * @param bytes their UDP payload bytes
     * @param byKind datagrams of each kind, in the order of {@link InitialPackets.Kind}
     * @param errors sends the kernel refused (a full socket buffer, an unreachable server)
     * @param seconds how long it took
     */
    public record Result(long datagrams, long bytes, long[] byKind, long errors, double seconds) {

        public String line() {
            return String.format(java.util.Locale.ROOT, "flood sent=%d bytes=%d seconds=%.2f rate=%.0f initial=%d "
                    + "undecryptable=%d garbage=%d errors=%d", datagrams, bytes, seconds, datagrams / seconds,
                    byKind[0], byKind[1], byKind[2], errors);
        }
    }

    private InitialFlood(Settings settings) {
        this.settings = settings;
        int count = settings.sources().size() * settings.portsPerSource();
        this.sentDatagrams = new long[count];
        this.sentBytes = new long[count];
    }

    /** Opens one socket per source and port, connected to the server, in the calling thread's namespace. */
    public static InitialFlood open(Settings settings) throws IOException {
        InitialFlood flood = new InitialFlood(settings);
        try {
            for (InetAddress source : settings.sources()) {
                for (int i = 0; i < settings.portsPerSource(); i++) {
                    DatagramChannel socket = DatagramChannel.open();
                    flood.sockets.add(socket);
                    flood.socketSources.add(source);
                    socket.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
                    // the server's answers are read on the wire, not here: a small buffer, dropped when full
                    socket.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                    socket.bind(new InetSocketAddress(source, 0));
                    socket.connect(settings.server());
                }
            }
            return flood;
        }
        catch (IOException | RuntimeException ex) {
            flood.close();
            throw ex;
        }
    }

    /** Sends for the settings' duration, or until the most datagrams are sent; returns what was sent. */
    public Result run() throws InterruptedException {
        int threads = Math.min(settings.threads(), sockets.size());
        List<Sender> senders = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + settings.duration().toNanos();
        for (int i = 0; i < threads; i++) {
            Sender sender = new Sender(i, threads, start, end);
            senders.add(sender);
            sender.thread.start();
        }
        long[] byKind = new long[3];
        long datagrams = 0;
        long bytes = 0;
        long errors = 0;
        for (Sender sender : senders) {
            sender.thread.join(settings.duration().toMillis() + TimeUnit.SECONDS.toMillis(30));
            if (sender.thread.isAlive()) {
                throw new IllegalStateException("a flood thread did not stop 30 s after the flood's end");
            }
            datagrams += sender.sent;
            bytes += sender.bytes;
            errors += sender.errors;
            for (int k = 0; k < 3; k++) {
                byKind[k] += sender.byKind[k];
            }
            if (sender.failure != null) {
                throw new IllegalStateException("a flood thread failed", sender.failure);
            }
        }
        return new Result(datagrams, bytes, byKind, errors, Math.max(1e-9, (System.nanoTime() - start) / 1e9));
    }

    /** Per source address, after {@link #run}: {datagrams, UDP payload bytes} sent from it. */
    public Map<InetAddress, long[]> sentBySource() {
        Map<InetAddress, long[]> bySource = new LinkedHashMap<>();
        for (int i = 0; i < sockets.size(); i++) {
            long[] sent = bySource.computeIfAbsent(socketSources.get(i), (source) -> new long[2]);
            sent[0] += sentDatagrams[i];
            sent[1] += sentBytes[i];
        }
        return bySource;
    }

    @Override
    public void close() {
        for (DatagramChannel socket : sockets) {
            try {
                socket.close();
            }
            catch (IOException ex) {
                // closing anyway
            }
        }
    }

    /**
     * The sources of a range in CIDR notation (an IPv4 or IPv6 prefix of at most 65,536 addresses), without its
     * first and last address.
     */
    public static List<InetAddress> hostsOf(String cidr) {
        int slash = cidr.indexOf('/');
        try {
            byte[] base = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
            int prefix = Integer.parseInt(cidr.substring(slash + 1));
            int hostBits = base.length * 8 - prefix;
            if (hostBits < 2 || hostBits > 16) {
                throw new IllegalArgumentException(cidr + ": give a range of 4 to 65,536 addresses");
            }
            List<InetAddress> hosts = new ArrayList<>();
            for (int host = 1; host < (1 << hostBits) - 1; host++) {
                byte[] address = base.clone();
                int value = host;
                for (int i = address.length - 1; i >= 0 && value != 0; i--) {
                    address[i] = (byte) (address[i] | (value & 0xff));
                    value >>>= 8;
                }
                hosts.add(InetAddress.getByAddress(address));
            }
            return hosts;
        }
        catch (IOException | RuntimeException ex) {
            throw new IllegalArgumentException("'" + cidr + "' is not a range such as 198.18.5.128/25: " + ex, ex);
        }
    }

    /** One sending thread and its share of the sockets: every threads-th, from its index. */
    private final class Sender implements Runnable {

        final Thread thread;

        private final int index;

        private final int threads;

        private final long start;

        private final long end;

        private final InitialPackets packets;

        private final InitialPackets.Kind[] wheel;

        long sent;

        long bytes;

        long errors;

        final long[] byKind = new long[3];

        Throwable failure;

        Sender(int index, int threads, long start, long end) {
            this.index = index;
            this.threads = threads;
            this.start = start;
            this.end = end;
            this.packets = new InitialPackets(System.nanoTime() + index, settings.alpn());
            this.wheel = wheel(settings.mix());
            this.thread = new Thread(this, "initial-flood-" + index);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            byte[] datagram = new byte[InitialPackets.MAX_GARBAGE];
            ByteBuffer out = ByteBuffer.allocateDirect(InitialPackets.MAX_GARBAGE);
            double perThread = settings.rate() / threads;
            long most = settings.maxDatagrams() / threads + (index < settings.maxDatagrams() % threads ? 1 : 0);
            int socket = index;
            try {
                for (long n = 0; n < most; n++) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        break;
                    }
                    if (perThread > 0) {
                        long due = start + (long) (n * 1e9 / perThread);
                        if (due > now + 1_000_000) {
                            LockSupport.parkNanos(due - now);
                        }
                    }
                    InitialPackets.Kind kind = wheel[(int) (n % wheel.length)];
                    int length = packets.write(kind, n * threads + index, datagram);
                    out.clear();
                    out.put(datagram, 0, length).flip();
                    try {
                        sockets.get(socket).write(out);
                        sent++;
                        bytes += length;
                        byKind[kind.ordinal()]++;
                        sentDatagrams[socket]++;
                        sentBytes[socket] += length;
                    }
                    catch (IOException ex) {
                        // a full buffer or an ICMP error from an earlier datagram: counted, the flood goes on
                        errors++;
                    }
                    socket += threads;
                    if (socket >= sockets.size()) {
                        socket = index;
                    }
                }
            }
            catch (GeneralSecurityException | RuntimeException ex) {
                failure = ex;
            }
        }

        /** The kinds in the mix's proportions, interleaved: 1:1:1 sends them in turn. */
        private static InitialPackets.Kind[] wheel(int[] mix) {
            int total = mix[0] + mix[1] + mix[2];
            InitialPackets.Kind[] wheel = new InitialPackets.Kind[total];
            int[] placed = new int[3];
            for (int i = 0; i < total; i++) {
                int best = 0;
                double bestLag = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < 3; k++) {
                    double lag = (double) (i + 1) * mix[k] / total - placed[k];
                    if (mix[k] > 0 && lag > bestLag) {
                        best = k;
                        bestLag = lag;
                    }
                }
                placed[best]++;
                wheel[i] = InitialPackets.Kind.values()[best];
            }
            return wheel;
        }
    }
}
