package io.quicxdp.autoconfigure.faults;

import java.util.ArrayDeque;
import java.util.Deque;

/** What a test made, closed last first when it ends, whatever happened; the first failure is thrown. */
final class MadeResources implements AutoCloseable {

    private final Deque<AutoCloseable> made = new ArrayDeque<>();

    /** Keeps {@code resource} to close; returns it. */
    <T extends AutoCloseable> T add(T resource) {
        this.made.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        while (!this.made.isEmpty()) {
            try {
                this.made.pop().close();
            }
            catch (Exception ex) {
                failure = (failure != null) ? failure : ex;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
