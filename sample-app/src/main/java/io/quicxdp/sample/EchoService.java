package io.quicxdp.sample;

import io.quicxdp.datapath.DatapathState;
import io.quicxdp.datapath.MapState;
import io.quicxdp.datapath.ReceivedDatagram;
import io.quicxdp.datapath.UdpEndpoint;
import io.quicxdp.datapath.XdpDatapath;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
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

    private final ObjectProvider<XdpDatapath> datapath;

    private final int port;

    private final LongAdder echoed = new LongAdder();

    private final LongAdder backPressure = new LongAdder();

    private volatile @Nullable UdpEndpoint endpoint;

    /**
     * Creates the echo; the datapath is looked up when the echo starts, so that the auto-configuration's own
     * start-up checks (such as {@code quic.xdp.enabled=false} with a map) fail the start first, each with its
     * failure analysis, instead of a missing bean here.
     */
    EchoService(ObjectProvider<XdpDatapath> datapath, int port) {
        this.datapath = datapath;
        this.port = port;
    }

    /**
     * Runs on the poll thread of the queue that received the datagram; replies from the same socket,
     * without copying the payload out of its frame first.
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
        XdpDatapath open = this.datapath.getObject();
        try {
            this.endpoint = open.bind(this.port, this::echo);
        }
        catch (IllegalStateException ex) {
            throw new EchoPortUnavailableException(this.port, ex);
        }
        DatapathState state = open.state();
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
