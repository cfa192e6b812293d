package io.quicxdp.datapath;

import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.internal.queue.Queue;
import java.nio.ByteBuffer;

/**
 * One queue as the driver seam offers it: each turn of the driving thread is a turn of the engine's
 * {@link Queue}, whose frames go to the queue's {@link QueueDemux}. The datapath's own poll threads drive the
 * queues through this seam too.
 */
final class DrivenQueue implements QueueDriver {

    final Queue queue;

    private final QueueDemux demux;

    DrivenQueue(Queue queue, QueueDemux demux) {
        this.queue = queue;
        this.demux = demux;
    }

    @Override
    public String interfaceName() {
        return queue.interfaceName();
    }

    @Override
    public int queueId() {
        return queue.queueId();
    }

    @Override
    public int descriptor() {
        return queue.socket().fd();
    }

    @Override
    public void attach(Runnable wakeup) {
        queue.attach(wakeup);
    }

    @Override
    public int poll(int budget) {
        return queue.poll(budget, demux);
    }

    @Override
    public boolean hasBacklog() {
        return queue.hasBacklog();
    }

    @Override
    public boolean handKickToPoll() {
        return queue.handKickToPoll();
    }

    @Override
    public long retain() {
        return queue.retain();
    }

    @Override
    public void release(long frame) {
        queue.release(frame);
    }

    @Override
    public long lendTxFrame() {
        return queue.transmitter().lend();
    }

    @Override
    public void returnTxFrame(long frame) {
        queue.transmitter().returnLent(frame);
    }

    @Override
    public ByteBuffer txFrameMemory() {
        return queue.transmitter().frames();
    }

    @Override
    public int txHeadroom() {
        return queue.transmitter().lentPayloadOffset();
    }

    @Override
    public ByteBuffer frames() {
        return queue.frames();
    }

    @Override
    public int frameSize() {
        return queue.socket().parameters().frameSize();
    }

    @Override
    public int receiveFrames() {
        return queue.socket().parameters().rxFrames();
    }

    @Override
    public boolean isClosed() {
        return queue.isClosed();
    }

    @Override
    public void detach() {
        queue.detach();
    }

    @Override
    public String toString() {
        return interfaceName() + " queue " + queueId();
    }
}
