package io.quicxdp.datapath.internal.queue;

/**
 * The thread that drives one queue, as any other thread sees it: which thread it is, how to wake it, and
 * whether the queue still runs. The queue decides all three; its transmitter only reads them.
 */
final class QueueThread {

    /** The driving thread, once one attached; {@code null} before. */
    private volatile Thread thread;

    /** How the driving thread is woken; {@code null} until one attached. */
    private volatile Runnable wakeup;

    /** False once the queue is told to stop: it then handles no more frames and refuses sends. */
    private volatile boolean running = true;

    void attach(Thread driving, Runnable wakeUp) {
        this.wakeup = wakeUp;
        this.thread = driving;
    }

    Thread thread() {
        return thread;
    }

    /** Whether the calling thread drives the queue. */
    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    boolean running() {
        return running;
    }

    /** Makes the driving thread take a turn now: from any thread, cheap when it is awake. */
    void wake() {
        Runnable wakeUp = wakeup;
        if (wakeUp != null) {
            wakeUp.run();
        }
    }

    /** The queue stops: the driving thread is woken to find out at its next turn. */
    void stop() {
        running = false;
        wake();
    }
}
