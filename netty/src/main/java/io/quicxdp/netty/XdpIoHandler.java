package io.quicxdp.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.driver.QueueWaiter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The I/O of one event loop: the datapath queues it owns. Each {@link #run} polls every queue once (its
 * handlers, that is its channels, run inside), tells the channels the turn is over, and, when the loop
 * has no task due, sleeps in one {@code poll(2)} on the queues' sockets and an eventfd until a queue
 * receives, another thread wakes it, or the next scheduled task is due. In busy mode it never sleeps. That
 * {@code poll(2)} is also what wakes the kernel for the datagrams the turn and its channels left on the TX
 * rings: a loop that does not sleep makes it with a zero timeout.
 */
final class XdpIoHandler implements IoHandler {

    private static final InternalLogger LOG = InternalLoggerFactory.getInstance(XdpIoHandler.class);

    /** How long a loop whose channels' writes wait for TX frames sleeps: completions free them without a wake-up. */
    private static final long WRITES_WAITING_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final XdpDatapath datapath;

    private final List<QueueDriver> queues;

    private final ThreadAwareExecutor executor;

    private final int budget;

    private final boolean busy;

    private final List<Registration> registrations = new ArrayList<>();

    /** Set by a channel during a turn when its writes wait for TX frames: the loop then sleeps briefly. */
    private boolean writesWaiting;

    /** Made on the loop thread, which owns it; {@code null} until then. */
    private volatile QueueWaiter waiter;

    XdpIoHandler(XdpDatapath datapath, List<QueueDriver> queues, ThreadAwareExecutor executor, int budget,
            boolean busy) {
        this.datapath = datapath;
        this.queues = List.copyOf(queues);
        this.executor = executor;
        this.budget = budget;
        this.busy = busy;
    }

    /** Tells the loop that a channel's writes wait for TX frames, which completions free without a wake-up. */
    void writesWaiting() {
        writesWaiting = true;
    }

    /** The datapath whose queues this loop drives, where the loop's channels bind. */
    XdpDatapath datapath() {
        return datapath;
    }

    /** The queues this loop drives. */
    List<QueueDriver> queues() {
        return queues;
    }

    @Override
    public void initialize() {
        try {
            QueueWaiter created = new QueueWaiter(queues);
            waiter = created;
            queues.forEach(queue -> queue.attach(created::wakeup));
            TxFrames.attach(queues.get(0));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("cannot make the event loop's wake-up descriptor", ex);
        }
    }

    @Override
    public int run(IoHandlerContext context) {
        int received = 0;
        for (int i = 0; i < queues.size(); i++) {
            received += queues.get(i).poll(budget);
        }
        writesWaiting = false;
        // backwards: a channel that closes while handling the event leaves the list at once
        for (int i = registrations.size() - 1; i >= 0; i--) {
            Registration registration = registrations.get(i);
            registration.handle.handle(registration, XdpIoEvent.TURN_COMPLETE);
        }
        // the wait also wakes the kernel for what the turn and its channels' writes left on the TX rings, so a
        // loop that does not sleep (it received, has tasks due, or spins) still makes it, without sleeping
        long timeout = 0;
        if (received == 0 && !busy && context.canBlock()) {
            // until the next scheduled task, or Netty's purge interval when none is: never 0, which would spin
            timeout = context.delayNanos(System.nanoTime());
            if (writesWaiting) {
                timeout = Math.min(timeout, WRITES_WAITING_SLEEP_NANOS);
            }
        }
        try {
            waiter.await(timeout);
        }
        catch (IOException ex) {
            LOG.warn("poll on the XDP queues {} failed; trying again", queues, ex);
        }
        if (received == 0 && busy) {
            Thread.onSpinWait();
        }
        return received;
    }

    @Override
    public void prepareToDestroy() {
        for (Registration registration : new ArrayList<>(registrations)) {
            registration.handle.close();
        }
    }

    @Override
    public void destroy() {
        // a loop shut down with no quiet period can end without prepareToDestroy: its channels must not stay bound
        prepareToDestroy();
        TxFrames.detach();
        queues.forEach(QueueDriver::detach);
        QueueWaiter created = waiter;
        if (created != null) {
            created.close();
        }
    }

    @Override
    public IoRegistration register(IoHandle handle) {
        Registration registration = new Registration((XdpIoHandle) handle);
        registrations.add(registration);
        handle.registered();
        return registration;
    }

    @Override
    public void wakeup() {
        QueueWaiter created = waiter;
        if (created != null && !executor.isExecutorThread(Thread.currentThread())) {
            created.wakeup();
        }
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return XdpIoHandle.class.isAssignableFrom(handleType);
    }

    /** A channel on this loop; its attachment is the handler, through which the channel reaches the queues. */
    private final class Registration implements IoRegistration {

        private final XdpIoHandle handle;

        private final AtomicBoolean valid = new AtomicBoolean(true);

        Registration(XdpIoHandle handle) {
            this.handle = handle;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T attachment() {
            return (T) XdpIoHandler.this;
        }

        @Override
        public long submit(IoOps ops) {
            throw new UnsupportedOperationException("XDP channels submit no I/O operations");
        }

        @Override
        public boolean isValid() {
            return valid.get();
        }

        @Override
        public boolean cancel() {
            if (!valid.compareAndSet(true, false)) {
                return false;
            }
            if (executor.isExecutorThread(Thread.currentThread())) {
                remove();
            }
            else {
                executor.execute(this::remove);
            }
            return true;
        }

        private void remove() {
            registrations.remove(this);
            handle.unregistered();
        }

        @Override
        public String toString() {
            return "XdpIoRegistration[" + handle + "]";
        }
    }
}
