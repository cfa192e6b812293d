package io.quicxdp.netty;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.driver.QueueDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the event loops of an XDP datapath opened without poll threads: one loop per queue id, owning that
 * queue of every configured interface, so that each queue is polled by exactly one thread and a datagram
 * stays on the thread that received it.
 *
 * <p>Use it with exactly {@link #loops()} loops, {@link #newGroup()} does: the group's loops take the
 * queue ids in order, and a handler asked for beyond them fails. With the datapath's poll mode
 * {@code BUSY} the loops never sleep: they spin on their rings between tasks.
 */
public final class XdpIoHandlerFactory implements IoHandlerFactory {

    /** Frames a loop takes off one queue per turn before it turns to its tasks. */
    private static final int BUDGET = 64;

    private final XdpDatapath datapath;

    private final List<List<QueueDriver>> loops;

    /** Whether the loops spin instead of sleeping ({@code PollMode.BUSY}): lowest latency, a busy core each. */
    private final boolean busy;

    private final AtomicInteger next = new AtomicInteger();

    private XdpIoHandlerFactory(XdpDatapath datapath, List<List<QueueDriver>> loops, boolean busy) {
        this.datapath = datapath;
        this.loops = loops;
        this.busy = busy;
    }

    /**
     * A factory for the queues of {@code datapath}.
     *
     * @throws IllegalStateException when the datapath runs its own poll threads
     */
    public static XdpIoHandlerFactory of(XdpDatapath datapath) {
        Map<Integer, List<QueueDriver>> byQueue = new TreeMap<>();
        for (QueueDriver queue : datapath.queues()) {
            byQueue.computeIfAbsent(queue.queueId(), id -> new ArrayList<>()).add(queue);
        }
        return new XdpIoHandlerFactory(datapath, List.copyOf(byQueue.values()),
                datapath.settings().pollMode() == PollMode.BUSY);
    }

    /** The number of event loops the queues need: one per queue id. */
    public int loops() {
        return loops.size();
    }

    /**
     * A group of {@link #loops()} event loops on the queues, each started at once so that its queues are
     * polled before any channel registers (endpoints bound with {@code DatagramHandler}s are served by the
     * loops too). Shut it down before closing the datapath.
     */
    public MultiThreadIoEventLoopGroup newGroup() {
        return start(new MultiThreadIoEventLoopGroup(loops(), this));
    }

    /** Like {@link #newGroup()}, with the loops' threads made by {@code threads}. */
    public MultiThreadIoEventLoopGroup newGroup(ThreadFactory threads) {
        return start(new MultiThreadIoEventLoopGroup(loops(), threads, this));
    }

    private static MultiThreadIoEventLoopGroup start(MultiThreadIoEventLoopGroup group) {
        // a loop's thread starts with its first task: without one, nothing would poll its queues
        group.forEach(loop -> loop.execute(() -> { }));
        return group;
    }

    @Override
    public IoHandler newHandler(ThreadAwareExecutor executor) {
        int index = next.getAndIncrement();
        if (index >= loops.size()) {
            throw new IllegalStateException("the XDP queues serve " + loops.size() + " event loops; make the group "
                    + "with loops() threads");
        }
        return new XdpIoHandler(datapath, loops.get(index), executor, BUDGET, busy);
    }
}
