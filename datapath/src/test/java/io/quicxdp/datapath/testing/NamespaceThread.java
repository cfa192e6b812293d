package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.internal.linux.Namespaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A thread inside a named network namespace: sockets, AF_XDP sockets, interface lookups and BPF links made on
 * it belong to that namespace, and so do the threads it starts (a datapath's poll threads, an application's
 * event loops).
 */
public final class NamespaceThread implements AutoCloseable {

    private final ExecutorService thread;

    /** A thread that enters {@code /var/run/netns/<namespace>} before its first task. */
    public NamespaceThread(String namespace) {
        this.thread = Executors.newSingleThreadExecutor(task -> new Thread(() -> {
            try {
                Namespaces.enterNetworkNamespace("/var/run/netns/" + namespace);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            task.run();
        }, "netns-" + namespace));
    }

    /** Runs {@code task} on the thread; fails when it does not finish within 30 seconds. */
    public <T> T call(Callable<T> task) throws Exception {
        Future<T> result = thread.submit(task);
        try {
            return result.get(30, TimeUnit.SECONDS);
        }
        catch (ExecutionException ex) {
            if (ex.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw ex;
        }
        catch (TimeoutException ex) {
            result.cancel(true);
            throw ex;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
