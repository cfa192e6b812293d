package io.quicxdp.microbench;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads made as Netty makes its event loops' threads: {@code FastThreadLocalThread}s, on
 * which Netty recycles its per-write objects (on a plain thread it allocates them afresh). Chosen with
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=io.quicxdp.microbench.EventLoopThreads}.
 */
public final class EventLoopThreads extends ThreadPoolExecutor {

    /** The constructor JMH calls: {@code threads} workers named after {@code prefix}. */
    public EventLoopThreads(int threads, String prefix) {
        super(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
