package io.quicxdp.datapath.config;

/** How a socket's thread waits for packets. */
public enum PollMode {

    /** Sleep in {@code poll(2)} while the RX ring is empty: no CPU while idle, a wake-up's latency. */
    SLEEP,

    /** Spin on the RX ring: the lowest latency, one core per socket busy all the time. */
    BUSY
}
