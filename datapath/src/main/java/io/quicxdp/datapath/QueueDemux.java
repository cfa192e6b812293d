package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.queue.FrameSink;
import io.quicxdp.datapath.internal.queue.Queue;
import io.quicxdp.datapath.state.DropReason;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Where one queue's datagrams go: the endpoint bound to each one's destination, whose handler gets it as a
 * {@link ReceivedDatagram}, one instance reused for every datagram of the queue. A handler that throws loses
 * that datagram; the failure is counted and logged at most every 10 s.
 */
final class QueueDemux implements FrameSink {

    private static final System.Logger LOG = System.getLogger(QueueDemux.class.getName());

    private static final long FAILURE_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(10);

    private final Queue queue;

    private final EndpointTable endpoints;

    private final ReceivedDatagram datagram;

    private long lastHandlerFailureLog;

    QueueDemux(Queue queue, EndpointTable endpoints, PeerRoutes routes) {
        this.queue = queue;
        this.endpoints = endpoints;
        this.datagram = new ReceivedDatagram(queue, routes);
    }

    @Override
    public DropReason onFrame(ByteBuffer frames, ParsedUdpFrame frame) {
        Binding binding = endpoints.find(frames, frame, queue);
        if (binding == null) {
            return DropReason.NO_ENDPOINT;
        }
        datagram.set(frame);
        try {
            binding.handler.onDatagram(datagram);
            return null;
        }
        catch (Throwable failure) {
            logHandlerFailure(binding, failure);
            return DropReason.HANDLER_FAILED;
        }
    }

    private void logHandlerFailure(Binding binding, Throwable failure) {
        long now = System.nanoTime();
        if (lastHandlerFailureLog == 0 || now - lastHandlerFailureLog > FAILURE_LOG_INTERVAL) {
            lastHandlerFailureLog = now;
            LOG.log(Level.WARNING, "The handler of " + binding + " failed on " + queue.interfaceName() + " queue "
                    + queue.queueId() + "; the datagram is dropped (further failures are counted, logged at most "
                    + "every 10 s)", failure);
        }
    }
}
