package io.quicxdp.datapath.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The seam a transport drives queues through, on a real veth pair: a thread of the test's own drives both
 * queues, handlers keep frames and another thread reads and releases them, and closing the datapath while
 * frames are kept leaves them readable until released.
 */
class QueueDriverTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    private Thread driving;

    private volatile boolean stop;

    /** Turns the driving thread has taken. */
    private final java.util.concurrent.atomic.AtomicLong turns = new java.util.concurrent.atomic.AtomicLong();

    @BeforeEach
    void open() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
        datapath = XdpDatapath.open(List.of(fixture.config()), driven());
    }

    private static DatapathSettings driven() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(512).completionRingSize(256).rxRingSize(256)
                .txRingSize(256).pollThreads(false).neighbourTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void close() throws Exception {
        stop = true;
        if (driving != null) {
            driving.join(5000);
        }
        datapath.close();
        fixture.close();
    }

    /** Drives every queue from one thread, as an event loop would, until {@link #stop}. */
    private void drive(List<QueueDriver> queues) {
        CountDownLatch attached = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        driving = new Thread(() -> {
            try (QueueWaiter waiter = new QueueWaiter(queues)) {
                queues.forEach(queue -> queue.attach(waiter::wakeup));
                attached.countDown();
                while (!stop) {
                    turns.incrementAndGet();
                    int received = 0;
                    boolean backlog = false;
                    for (QueueDriver queue : queues) {
                        received += queue.poll(64);
                        backlog |= queue.hasBacklog();
                    }
                    if (received == 0) {
                        waiter.await(TimeUnit.MILLISECONDS.toNanos(backlog ? 1 : 50));
                    }
                }
                queues.forEach(QueueDriver::detach);
            }
            catch (Throwable ex) {
                failure.set(ex);
            }
        }, "test-driver-" + fixture.net().id());
        driving.start();
        try {
            assertThat(attached.await(5, TimeUnit.SECONDS)).isTrue();
        }
        catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    void framesKeptByHandlersAreReadAndReleasedOnAnotherThread() throws Exception {
        List<QueueDriver> queues = datapath.queues();
        BlockingQueue<Kept> kept = keepEveryFrame(queues);
        drive(queues);
        int sent = 0;
        for (int source = 0; source < 8; source++) {
            sent += send("kept " + source, 25);
        }
        // another thread reads each payload in place after its handler returned, then gives the frame back
        for (int i = 0; i < sent; i++) {
            Kept frame = kept.poll(5, TimeUnit.SECONDS);
            assertThat(frame).as("datagram " + i).isNotNull();
            assertThat(frame.text()).startsWith("kept ");
            frame.queue.release(frame.frame);
        }
        Await.until(() -> datapath.state().sockets().stream().allMatch(s -> s.receiveFrames().held() == 0
                && s.receiveFrames().free() == 0), "every frame back with the kernel");
        assertThat(datapath.state().sockets()).allSatisfy(socket -> {
            assertThat(socket.receiveFrames().balanced()).isTrue();
            assertThat(socket.receiveFrames().withKernel()).isEqualTo(socket.receiveFrames().receiveFrames());
        });
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::rxPackets).sum()).isEqualTo(sent);
    }

    @Test
    void closingWithFramesKeptEmptiesTheSlotsAndKeepsThePayloadsReadableUntilReleased() throws Exception {
        List<QueueDriver> queues = datapath.queues();
        BlockingQueue<Kept> kept = keepEveryFrame(queues);
        drive(queues);
        int sent = send("still here", 10);
        Await.until(() -> kept.size() == sent, "all kept");
        stop = true;
        driving.join(5000);
        datapath.close();
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
        for (Kept frame : kept) {
            assertThat(frame.text()).as("readable after close").isEqualTo("still here");
            frame.queue.release(frame.frame);
        }
        assertThat(datapath.state().sockets()).allSatisfy(socket -> assertThat(socket.receiveFrames()).isNull());
    }

    @Test
    void aDrivingThreadThatOutlivesTheDatapathSleepsInsteadOfSpinningOnClosedDescriptors() throws Exception {
        List<QueueDriver> queues = datapath.queues();
        drive(queues);
        datapath.close();
        Await.until(() -> queues.stream().allMatch(QueueDriver::isClosed), "the queues let go");
        Thread.sleep(100);
        long before = turns.get();
        Thread.sleep(500);
        // the thread waits 50 ms a turn: about ten turns, where polling closed descriptors would take millions
        assertThat(turns.get() - before).as("turns in half a second").isLessThan(100);
    }

    @Test
    void queuesForADriverOpenNoWakeUpDescriptorOfTheirOwn() throws Exception {
        datapath.close();
        long before = eventFds();
        datapath = XdpDatapath.open(List.of(fixture.config()), driven());
        // the driver's waiter is the one eventfd its thread sleeps on; the queues add none that nobody polls
        assertThat(eventFds()).as("eventfds after opening two queues for a driver").isEqualTo(before);
    }

    private static long eventFds() throws IOException {
        try (Stream<java.nio.file.Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("anon_inode:[eventfd]");
                }
                catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void bindingOnAQueueThatIsNotTheDatapathsIsRefused() {
        QueueDriver foreign = (QueueDriver) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { QueueDriver.class }, (proxy, method, args) -> method.getName().equals("toString")
                        ? "a queue of another datapath" : null);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> datapath.bind(new InetSocketAddress(PORT), datagram -> { }, foreign))
                .withMessage("a queue of another datapath is not a queue of this datapath");
    }

    @Test
    void theSeamRefusesWhatWouldBreakItsThreading() {
        QueueDriver queue = datapath.queues().get(0);
        assertThatIllegalStateException().isThrownBy(queue::retain).withMessageContaining("while it handles");
        assertThatIllegalStateException().isThrownBy(() -> queue.poll(1)).withMessageContaining("is driven by");
        queue.attach(() -> { });
        assertThatIllegalStateException().isThrownBy(() -> queue.attach(() -> { }))
                .withMessageContaining("is driven by");
        queue.detach();
        datapath.close();
        try (XdpDatapath ownThreads = XdpDatapath.open(List.of(fixture.config()), DatapathSettings.builder()
                .frameCount(64).fillRingSize(64).completionRingSize(32).rxRingSize(32).txRingSize(32).build())) {
            assertThatIllegalStateException().isThrownBy(ownThreads::queues).withMessageContaining("pollThreads(false)");
        }
    }

    /** Binds the port on every queue with handlers that keep each datagram's frame and queue it here. */
    private BlockingQueue<Kept> keepEveryFrame(List<QueueDriver> queues) {
        BlockingQueue<Kept> kept = new LinkedBlockingQueue<>();
        for (QueueDriver queue : queues) {
            datapath.bind(new InetSocketAddress(PORT), datagram -> {
                ByteBuffer payload = datagram.payload();
                kept.add(new Kept(queue, queue.retain(), payload.position(), payload.remaining()));
            }, queue);
        }
        return kept;
    }

    private int send(String text, int count) throws Exception {
        return fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                for (int i = 0; i < count; i++) {
                    channel.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)),
                            new InetSocketAddress(fixture.net().appIpv4(), PORT));
                }
            }
            return count;
        });
    }

    /** A frame a handler kept: where its payload lies in its queue's UMEM. */
    private record Kept(QueueDriver queue, long frame, int offset, int length) {

        String text() {
            ByteBuffer view = queue.frames().duplicate();
            view.clear().position(offset).limit(offset + length);
            return StandardCharsets.US_ASCII.decode(view).toString();
        }
    }
}
