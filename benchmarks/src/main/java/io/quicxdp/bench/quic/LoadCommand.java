package io.quicxdp.bench.quic;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One load command as {@link QuicLoadMain} reads it: the kind, the server and the window, and the two sizes
 * that kind takes ({@code second} is 0 for kinds with one).
 */
final class LoadCommand {

    /** The longest window accepted: keeps a typo from running for a day. */
    static final int MAX_SECONDS = 3600;

    /** The most connections, streams or cycles in flight accepted. */
    static final int MAX_PARALLEL = 100_000;

    /** The highest offered rate accepted, in requests per second. */
    static final int MAX_RATE = 10_000_000;

    /** The highest paced download rate accepted, in MB per second. */
    static final int MAX_MEGABYTES = 10_000;

    /** The kinds of load. */
    enum Kind {
        /** A new connection per request, {@code first} cycles in flight. */
        HANDSHAKES("handshakes HOST PORT SECONDS CONCURRENCY"),
        /** {@code first} connections, each with {@code second} requests in flight. */
        REQUESTS("requests HOST PORT SECONDS CONNECTIONS STREAMS"),
        /** One connection, {@code first} streams downloading the bulk file back to back. */
        BULK("bulk HOST PORT SECONDS STREAMS"),
        /** {@code second} requests per second over {@code first} connections. */
        LATENCY("latency HOST PORT SECONDS CONNECTIONS RATE"),
        /** One connection, one stream downloading the bulk file back to back, read at {@code first} MB/s. */
        PACED("paced HOST PORT SECONDS MBPS");

        final String usage;

        Kind(String usage) {
            this.usage = usage;
        }

        int sizes() {
            return this == REQUESTS || this == LATENCY ? 2 : 1;
        }
    }

    final Kind kind;

    final InetSocketAddress server;

    final int seconds;

    final int first;

    final int second;

    private LoadCommand(Kind kind, InetSocketAddress server, int seconds, int first, int second) {
        this.kind = kind;
        this.server = server;
        this.seconds = seconds;
        this.first = first;
        this.second = second;
    }

    /** Parses one command line; the exception's message says what is wrong and the usage. */
    static LoadCommand parse(String line) {
        String[] words = line.trim().split("\\s+");
        Kind kind = switch (words[0]) {
            case "handshakes" -> Kind.HANDSHAKES;
            case "requests" -> Kind.REQUESTS;
            case "bulk" -> Kind.BULK;
            case "latency" -> Kind.LATENCY;
            case "paced" -> Kind.PACED;
            default -> throw new IllegalArgumentException("unknown command '" + words[0]
                    + "', expected handshakes, requests, bulk, latency, paced or quit");
        };
        if (words.length != 4 + kind.sizes()) {
            throw new IllegalArgumentException("expected: " + kind.usage);
        }
        byte[] address = NetUtil.createByteArrayFromIpAddressString(words[1]);
        if (address == null) {
            throw new IllegalArgumentException("HOST '" + words[1] + "' is not an IPv4 or IPv6 literal; "
                    + kind.usage);
        }
        int port = number(words[2], "PORT", 1, 65535, kind);
        int seconds = number(words[3], "SECONDS", 1, MAX_SECONDS, kind);
        String[] names = kind.usage.split(" ");
        int first = number(words[4], names[4], 1, kind == Kind.PACED ? MAX_MEGABYTES : MAX_PARALLEL, kind);
        int second = kind.sizes() == 1 ? 0
                : number(words[5], names[5], 1, kind == Kind.LATENCY ? MAX_RATE : MAX_PARALLEL, kind);
        InetAddress host;
        try {
            host = InetAddress.getByAddress(address);
        }
        catch (java.net.UnknownHostException ex) {
            throw new IllegalArgumentException("HOST '" + words[1] + "': " + ex.getMessage());
        }
        return new LoadCommand(kind, new InetSocketAddress(host, port), seconds, first, second);
    }

    private static int number(String word, String name, int min, int max, Kind kind) {
        int value;
        try {
            value = Integer.parseInt(word);
        }
        catch (NumberFormatException ex) {
            throw new IllegalArgumentException(name + " '" + word + "' is not a number; " + kind.usage);
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " " + value + " is outside " + min + ".." + max);
        }
        return value;
    }
}
