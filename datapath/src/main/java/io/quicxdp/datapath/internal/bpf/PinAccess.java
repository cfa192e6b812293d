package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.Bpf;

/**
 * How a pinned object is opened, which the kernel checks against the pin's file permissions and enforces on
 * the descriptor: a read-only map descriptor cannot update the map.
 */
public enum PinAccess {
    READ_WRITE(0),
    READ_ONLY(Bpf.F_RDONLY),
    WRITE_ONLY(Bpf.F_WRONLY);

    private final int fileFlags;

    PinAccess(int fileFlags) {
        this.fileFlags = fileFlags;
    }

    int fileFlags() {
        return fileFlags;
    }
}
