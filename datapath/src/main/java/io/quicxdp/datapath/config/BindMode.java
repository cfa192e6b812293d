package io.quicxdp.datapath.config;

/** How an AF_XDP socket gets packets from the driver. */
public enum BindMode {

    /** Zero-copy where the driver supports it, else copy; the mode in force is recorded after bind. */
    AUTO,

    /** Zero-copy only: binding fails on a driver without AF_XDP zero-copy support. */
    ZERO_COPY,

    /** Copy mode: the kernel copies each frame into the UMEM. Works on every driver. */
    COPY
}
