package io.quicxdp.bench.quic;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Quiche's connection statistics summed over a server's QUIC connections, the closed ones included (their
 * figures at close), so that the difference of two snapshots covers what happened in between; and the
 * smoothed round-trip time of the connections open now.
 */
public final class QuicStats {

    private final Set<QuicChannel> open = ConcurrentHashMap.newKeySet();

    private final LongAdder closedSent = new LongAdder();

    private final LongAdder closedReceived = new LongAdder();

    private final LongAdder closedLost = new LongAdder();

    private final LongAdder closedRetransmitted = new LongAdder();

    /** Counts {@code connection} from now until it closes, and its last figures after. */
    public void track(QuicChannel connection) {
        open.add(connection);
        connection.closeFuture().addListener(closed -> connection.collectStats().addListener(stats -> {
            open.remove(connection);
            if (stats.isSuccess()) {
                QuicConnectionStats last = (QuicConnectionStats) stats.getNow();
                closedSent.add(last.sent());
                closedReceived.add(last.recv());
                closedLost.add(last.lost());
                closedRetransmitted.add(last.retrans());
            }
        }));
    }

    /**
     * {@code quic.sent}, {@code quic.recv}, {@code quic.lost}, {@code quic.retrans} (QUIC packets, all
     * connections ever tracked), {@code quic.rttNanos} (mean smoothed RTT of the open connections' first path,
     * 0 without one) and {@code quic.connections} (open now). Called off the loops; waits for them.
     */
    public Map<String, Long> snapshot() {
        long sent = closedSent.sum();
        long received = closedReceived.sum();
        long lost = closedLost.sum();
        long retransmitted = closedRetransmitted.sum();
        List<QuicChannel> now = new ArrayList<>(open);
        long rttSum = 0;
        int rtts = 0;
        for (QuicChannel connection : now) {
            Future<QuicConnectionStats> stats = connection.collectStats();
            Future<QuicConnectionPathStats> path = connection.collectPathStats(0);
            if (stats.awaitUninterruptibly(2, TimeUnit.SECONDS) && stats.isSuccess() && open.contains(connection)) {
                QuicConnectionStats s = stats.getNow();
                sent += s.sent();
                received += s.recv();
                lost += s.lost();
                retransmitted += s.retrans();
            }
            if (path.awaitUninterruptibly(2, TimeUnit.SECONDS) && path.isSuccess() && path.getNow().rtt() > 0) {
                rttSum += path.getNow().rtt();
                rtts++;
            }
        }
        return Map.of("quic.sent", sent, "quic.recv", received, "quic.lost", lost, "quic.retrans", retransmitted,
                "quic.rttNanos", rtts == 0 ? 0 : rttSum / rtts, "quic.connections", (long) now.size());
    }
}
