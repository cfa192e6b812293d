package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a NAT that rebinds does to a client, in the peer namespace: the client talks to the relay, which
 * forwards to the server from one port, and from another after {@link #switchTo} (or after so many answers,
 * {@link #switchAfter}), passing the answers back. The server then sees the same connection arrive from a new
 * address, and the client sees nothing. Stops when closed.
 */
public final class RebindingRelay implements AutoCloseable {

    private volatile InetSocketAddress server;

    private final Selector selector;

    private final DatagramChannel clientFacing;

    private final ConcurrentLinkedQueue<DatagramChannel> switches = new ConcurrentLinkedQueue<>();

    private final Thread thread;

    private final VethNamespace net;

    private volatile DatagramChannel upstream;

    private volatile boolean closed;

    private SocketAddress client;

    /** Answers still to pass back before the switch that {@link #switchAfter} set up; 0 for none. */
    private volatile int answersBeforeSwitch;

    private volatile DatagramChannel switchAfterAnswers;

    private RebindingRelay(VethNamespace net, InetSocketAddress server, Selector selector,
            DatagramChannel clientFacing, DatagramChannel upstream) {
        this.net = net;
        this.server = server;
        this.selector = selector;
        this.clientFacing = clientFacing;
        this.upstream = upstream;
        this.thread = new Thread(this::relay, "rebinding-relay-" + net.id());
    }

    /** A relay in {@code net}'s peer namespace towards {@code server}. */
    public static RebindingRelay start(VethNamespace net, InetSocketAddress server) throws Exception {
        RebindingRelay relay = net.inPeer(() -> {
            Selector selector = Selector.open();
            DatagramChannel clientFacing = open(net);
            DatagramChannel upstream = open(net);
            clientFacing.register(selector, SelectionKey.OP_READ);
            upstream.register(selector, SelectionKey.OP_READ);
            return new RebindingRelay(net, server, selector, clientFacing, upstream);
        });
        relay.thread.start();
        return relay;
    }

    private static DatagramChannel open(VethNamespace net) throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        channel.configureBlocking(false);
        channel.bind(new InetSocketAddress(net.peerIpv4(), 0));
        return channel;
    }

    /** Where the client sends. */
    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) clientFacing.getLocalAddress();
    }

    /** The socket the relay forwards from now. */
    public DatagramChannel upstream() {
        return upstream;
    }

    /** A fresh socket in the peer namespace, to {@link #switchTo} or to discard. */
    public DatagramChannel newUpstream() throws Exception {
        return net.inPeer(() -> open(net));
    }

    /** From now on the client's datagrams leave from {@code next}; answers to either socket still reach it. */
    public void switchTo(DatagramChannel next) {
        switches.add(next);
        selector.wakeup();
    }

    /**
     * From now on the client's datagrams go to {@code next}, as a load balancer that lost track of the client's
     * server would send them; answers from either still reach the client.
     */
    public void redirectTo(InetSocketAddress next) {
        server = next;
    }

    /** From the {@code answers}-th answer the relay passes back on, the client's datagrams leave from {@code next}. */
    public void switchAfter(int answers, DatagramChannel next) {
        switchAfterAnswers = next;
        answersBeforeSwitch = answers;
    }

    /** Forwards on this thread; the sockets were made in the peer namespace, which is all they need. */
    private void relay() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        try {
            while (!closed) {
                for (DatagramChannel next = switches.poll(); next != null; next = switches.poll()) {
                    next.register(selector, SelectionKey.OP_READ);
                    upstream = next;
                }
                selector.select(50);
                for (SelectionKey key : selector.selectedKeys()) {
                    DatagramChannel channel = (DatagramChannel) key.channel();
                    for (SocketAddress from = receive(channel, buffer); from != null; from = receive(channel, buffer)) {
                        if (channel == clientFacing) {
                            client = from;
                            upstream.send(buffer, server);
                        }
                        else if (client != null) {
                            clientFacing.send(buffer, client);
                            int left = answersBeforeSwitch;
                            if (left > 0) {
                                answersBeforeSwitch = left - 1;
                                if (left == 1) {
                                    switches.add(switchAfterAnswers);
                                }
                            }
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        catch (IOException ex) {
            if (!closed) {
                throw new IllegalStateException("the relay failed", ex);
            }
        }
    }

    private static SocketAddress receive(DatagramChannel channel, ByteBuffer buffer) throws IOException {
        buffer.clear();
        SocketAddress from = channel.receive(buffer);
        buffer.flip();
        return from;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
    }
}
