package io.quicxdp.datapath.config;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * How each AF_XDP socket of a datapath is built and run. Immutable; start from {@link #defaults()} or
 * {@link #builder()}.
 *
 * <p>Each socket has its own UMEM of {@code frameCount * frameSize} bytes, which counts against the
 * locked-memory limit: with the defaults, 4 MiB per queue.
 */
public final class DatapathSettings {

    /** The largest UMEM of one socket: frames are addressed by {@code int} offsets into one buffer. */
    public static final long MAX_UMEM_BYTES = 1L << 30;

    private final int frameCount;
    private final int frameSize;
    private final int fillRingSize;
    private final int completionRingSize;
    private final int rxRingSize;
    private final int txRingSize;
    private final BindMode bindMode;
    private final boolean needWakeup;
    private final PollMode pollMode;
    private final Duration pollTimeout;
    private final int rxBatchSize;
    private final boolean portReservation;
    private final Duration txDrainTimeout;
    private final Duration queueReleaseTimeout;
    private final Duration neighbourTimeout;
    private final ThreadFactory pollThreadFactory;
    private final Duration routeMaxAge;
    private final boolean pollThreads;
    private final UdpChecksumPolicy udpChecksumPolicy;
    private final boolean txChecksumOffload;
    private final TxPath txPath;

    private DatapathSettings(Builder builder) {
        this.frameCount = builder.frameCount;
        this.frameSize = builder.frameSize;
        this.fillRingSize = builder.fillRingSize;
        this.completionRingSize = builder.completionRingSize;
        this.rxRingSize = builder.rxRingSize;
        this.txRingSize = builder.txRingSize;
        this.bindMode = builder.bindMode;
        this.needWakeup = builder.needWakeup;
        this.pollMode = builder.pollMode;
        this.pollTimeout = builder.pollTimeout;
        this.rxBatchSize = builder.rxBatchSize;
        this.portReservation = builder.portReservation;
        this.txDrainTimeout = builder.txDrainTimeout;
        this.queueReleaseTimeout = builder.queueReleaseTimeout;
        this.neighbourTimeout = builder.neighbourTimeout;
        this.pollThreadFactory = builder.pollThreadFactory;
        this.routeMaxAge = builder.routeMaxAge;
        this.pollThreads = builder.pollThreads;
        this.udpChecksumPolicy = builder.udpChecksumPolicy;
        this.txChecksumOffload = builder.txChecksumOffload;
        this.txPath = builder.txPath;
    }

    /**
     * The defaults: 2048 frames of 2048 bytes, a 2048-entry fill ring and 1024-entry others, auto bind mode,
     * need_wakeup, sleeping poll, partial UDP checksums of local senders accepted.
     */
    public static DatapathSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder().frameCount(frameCount).frameSize(frameSize).fillRingSize(fillRingSize)
                .completionRingSize(completionRingSize).rxRingSize(rxRingSize).txRingSize(txRingSize)
                .bindMode(bindMode).needWakeup(needWakeup).pollMode(pollMode).pollTimeout(pollTimeout)
                .rxBatchSize(rxBatchSize).portReservation(portReservation).txDrainTimeout(txDrainTimeout)
                .queueReleaseTimeout(queueReleaseTimeout).neighbourTimeout(neighbourTimeout)
                .pollThreadFactory(pollThreadFactory).routeMaxAge(routeMaxAge).pollThreads(pollThreads)
                .udpChecksumPolicy(udpChecksumPolicy).txChecksumOffload(txChecksumOffload).txPath(txPath);
    }

    public int frameCount() {
        return frameCount;
    }

    public int frameSize() {
        return frameSize;
    }

    public int fillRingSize() {
        return fillRingSize;
    }

    public int completionRingSize() {
        return completionRingSize;
    }

    public int rxRingSize() {
        return rxRingSize;
    }

    public int txRingSize() {
        return txRingSize;
    }

    public BindMode bindMode() {
        return bindMode;
    }

    public boolean needWakeup() {
        return needWakeup;
    }

    public PollMode pollMode() {
        return pollMode;
    }

    public Duration pollTimeout() {
        return pollTimeout;
    }

    public int rxBatchSize() {
        return rxBatchSize;
    }

    public boolean portReservation() {
        return portReservation;
    }

    public Duration txDrainTimeout() {
        return txDrainTimeout;
    }

    public Duration queueReleaseTimeout() {
        return queueReleaseTimeout;
    }

    public Duration neighbourTimeout() {
        return neighbourTimeout;
    }

    /** Makes the poll threads, or {@code null} for the datapath's own daemon threads. */
    public ThreadFactory pollThreadFactory() {
        return pollThreadFactory;
    }

    /**
     * Whether each queue has its own poll thread; without, each queue is driven by the caller through the seam
     * of {@code io.quicxdp.datapath.driver}.
     */
    public boolean pollThreads() {
        return pollThreads;
    }

    /** The longest a peer's route is used before it is looked up again. */
    public Duration routeMaxAge() {
        return routeMaxAge;
    }

    /** Which received UDP checksums are accepted. */
    public UdpChecksumPolicy udpChecksumPolicy() {
        return udpChecksumPolicy;
    }

    /**
     * Whether sent UDP checksums are left to the kernel and the device through AF_XDP TX metadata where they take
     * them (copy mode on Linux 6.8 and later); else, and when false, the datapath computes them.
     */
    public boolean txChecksumOffload() {
        return txChecksumOffload;
    }

    /** How batches of datagrams leave: through the AF_XDP socket, or the kernel's UDP GSO. */
    public TxPath txPath() {
        return txPath;
    }

    /** The bytes of memory one socket's UMEM pins, which count against {@code RLIMIT_MEMLOCK}. */
    public long umemBytes() {
        return (long) frameCount * frameSize;
    }

    @Override
    public String toString() {
        return "DatapathSettings[frames=" + frameCount + "x" + frameSize + ", rings fill/completion/rx/tx="
                + fillRingSize + "/" + completionRingSize + "/" + rxRingSize + "/" + txRingSize + ", bindMode="
                + bindMode + ", needWakeup=" + needWakeup + ", pollMode=" + pollMode + ", portReservation="
                + portReservation + ", udpChecksumPolicy=" + udpChecksumPolicy + ", txChecksumOffload=" + txChecksumOffload
                + ", txPath=" + txPath + "]";
    }

    /** Builds {@link DatapathSettings}; {@link #build()} rejects values the kernel would refuse. */
    public static final class Builder {

        private int frameCount = 2048;
        private int frameSize = 2048;
        private int fillRingSize = 2048;
        private int completionRingSize = 1024;
        private int rxRingSize = 1024;
        private int txRingSize = 1024;
        private BindMode bindMode = BindMode.AUTO;
        private boolean needWakeup = true;
        private PollMode pollMode = PollMode.SLEEP;
        private Duration pollTimeout = Duration.ofMillis(100);
        private int rxBatchSize = 64;
        private boolean portReservation = true;
        private Duration txDrainTimeout = Duration.ofSeconds(1);
        private Duration queueReleaseTimeout = Duration.ofSeconds(2);
        private Duration neighbourTimeout = Duration.ofSeconds(1);
        private ThreadFactory pollThreadFactory;
        private Duration routeMaxAge = Duration.ofSeconds(30);
        private boolean pollThreads = true;
        private UdpChecksumPolicy udpChecksumPolicy = UdpChecksumPolicy.ACCEPT_PARTIAL;
        private boolean txChecksumOffload = true;
        private TxPath txPath = TxPath.XDP;

        private Builder() {
        }

        /** UMEM frames per socket, half for receiving and half for sending. */
        public Builder frameCount(int frameCount) {
            this.frameCount = frameCount;
            return this;
        }

        /** Bytes per UMEM frame: 2048 or 4096. A frame holds one packet, headers included. */
        public Builder frameSize(int frameSize) {
            this.frameSize = frameSize;
            return this;
        }

        /**
         * Entries in the fill ring. Receiving uses as many frames as it holds, at most half the UMEM; at
         * twice the receive frames (the default) giving frames back never waits for the kernel.
         */
        public Builder fillRingSize(int fillRingSize) {
            this.fillRingSize = fillRingSize;
            return this;
        }

        public Builder completionRingSize(int completionRingSize) {
            this.completionRingSize = completionRingSize;
            return this;
        }

        public Builder rxRingSize(int rxRingSize) {
            this.rxRingSize = rxRingSize;
            return this;
        }

        public Builder txRingSize(int txRingSize) {
            this.txRingSize = txRingSize;
            return this;
        }

        public Builder bindMode(BindMode bindMode) {
            this.bindMode = Objects.requireNonNull(bindMode, "bindMode");
            return this;
        }

        /** Whether the kernel may ask for wake-up calls (fewer system calls) instead of being kicked always. */
        public Builder needWakeup(boolean needWakeup) {
            this.needWakeup = needWakeup;
            return this;
        }

        public Builder pollMode(PollMode pollMode) {
            this.pollMode = Objects.requireNonNull(pollMode, "pollMode");
            return this;
        }

        /** The longest a sleeping poll waits before looking at its stop flag and completions again. */
        public Builder pollTimeout(Duration pollTimeout) {
            this.pollTimeout = Objects.requireNonNull(pollTimeout, "pollTimeout");
            return this;
        }

        /** The most received frames handled before the fill ring is refilled. */
        public Builder rxBatchSize(int rxBatchSize) {
            this.rxBatchSize = rxBatchSize;
            return this;
        }

        /** Whether each bound UDP port is also held in the kernel by an ordinary socket that is never read. */
        public Builder portReservation(boolean portReservation) {
            this.portReservation = portReservation;
            return this;
        }

        /** How long close waits for frames already on the TX ring to be sent. */
        public Builder txDrainTimeout(Duration txDrainTimeout) {
            this.txDrainTimeout = Objects.requireNonNull(txDrainTimeout, "txDrainTimeout");
            return this;
        }

        /** How long open retries a queue that is still held by a socket closed just before. */
        public Builder queueReleaseTimeout(Duration queueReleaseTimeout) {
            this.queueReleaseTimeout = Objects.requireNonNull(queueReleaseTimeout, "queueReleaseTimeout");
            return this;
        }

        /** How long sending to a new peer waits for the kernel to resolve the next hop's MAC address. */
        public Builder neighbourTimeout(Duration neighbourTimeout) {
            this.neighbourTimeout = Objects.requireNonNull(neighbourTimeout, "neighbourTimeout");
            return this;
        }

        /**
         * Makes the poll threads, one per queue, for example to set their priority or CPU affinity; {@code null}
         * (the default) gives daemon threads named {@code quic-xdp-INTERFACE-qQUEUE}. A factory that
         * throws or returns {@code null} fails start-up.
         */
        public Builder pollThreadFactory(ThreadFactory pollThreadFactory) {
            this.pollThreadFactory = pollThreadFactory;
            return this;
        }

        /**
         * Whether each queue gets its own poll thread (the default). Without, the datapath starts no thread:
         * a transport drives each queue from its own threads through {@code XdpDatapath.queues()}, and
         * nothing is received until it does.
         */
        public Builder pollThreads(boolean pollThreads) {
            this.pollThreads = pollThreads;
            return this;
        }

        /**
         * The longest a peer's route (next hop MAC, socket, source address) is used before it is looked up
         * again, from 100 ms to 1 hour. Changes the kernel announces for a configured interface are picked up
         * at once; the age bounds the rest. The default, 30 s, is the kernel's own base reachable time: as long
         * as it trusts a confirmed neighbour before checking it again.
         */
        public Builder routeMaxAge(Duration routeMaxAge) {
            this.routeMaxAge = Objects.requireNonNull(routeMaxAge, "routeMaxAge");
            return this;
        }

        /**
         * Which received UDP checksums are accepted. The default, {@link UdpChecksumPolicy#ACCEPT_PARTIAL},
         * also accepts the partial checksum a sender on this host leaves with TX checksum offload (over
         * veth), and counts it in the socket state's {@code rxPartialChecksum}.
         */
        public Builder udpChecksumPolicy(UdpChecksumPolicy udpChecksumPolicy) {
            this.udpChecksumPolicy = Objects.requireNonNull(udpChecksumPolicy, "udpChecksumPolicy");
            return this;
        }

        /**
         * Whether sent UDP checksums are left to the kernel and the device (default true): each TX frame then
         * carries AF_XDP TX metadata asking for the checksum ({@code XDP_TXMD_FLAGS_CHECKSUM}) and the datapath
         * writes only the pseudo-header sum. Taken where the kernel has TX metadata (Linux 6.8+) and the socket
         * runs in copy mode, where the kernel finishes the checksum itself for a device that cannot; elsewhere
         * (and when false) the datapath computes every checksum. The socket state says which applies.
         */
        public Builder txChecksumOffload(boolean txChecksumOffload) {
            this.txChecksumOffload = txChecksumOffload;
            return this;
        }

        /**
         * How batches of datagrams to one peer leave (default {@link TxPath#XDP}); single datagrams always go
         * through the AF_XDP socket. {@link TxPath#KERNEL_GSO} sends a batch through a kernel UDP socket on the
         * served port as one {@code UDP_SEGMENT} write, {@link TxPath#AUTO} does so on copy-mode sockets only.
         * It is a send path chosen here, never a fallback: receiving stays on AF_XDP, and start-up fails as ever
         * when AF_XDP does.
         */
        public Builder txPath(TxPath txPath) {
            this.txPath = Objects.requireNonNull(txPath, "txPath");
            return this;
        }

        /**
         * @throws InvalidSettingException naming the first setting the kernel or the datapath would refuse, and
         *     what it must be
         */
        public DatapathSettings build() {
            if (frameSize != 2048 && frameSize != 4096) {
                throw new InvalidSettingException("frameSize", "must be 2048 or 4096, not " + frameSize);
            }
            if (frameCount < 2) {
                throw new InvalidSettingException("frameCount", "must be at least 2, not " + frameCount);
            }
            if ((long) frameCount * frameSize > MAX_UMEM_BYTES) {
                throw new InvalidSettingException("frameCount", frameCount + " of " + frameSize
                        + "-byte frames makes a UMEM over 1 GiB, the most that frame offsets (Java ints) address: "
                        + "at most " + MAX_UMEM_BYTES / frameSize + " frames");
            }
            powerOfTwo("fillRingSize", fillRingSize);
            powerOfTwo("completionRingSize", completionRingSize);
            powerOfTwo("rxRingSize", rxRingSize);
            powerOfTwo("txRingSize", txRingSize);
            if (rxBatchSize < 1) {
                throw new InvalidSettingException("rxBatchSize", "must be at least 1, not " + rxBatchSize);
            }
            if (pollTimeout.isNegative() || pollTimeout.isZero()) {
                throw new InvalidSettingException("pollTimeout", "must be positive, not " + pollTimeout);
            }
            if (pollTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
                // it also bounds how long close waits for a poll thread
                throw new InvalidSettingException("pollTimeout", "must be at most 1 minute, not " + pollTimeout);
            }
            notNegative("txDrainTimeout", txDrainTimeout);
            notNegative("queueReleaseTimeout", queueReleaseTimeout);
            notNegative("neighbourTimeout", neighbourTimeout);
            // a shorter age would look routes up nearly per datagram; a longer one no longer bounds anything
            if (routeMaxAge.compareTo(Duration.ofMillis(100)) < 0 || routeMaxAge.compareTo(Duration.ofHours(1)) > 0) {
                throw new InvalidSettingException("routeMaxAge", "must be from 100 ms to 1 hour, not " + routeMaxAge);
            }
            return new DatapathSettings(this);
        }

        private static void powerOfTwo(String name, int value) {
            if (value < 1 || Integer.bitCount(value) != 1) {
                throw new InvalidSettingException(name, "must be a power of two, not " + value);
            }
        }

        private static void notNegative(String name, Duration value) {
            if (value.isNegative()) {
                throw new InvalidSettingException(name, "must not be negative, not " + value);
            }
        }
    }
}
