package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.SocketState;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the datapath while the context refreshes, so that a failure fails the application's start, and
 * closes it late in shutdown, so that the beans using it stop first. Logs each map as its sockets go in
 * and come out.
 *
 * <p>Closing runs in the {@link #PHASE} shutdown phase: after the smart-lifecycle beans of the default
 * phase (a QUIC server built on the datapath), after the web server's graceful shutdown has let in-flight
 * requests finish, and after the web server. Plain {@code Lifecycle} beans (phase 0) and beans that only
 * use the datapath in a destroy method come later still: have them stop in a phase above {@link #PHASE}.
 * Close is bounded: the poll threads stop within five poll timeouts and pending sends get
 * {@code quic.xdp.tx-drain-timeout}. A datapath that was stopped cannot start again, as its sockets are
 * gone from the maps, so the context cannot be paused.
 */
public class XdpDatapathLifecycle implements SmartLifecycle {

    /** Below the web server's phases: starts before them and stops after them. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Log logger = LogFactory.getLog(XdpDatapathLifecycle.class);

    private final XdpDatapath datapath;

    /**
     * Manages an open datapath.
     *
     * @param datapath the datapath, open; this lifecycle closes it
     */
    public XdpDatapathLifecycle(XdpDatapath datapath) {
        this.datapath = datapath;
    }

    /**
     * Opens a datapath on {@code maps}, logging each map at INFO, or the failure at ERROR before it is
     * rethrown.
     *
     * @throws XdpDatapathException when a socket cannot be opened or inserted; nothing is left in any map
     */
    static XdpDatapath open(List<XdpMapConfig> maps, DatapathSettings settings) {
        XdpDatapath datapath;
        try {
            datapath = XdpDatapath.open(maps, settings);
        }
        catch (XdpDatapathException ex) {
            logger.error("XDP map mode failed to start" + facts(ex) + ": " + ex.getMessage()
                    + " Nothing was left in any map.");
            throw ex;
        }
        DatapathState state = datapath.state();
        for (MapState map : state.maps()) {
            logger.info("XDP map mode on " + map.interfaceName() + ": queues " + map.keysHeld() + " ("
                    + modes(state, map) + ") inserted into " + xskmap(map) + " (id " + map.mapId() + ", "
                    + map.name() + ")");
        }
        return datapath;
    }

    @Override
    public void start() {
        if (!this.datapath.isOpen()) {
            throw new IllegalStateException("The XDP datapath was stopped and its sockets left their maps; "
                    + "it cannot start again: restart the application");
        }
    }

    @Override
    public void stop() {
        close();
    }

    @Override
    public boolean isRunning() {
        return this.datapath.isOpen();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public boolean isPauseable() {
        return false;
    }

    private synchronized void close() {
        if (!this.datapath.isOpen()) {
            return;
        }
        DatapathState before = this.datapath.state();
        logger.info("XDP map mode stopping: receiving stops, pending sends drain, sockets close");
        this.datapath.close();
        for (MapState map : before.maps()) {
            logger.info("XDP map mode on " + map.interfaceName() + ": sockets of queues " + map.keysHeld()
                    + " closed; the kernel removed them from the slots of " + xskmap(map) + " (id " + map.mapId()
                    + ") that still held them");
        }
    }

    private static String modes(DatapathState state, MapState map) {
        return state.sockets()
            .stream()
            .filter((socket) -> socket.interfaceName().equals(map.interfaceName()))
            .map(SocketState::bindMode)
            .distinct()
            .collect(Collectors.joining("/")) + " mode";
    }

    /** "XSKMAP /pin", or for a map from a socket "XSKMAP from the quic-xdp agent's socket /path". */
    private static String xskmap(MapState map) {
        return (map.source().kind() == MapSource.Kind.PINNED_MAP) ? "XSKMAP " + map.path()
                : "XSKMAP from " + map.source();
    }

    /** The interface, map, queue and errno of a failure, those that are known. */
    private static String facts(XdpDatapathException ex) {
        StringBuilder facts = new StringBuilder();
        if (ex.interfaceName() != null) {
            facts.append(" on interface ").append(ex.interfaceName());
        }
        if (ex.mapPath() != null) {
            facts.append(", XSKMAP ").append(ex.mapPath());
        }
        if (ex instanceof MapSourceUnavailableException unavailable) {
            facts.append(", socket ").append(unavailable.source().path());
        }
        if (ex.queueId() != null) {
            facts.append(", queue ").append(ex.queueId());
        }
        if (ex.errno() != 0) {
            facts.append(", ").append(ex.errnoName());
        }
        return facts.toString();
    }
}
