package io.quicxdp.bench.load;

import io.quicxdp.datapath.testing.PeerCapture;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a server sent back to a flood's sources, read on the wire by a {@link PeerCapture}: UDP payload bytes per
 * destination address, and per flood datagram whose Source Connection ID the answer carries as its Destination
 * Connection ID ({@link InitialPackets#sequenceOf}); and what kind of packets they were.
 *
 * <p>Two measures of QUIC's anti-amplification limit (RFC 9000, section 8.1: before it has validated a client's
 * address, a server sends at most three times the bytes it received from it) come out of it:
 * <ul>
 * <li>per source: bytes the server sent to an address over the bytes the flood sent from it. A datagram dropped on
 * the way (a full ring, a starved fill ring) counts as sent but the server never received it, so under overload this
 * understates the server's own ratio;
 * <li>per answered datagram: bytes sent to the Source Connection ID of one 1200-byte flood datagram over those 1200
 * bytes. A server answers only what it received, so this one holds under loss: it can only overstate (when the
 * server received more from that address than the one datagram).
 * </ul>
 * The capture's thread writes, and the figures are read once it is closed; the methods are synchronized for that
 * hand-over.
 */
public final class AmplificationMeter implements PeerCapture.Listener {

    /** RFC 9000's factor. */
    public static final double LIMIT = 3.0;

    private final Map<InetAddress, long[]> byDestination = new HashMap<>();

    private final Map<Long, long[]> bySequence = new HashMap<>();

    /** Datagrams by kind: Initial, 0-RTT, Handshake, Retry (long header types 0 to 3), short header, version negotiation, empty. */
    private final long[] kinds = new long[7];

    private static final String[] KIND_NAMES = { "initial", "zero_rtt", "handshake", "retry", "short",
        "version_negotiation", "empty" };

    private long datagrams;

    private long bytes;

    @Override
    public synchronized void datagram(ByteBuffer frame, int destination, int addressLength, int payload,
            int payloadLength) {
        byte[] address = new byte[addressLength];
        frame.get(destination, address);
        long[] counts;
        try {
            counts = byDestination.computeIfAbsent(InetAddress.getByAddress(address), (key) -> new long[2]);
        }
        catch (UnknownHostException ex) {
            throw new IllegalStateException(ex);
        }
        counts[0]++;
        counts[1] += payloadLength;
        datagrams++;
        bytes += payloadLength;
        if (payloadLength == 0) {
            kinds[6]++;
            return;
        }
        int first = frame.get(payload) & 0xff;
        int idOffset;
        int idLength;
        if ((first & 0x80) != 0) {
            if (payloadLength < 7) {
                kinds[4]++;
                return;
            }
            kinds[frame.getInt(payload + 1) == 0 ? 5 : (first >>> 4) & 0x03]++;
            idLength = frame.get(payload + 5) & 0xff;
            idOffset = payload + 6;
        }
        else {
            kinds[4]++;
            idLength = InitialPackets.SCID_LENGTH;
            idOffset = payload + 1;
        }
        if (idOffset + idLength > payload + payloadLength) {
            return;
        }
        byte[] id = new byte[idLength];
        frame.get(idOffset, id);
        long sequence = InitialPackets.sequenceOf(id, 0, idLength);
        if (sequence >= 0) {
            long[] answer = bySequence.computeIfAbsent(sequence, (key) -> new long[2]);
            answer[0]++;
            answer[1] += payloadLength;
        }
    }

    /**
     * The figures against what the flood sent.
     *
     * @param sentBySource per source address, {datagrams, UDP payload bytes} the flood sent
     * @return one line per measure, as the flood generator prints them
     */
    public synchronized List<String> report(Map<InetAddress, long[]> sentBySource) {
        List<String> lines = new ArrayList<>();
        StringBuilder replies = new StringBuilder(String.format(Locale.ROOT, "replies datagrams=%d bytes=%d",
                datagrams, bytes));
        for (int i = 0; i < kinds.length; i++) {
            replies.append(' ').append(KIND_NAMES[i]).append('=').append(kinds[i]);
        }
        lines.add(replies.toString());
        lines.add(distribution("amplification_sources", sourceRatios(sentBySource)));
        List<Double> initials = new ArrayList<>();
        for (long[] answer : bySequence.values()) {
            initials.add((double) answer[1] / InitialPackets.INITIAL_SIZE);
        }
        lines.add(distribution("amplification_datagrams", initials));
        return lines;
    }

    /** Per source that sent anything: bytes the server sent to it over the bytes it sent. */
    public synchronized List<Double> sourceRatios(Map<InetAddress, long[]> sentBySource) {
        List<Double> ratios = new ArrayList<>();
        for (Map.Entry<InetAddress, long[]> source : sentBySource.entrySet()) {
            if (source.getValue()[1] > 0) {
                long[] back = byDestination.get(source.getKey());
                ratios.add(back == null ? 0.0 : (double) back[1] / source.getValue()[1]);
            }
        }
        return ratios;
    }

    /** The most bytes the server sent in answer to one flood datagram, over its 1200 bytes; 0 if none was answered. */
    public synchronized double maxDatagramRatio() {
        long most = 0;
        for (long[] answer : bySequence.values()) {
            most = Math.max(most, answer[1]);
        }
        return (double) most / InitialPackets.INITIAL_SIZE;
    }

    /** Flood datagrams the server answered. */
    public synchronized int answered() {
        return bySequence.size();
    }

    /** Datagrams seen of a kind: {@code initial}, {@code handshake}, {@code retry}, {@code version_negotiation}... */
    public synchronized long datagramsOf(String kind) {
        for (int i = 0; i < KIND_NAMES.length; i++) {
            if (KIND_NAMES[i].equals(kind)) {
                return kinds[i];
            }
        }
        throw new IllegalArgumentException("no kind " + kind);
    }

    private static String distribution(String name, List<Double> ratios) {
        List<Double> sorted = new ArrayList<>(ratios);
        Collections.sort(sorted);
        long over = sorted.stream().filter((ratio) -> ratio > LIMIT).count();
        long answered = sorted.stream().filter((ratio) -> ratio > 0).count();
        return String.format(Locale.ROOT, "%s count=%d answered=%d p50=%.3f p99=%.3f max=%.3f over_3=%d", name,
                sorted.size(), answered, quantile(sorted, 0.5), quantile(sorted, 0.99),
                sorted.isEmpty() ? 0.0 : sorted.get(sorted.size() - 1), over);
    }

    private static double quantile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }
}
