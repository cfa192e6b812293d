package io.quicxdp.datapath.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.DatagramBatch;
import io.quicxdp.datapath.UdpEndpoint;
import io.quicxdp.datapath.UdpPeer;
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
 * frames are kept leaves them readable until released. TX frames lent for payloads written in place: sent from
 * there by the queue that lent them, copied by another, given back unsent from any thread, refused beyond three
 * quarters of them, and readable after close until given back.
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

    @Test
    void aPayloadWrittenIntoALentTxFrameLeavesFromItAndOneInAnotherQueuesFrameIsCopied() throws Exception {
        List<QueueDriver> queues = datapath.queues();
        List<UdpEndpoint> endpoints = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger inPlace = new java.util.concurrent.atomic.AtomicInteger();
        for (QueueDriver queue : queues) {
            QueueDriver other = queues.get(1 - queues.indexOf(queue));
            endpoints.add(datapath.bind(new InetSocketAddress(PORT), datagram -> {
                UdpPeer peer = new UdpPeer();
                datagram.copySourceTo(peer);
                String text = StandardCharsets.US_ASCII.decode(datagram.payload()).toString();
                UdpEndpoint endpoint = endpoints.get(queues.indexOf(queue));
                // from a frame of the queue that received, whose socket answers the peer: sent from the frame
                InFrame own = InFrame.write(queue, "own " + text);
                assertThat(endpoint.send(peer, own, 0)).isEqualTo(1);
                if (own.sent) {
                    inPlace.incrementAndGet();
                }
                // from a frame of the other queue: copied, and the frame stays the writer's to give back
                InFrame foreign = InFrame.write(other, "foreign " + text);
                assertThat(endpoint.send(peer, foreign, 0)).isEqualTo(1);
                assertThat(foreign.sent).isFalse();
                other.returnTxFrame(foreign.frame);
            }, queue));
        }
        drive(queues);
        List<String> replies = fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(fixture.net().peerIpv4(), 0));
                channel.socket().setSoTimeout(5000);
                List<String> texts = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    channel.send(ByteBuffer.wrap(("ask " + i).getBytes(StandardCharsets.US_ASCII)),
                            new InetSocketAddress(fixture.net().appIpv4(), PORT));
                    for (int reply = 0; reply < 2; reply++) {
                        java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
                        channel.socket().receive(in);
                        texts.add(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
                    }
                }
                return texts;
            }
        });
        for (int i = 0; i < 8; i++) {
            assertThat(replies).contains("own ask " + i, "foreign ask " + i);
        }
        assertThat(inPlace.get()).isEqualTo(8);
        Await.until(() -> datapath.state().sockets().stream().allMatch(s -> s.transmitFrames().free()
                == s.transmitFrames().transmitFrames()), "every TX frame free again");
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::txInPlace).sum()).isEqualTo(8);
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::txFrameCopies).sum()).isEqualTo(8);
        assertThat(datapath.state().sockets()).allSatisfy(socket -> {
            assertThat(socket.transmitFrames().balanced()).isTrue();
            assertThat(socket.transmitFrames().held()).isZero();
        });
    }

    @Test
    void lentTxFramesAreHeldUntilGivenBackRefusedBeyondThreeQuartersAndReadableAfterCloseUntilBack() throws Exception {
        QueueDriver queue = datapath.queues().get(0);
        int total = datapath.state().sockets().get(0).transmitFrames().transmitFrames();
        List<Long> lent = new java.util.ArrayList<>();
        for (long frame = queue.lendTxFrame(); frame >= 0; frame = queue.lendTxFrame()) {
            lent.add(frame);
        }
        assertThat(lent).as("all TX frames but the quarter kept for copies, each once").hasSize(total - total / 4)
                .doesNotHaveDuplicates();
        SocketState socket = datapath.state().sockets().get(0);
        assertThat(socket.transmitFrames().held()).isEqualTo(lent.size());
        assertThat(socket.transmitFrames().free()).isEqualTo(total / 4);
        assertThat(socket.transmitFrames().balanced()).isTrue();
        assertThat(socket.txLendRefused()).as("the one asked for beyond them").isEqualTo(1);
        // given back from another thread than the one that borrowed them
        Thread giver = new Thread(() -> lent.subList(1, lent.size()).forEach(queue::returnTxFrame));
        giver.start();
        giver.join(5000);
        assertThat(datapath.state().sockets().get(0).transmitFrames().held()).isEqualTo(1);
        // one still held across close keeps its memory readable until it is given back
        long held = lent.get(0);
        ByteBuffer memory = queue.txFrameMemory();
        memory.put((int) held + queue.txHeadroom(), (byte) 42);
        datapath.close();
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(queue.lendTxFrame()).as("nothing lent after close").isEqualTo(-1);
        assertThat(memory.get((int) held + queue.txHeadroom())).isEqualTo((byte) 42);
        queue.returnTxFrame(held);
        assertThat(datapath.state().sockets().get(0).transmitFrames().held()).isZero();
    }

    /** One payload written into a TX frame lent by {@code lender}, at its headroom, offered to the datapath in place. */
    private static final class InFrame extends DatagramBatch {

        final QueueDriver lender;

        final long frame;

        final int length;

        boolean sent;

        private InFrame(QueueDriver lender, long frame, int length) {
            this.lender = lender;
            this.frame = frame;
            this.length = length;
        }

        static InFrame write(QueueDriver lender, String text) {
            long frame = lender.lendTxFrame();
            assertThat(frame).as("a free TX frame").isNotNegative();
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            lender.txFrameMemory().put((int) frame + lender.txHeadroom(), bytes);
            return new InFrame(lender, frame, bytes.length);
        }

        @Override
        public int count() {
            return 1;
        }

        @Override
        public int length(int index) {
            return length;
        }

        @Override
        public void copyTo(int index, ByteBuffer target) {
            target.put(target.position(), lender.txFrameMemory(), (int) frame + lender.txHeadroom(), length);
            target.position(target.limit());
        }

        @Override
        public QueueDriver lender(int index) {
            return lender;
        }

        @Override
        public long inPlace(int index) {
            return frame + lender.txHeadroom();
        }

        @Override
        protected void sentInPlace(int index) {
            sent = true;
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
