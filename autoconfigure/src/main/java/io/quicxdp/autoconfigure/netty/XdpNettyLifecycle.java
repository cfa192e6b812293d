package io.quicxdp.autoconfigure.netty;

import io.netty.channel.EventLoopGroup;
import io.quicxdp.autoconfigure.XdpDatapathLifecycle;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;

/**
 * Stops the Netty side of the datapath in order: the channels bound through {@link XdpChannelBinder}
 * close, then the event loops shut down, and only then, in the next phase down, the datapath closes. It
 * stops after the application's own servers of the default phase.
 */
class XdpNettyLifecycle implements SmartLifecycle {

    /** Just above the datapath's phase: stops right before it. */
    static final int PHASE = XdpDatapathLifecycle.PHASE + 1;

    private final EventLoopGroup loops;

    private final XdpChannelBinder binder;

    XdpNettyLifecycle(EventLoopGroup loops, XdpChannelBinder binder) {
        this.loops = loops;
        this.binder = binder;
    }

    @Override
    public void start() {
        if (this.loops.isShuttingDown()) {
            throw new IllegalStateException("The XDP event loops were shut down; they cannot start again: restart "
                    + "the application");
        }
    }

    @Override
    public void stop() {
        this.binder.closeAll();
        this.loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public boolean isRunning() {
        return !this.loops.isShuttingDown();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public boolean isPauseable() {
        return false;
    }
}
