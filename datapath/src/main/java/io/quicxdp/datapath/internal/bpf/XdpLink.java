package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.FileDescriptor;

/**
 * An XDP program attached to an interface through a BPF link, owning the link's file descriptor. The program
 * stays attached while the descriptor is open (the link is not pinned), and {@link #close()} detaches it; so
 * does the process's exit.
 */
public final class XdpLink implements AutoCloseable {

    private final FileDescriptor fd;

    private final int ifindex;

    XdpLink(int fd, int ifindex) {
        this.fd = new FileDescriptor(fd, "BPF link");
        this.ifindex = ifindex;
    }

    /** The index of the interface the program is attached to. */
    public int ifindex() {
        return ifindex;
    }

    /** The link's file descriptor, valid until {@link #close()}. */
    public int fd() {
        return fd.intValue();
    }

    /** Detaches the program; later calls do nothing. */
    @Override
    public void close() {
        fd.close();
    }
}
