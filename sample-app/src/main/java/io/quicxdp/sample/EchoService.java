package io.quicxdp.sample;

import io.quicxdp.datapath.ReceivedDatagram;
import io.quicxdp.datapath.UdpEndpoint;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.MapState;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * The UDP echo: binds {@code sample.echo.port} on every address of the datapath, so that every socket of
 * every configured queue serves it, and sends each datagram back to where it came from.
 *
 * <p>Starts after the datapath has opened and stops before it closes (the default phase is above
 * {@link io.quicxdp.autoconfigure.XdpDatapathLifecycle#PHASE}).
 */
class EchoService implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(EchoService.class);

    private final XdpDatapath datapath;

    private final int port;

    private final LongAdder echoed = new LongAdder();

    private final LongAdder backPressure = new LongAdder();

    private volatile @Nullable UdpEndpoint endpoint;

    /** Creates the echo, which binds {@code port} when it starts. */
    EchoService(XdpDatapath datapath, int port) {
        this.datapath = datapath;
        this.port = port;
    }

    /**
     * Runs on the thread that polls the queue which received the datagram (with quic-xdp-netty on the class
     * path, as in the sample, one of the xdpEventLoopGroup's loops); replies from the same socket, without
     * copying the payload out of its frame first.
     */
    private void echo(ReceivedDatagram datagram) {
        if (datagram.reply(datagram.payload())) {
            this.echoed.increment();
        }
        else {
            this.backPressure.increment();
        }
    }

    /** Datagrams sent back. */
    long echoed() {
        return this.echoed.sum();
    }

    /** Datagrams not sent back because every TX frame or ring entry was in use. */
    long backPressure() {
        return this.backPressure.sum();
    }

    @Override
    public synchronized void start() {
        if (this.endpoint != null) {
            return;
        }
        try {
            this.endpoint = this.datapath.bind(this.port, this::echo);
        }
        catch (IllegalStateException ex) {
            throw new EchoPortUnavailableException("UDP echo", "sample.echo.port", this.port, ex);
        }
        DatapathState state = this.datapath.state();
        for (MapState map : state.maps()) {
            logger.info("UDP echo on port " + this.port + " (IPv4 and IPv6) on " + map.interfaceName() + " queues "
                    + map.keysHeld() + ", through XSKMAP " + map.path());
        }
    }

    @Override
    public synchronized void stop() {
        UdpEndpoint bound = this.endpoint;
        if (bound != null) {
            bound.close();
            this.endpoint = null;
            logger.info("UDP echo on port " + this.port + " stopped after " + echoed() + " datagrams");
        }
    }

    @Override
    public boolean isRunning() {
        return this.endpoint != null;
    }
}
