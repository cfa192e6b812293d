package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.SocketState;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which queue of the datapath the datagrams from a socket in the peer namespace arrive on. veth hands a packet to
 * the peer's receive queue of the number of the transmit queue the sender's kernel picked for it, and with no XPS
 * configured the kernel picks that by the flow's hash: one source port always lands on the same queue, and about
 * half of the ports on each of two.
 */
public final class QueueProbe {

    private final XdpDatapath datapath;

    private final VethNamespace net;

    private final InetSocketAddress server;

    /** Probes with datagrams to {@code server}, a QUIC port the datapath serves. */
    public QueueProbe(XdpDatapath datapath, VethNamespace net, InetSocketAddress server) {
        this.datapath = datapath;
        this.net = net;
        this.server = server;
    }

    /**
     * The queue that datagrams from {@code socket} arrive on: a version-negotiation probe (a long header with a
     * reserved version, which the server answers and releases) is sent, and the queue whose count moves is the one.
     */
    public int queueOf(DatagramChannel socket) throws Exception {
        long[] before = datapath.state().sockets().stream().mapToLong(SocketState::rxPackets).toArray();
        byte[] probe = new byte[1200];
        probe[0] = (byte) 0xc0;
        probe[1] = probe[2] = probe[3] = probe[4] = 0x0a;
        probe[5] = 8;
        probe[14] = 8;
        net.inPeer(() -> socket.send(ByteBuffer.wrap(probe), server));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            List<SocketState> sockets = datapath.state().sockets();
            for (int i = 0; i < sockets.size(); i++) {
                if (sockets.get(i).rxPackets() > before[i]) {
                    return sockets.get(i).queueId();
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the probe did not arrive");
    }

    /** A new socket of {@code relay} whose datagrams arrive on another queue than {@code queue}. */
    public DatagramChannel upstreamOnAnotherQueue(RebindingRelay relay, int queue) throws Exception {
        for (int attempt = 0; attempt < 32; attempt++) {
            DatagramChannel candidate = relay.newUpstream();
            if (queueOf(candidate) != queue) {
                return candidate;
            }
            candidate.close();
        }
        throw new AssertionError("no port of 32 tried reached another queue than " + queue);
    }
}
