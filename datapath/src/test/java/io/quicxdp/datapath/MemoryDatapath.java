package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.queue.Queue;
import io.quicxdp.datapath.internal.xsk.MemoryKernel;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import java.util.List;
import java.util.Map;

/**
 * A datapath of one queue whose kernel half is a {@link MemoryKernel}: the production {@link XdpDatapath},
 * queue, endpoint table and routes, without an XSKMAP, an AF_XDP socket or a poll thread. The caller drives the
 * queue, as an event loop does ({@link DatapathSettings#pollThreads()} must be false), for benchmarks that
 * measure the datapath's and the transport's own work per datagram. The routes open their two netlink sockets
 * as usual but watch no interface; peers learn their routes from received frames.
 */
public final class MemoryDatapath implements AutoCloseable {

    private final MemoryKernel kernel;

    private final XdpDatapath datapath;

    private MemoryDatapath(MemoryKernel kernel, XdpDatapath datapath) {
        this.kernel = kernel;
        this.datapath = datapath;
    }

    /**
     * Opens queue 0 of an interface named {@code interfaceName} with MAC {@code interfaceMac} and MTU {@code mtu}.
     *
     * @throws NativeIoException when the memory or the netlink sockets cannot be made
     */
    public static MemoryDatapath open(DatapathSettings settings, String interfaceName, long interfaceMac, int mtu)
            throws NativeIoException {
        if (settings.pollThreads()) {
            throw new IllegalArgumentException("a memory datapath is driven by its caller: set pollThreads(false)");
        }
        MemoryKernel kernel = MemoryKernel.open(XskParameters.of(settings), 0);
        Queue queue = new Queue(interfaceName, 0, kernel.socket(), interfaceMac, mtu, settings.udpChecksumPolicy(),
                settings.txPath(), null);
        RouteNetlinkSocket netlink = null;
        PeerRoutes routes = null;
        try {
            netlink = RouteNetlinkSocket.open();
            routes = PeerRoutes.open(netlink, settings, Map.of());
            return new MemoryDatapath(kernel, new XdpDatapath(List.of(), settings, netlink, null, List.of(),
                    List.of(queue), routes));
        }
        catch (NativeIoException | RuntimeException ex) {
            if (routes != null) {
                routes.close();
            }
            if (netlink != null) {
                netlink.close();
            }
            queue.close();
            throw ex;
        }
    }

    /** The datapath, to bind on and to make a transport's event loops with. */
    public XdpDatapath datapath() {
        return datapath;
    }

    /** The queue, to drive. */
    public QueueDriver queue() {
        return datapath.queues().get(0);
    }

    /** The kernel's half of the queue's rings. */
    public MemoryKernel kernel() {
        return kernel;
    }

    /** Whether every receive frame is on the fill ring, on the RX ring, held or free, each exactly once. */
    public boolean framesBalanced() {
        return kernel.socket().frameAccounting().balanced();
    }

    /** Closes the queue (freeing its memory once its driver let go) and the routes. */
    @Override
    public void close() {
        datapath.close();
    }
}
