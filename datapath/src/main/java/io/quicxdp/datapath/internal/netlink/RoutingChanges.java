package io.quicxdp.datapath.internal.netlink;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.FileDescriptor;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A counter of the kernel's changes to the neighbours and routes of some interfaces, so that whoever keeps
 * a route can tell with one read whether it may have gone stale: remember {@link #generation()} with the
 * route, and look the route up again once the generation has moved on.
 *
 * <p>A {@code NETLINK_ROUTE} socket joins the neighbour, IPv4 route, IPv6 route and next-hop groups, and a
 * daemon thread reads what the kernel announces there. The generation moves on when a neighbour on a
 * watched interface gets a new MAC, a route or next hop through a watched interface is added, changed or
 * removed, or announcements were lost because the socket's buffer overflowed ({@code ENOBUFS}): then
 * anything may have changed. {@link ChangeFilter} has the details. Announcements are usually read within a
 * millisecond of the change.
 *
 * <p>The announcements come from the network namespace of the thread that opened the socket.
 */
public final class RoutingChanges implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RoutingChanges.class.getName());

    /** How often the thread looks at its stop flag while nothing is announced. */
    private static final long RECEIVE_TIMEOUT_MILLIS = 100;

    private static final int RECEIVE_BUFFER_SIZE = 32 * 1024;

    private static final int[] GROUPS = {Netlink.RTNLGRP_NEIGH, Netlink.RTNLGRP_IPV4_ROUTE,
        Netlink.RTNLGRP_IPV6_ROUTE, Netlink.RTNLGRP_NEXTHOP};

    private final FileDescriptor fd;

    private final ByteBuffer buffer = DirectBuffers.allocate(RECEIVE_BUFFER_SIZE);

    private final ChangeFilter filter = new ChangeFilter();

    private final AtomicLong generation = new AtomicLong();

    private final Thread thread;

    private volatile boolean running = true;

    private RoutingChanges(int fd, String threadName) {
        this.fd = new FileDescriptor(fd, "route netlink listener");
        this.thread = new Thread(this::listen, threadName);
        this.thread.setDaemon(true);
    }

    /**
     * Joins the groups in the calling thread's network namespace and starts the thread, named
     * {@code threadName}. Until {@link #watch} is called, changes on every interface count.
     */
    public static RoutingChanges open(String threadName) throws NativeIoException {
        int fd = Sockets.open(Sockets.AF_NETLINK, Sockets.SOCK_RAW, Netlink.NETLINK_ROUTE, "AF_NETLINK NETLINK_ROUTE");
        try {
            Sockets.setTimeout(fd, Sockets.SO_RCVTIMEO, Duration.ofMillis(RECEIVE_TIMEOUT_MILLIS));
            // struct sockaddr_nl with port id 0: the kernel assigns one; broadcasts skip a socket that has none
            ByteBuffer address = DirectBuffers.allocate(12);
            address.putShort(0, (short) Sockets.AF_NETLINK);
            Sockets.bind(fd, address, 12, "AF_NETLINK");
            for (int group : GROUPS) {
                Sockets.setOption(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_ADD_MEMBERSHIP, group,
                        "NETLINK_ADD_MEMBERSHIP " + group);
            }
        }
        catch (NativeIoException | RuntimeException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
        RoutingChanges changes = new RoutingChanges(fd, threadName);
        changes.thread.start();
        return changes;
    }

    /** Counts only changes on the interfaces with these indexes from now on. */
    public void watch(int... interfaceIndexes) {
        filter.watch(interfaceIndexes);
    }

    /** How many times the routes may have changed since the socket was opened: compare, never subtract. */
    public long generation() {
        return generation.get();
    }

    /** Stops the thread, which closes the socket as it leaves; waits up to a second for it. Idempotent. */
    @Override
    public void close() {
        running = false;
        if (thread != Thread.currentThread()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(1));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void listen() {
        try {
            while (running) {
                long received = Sockets.receive(fd.intValue(), buffer);
                if (received >= 0) {
                    if (filter.changed(buffer, (int) received)) {
                        generation.incrementAndGet();
                    }
                }
                else if (received == -Errno.ENOBUFS) {
                    // the kernel dropped announcements it had no room for: any route may have changed
                    filter.forget();
                    generation.incrementAndGet();
                }
                else if (received != -Errno.EAGAIN && received != -Errno.EINTR) {
                    LOG.log(Level.WARNING, "Reading route and neighbour changes failed: " + Errno.name((int) -received)
                            + "; routes are looked up again as if they had changed");
                    generation.incrementAndGet();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RECEIVE_TIMEOUT_MILLIS));
                }
            }
        }
        finally {
            fd.close();
        }
    }
}
