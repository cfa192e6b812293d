package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a NAT that rebinds does to a client, in the client's namespace (a {@link VethNamespace}'s peer, a
 * {@link FleetFixture}'s client): the client talks to the relay, which forwards to the server from one port, and
 * from another after {@link #switchTo} (or after so many answers, {@link #switchAfter}), passing the answers back.
 * The server then sees the same connection arrive from a new address, and the client sees nothing. It can also
 * hold answers back for a while ({@link #holdAnswers}), as a slow path would, and send the client's datagrams
 * elsewhere ({@link #redirectTo}). Stops when closed.
 */
public final class RebindingRelay implements AutoCloseable {

    private volatile InetSocketAddress server;

    private final Selector selector;

    private final DatagramChannel clientFacing;

    private final ConcurrentLinkedQueue<DatagramChannel> switches = new ConcurrentLinkedQueue<>();

    private final Thread thread;

    /** Runs a task in the relay's namespace. */
    private final Namespace namespace;

    /** The address its sockets bind. */
    private final InetAddress local;

    /** Answers held back, to pass on once {@link #releaseAnswers()}; null while answers pass at once. */
    private volatile ConcurrentLinkedQueue<byte[]> held;

    private volatile DatagramChannel upstream;

    private volatile boolean closed;

    private SocketAddress client;

    /** Answers still to pass back before the switch that {@link #switchAfter} set up; 0 for none. */
    private volatile int answersBeforeSwitch;

    private volatile boolean releasing;

    private volatile DatagramChannel switchAfterAnswers;

    private RebindingRelay(String name, Namespace namespace, InetAddress local, InetSocketAddress server,
            Selector selector, DatagramChannel clientFacing, DatagramChannel upstream) {
        this.namespace = namespace;
        this.local = local;
        this.server = server;
        this.selector = selector;
        this.clientFacing = clientFacing;
        this.upstream = upstream;
        this.thread = new Thread(this::relay, "rebinding-relay-" + name);
    }

    /** A relay in {@code net}'s peer namespace towards {@code server}. */
    public static RebindingRelay start(VethNamespace net, InetSocketAddress server) throws Exception {
        return start(net.id(), net::inPeer, net.peerIpv4(), server);
    }

    /** A relay in a {@link FleetFixture}'s client namespace towards {@code server}. */
    public static RebindingRelay start(FleetFixture fleet, InetSocketAddress server) throws Exception {
        return start(fleet.id(), fleet::inClient, fleet.clientIpv4(), server);
    }

    private static RebindingRelay start(String name, Namespace namespace, InetAddress local,
            InetSocketAddress server) throws Exception {
        RebindingRelay relay = namespace.call(() -> {
            Selector selector = Selector.open();
            DatagramChannel clientFacing = open(local);
            DatagramChannel upstream = open(local);
            clientFacing.register(selector, SelectionKey.OP_READ);
            upstream.register(selector, SelectionKey.OP_READ);
            return new RebindingRelay(name, namespace, local, server, selector, clientFacing, upstream);
        });
        relay.thread.start();
        return relay;
    }

    private static DatagramChannel open(InetAddress local) throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        channel.configureBlocking(false);
        channel.bind(new InetSocketAddress(local, 0));
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
        return namespace.call(() -> open(local));
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

    /** From now on answers wait in the relay, as on a slow path, until {@link #releaseAnswers()}. */
    public void holdAnswers() {
        held = new ConcurrentLinkedQueue<>();
    }

    /** Passes the answers held on to the client, in order, and lets the next ones pass at once. */
    public void releaseAnswers() {
        releasing = true;
        selector.wakeup();
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
                if (releasing && held != null) {
                    for (byte[] answer = held.poll(); answer != null; answer = held.poll()) {
                        clientFacing.send(ByteBuffer.wrap(answer), client);
                    }
                    held = null;
                    releasing = false;
                }
                selector.select(50);
                for (SelectionKey key : selector.selectedKeys()) {
                    DatagramChannel channel = (DatagramChannel) key.channel();
                    for (SocketAddress from = receive(channel, buffer); from != null; from = receive(channel, buffer)) {
                        if (channel == clientFacing) {
                            client = from;
                            upstream.send(buffer, server);
                        }
                        else if (client != null && held != null && !releasing) {
                            byte[] answer = new byte[buffer.remaining()];
                            buffer.get(answer);
                            held.add(answer);
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

    /** Runs a task in the relay's namespace, as {@link VethNamespace#inPeer} and {@link FleetFixture#inClient}. */
    private interface Namespace {

        <T> T call(Callable<T> task) throws Exception;
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
