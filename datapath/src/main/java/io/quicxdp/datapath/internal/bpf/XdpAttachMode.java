package io.quicxdp.datapath.internal.bpf;

/** Where an XDP program runs on an interface: the {@code XDP_FLAGS_*_MODE} flags of a BPF link. */
public enum XdpAttachMode {
    /** The driver's native XDP if it has one, generic XDP otherwise. */
    DEFAULT(0),
    /** Generic (skb) XDP, after the stack has built a socket buffer; works on any interface. */
    GENERIC(1 << 1),
    /** Native XDP in the driver; fails when the driver has none. */
    NATIVE(1 << 2);

    private final int flags;

    XdpAttachMode(int flags) {
        this.flags = flags;
    }

    int flags() {
        return flags;
    }
}
