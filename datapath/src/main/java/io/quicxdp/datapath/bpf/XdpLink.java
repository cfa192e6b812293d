package io.quicxdp.datapath.bpf;

import io.quicxdp.datapath.linux.FileDescriptors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An XDP program attached to an interface through a BPF link, owning the link's file descriptor. The program
 * stays attached while the descriptor is open (the link is not pinned), and {@link #close()} detaches it; so
 * does the process's exit.
 */
public final class XdpLink implements AutoCloseable {

    private final int fd;

    private final int ifindex;

    private final AtomicBoolean closed = new AtomicBoolean();

    XdpLink(int fd, int ifindex) {
        this.fd = fd;
        this.ifindex = ifindex;
    }

    /** The index of the interface the program is attached to. */
    public int ifindex() {
        return ifindex;
    }

    /** The link's file descriptor, valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** Detaches the program; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            FileDescriptors.closeQuietly(fd);
        }
    }
}
