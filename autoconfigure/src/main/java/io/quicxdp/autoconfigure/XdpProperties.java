package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration properties of the quic-xdp datapath in XDP map mode.
 *
 * <p>The properties are checked while they are bound, so that a mistake stops start-up with an error naming
 * the property (for example {@code quic.xdp.maps[1].path}) before any socket is opened: the map entries here, the
 * rest by the rules of {@link io.quicxdp.datapath.config.DatapathSettings} they map onto. {@code quic.xdp.netty.*}
 * and {@code quic.xdp.http3.*} have properties classes of their own.
 */
@ConfigurationProperties("quic.xdp")
public class XdpProperties implements Validator {

    /**
     * Whether the XDP datapath is enabled. Unset means enabled when a map is configured; false is
     * rejected while any map is configured.
     */
    private @Nullable Boolean enabled;

    /** The interfaces to serve, each with the pinned XSKMAP its XDP program redirects into. */
    private List<MapProperties> maps = new ArrayList<>();

    /** Whether each bound UDP port is also held in the kernel by an ordinary socket that is never read. */
    private boolean portReservation = true;

    /** How each AF_XDP socket is bound to its queue. */
    private BindMode bindMode = BindMode.AUTO;

    /** Whether the kernel may ask for wake-up calls instead of being woken after every send. */
    private boolean needWakeup = true;

    /**
     * Which received UDP checksums are accepted: strict, only correct ones; accept-partial, also the
     * partial checksum a sender on this host leaves with TX checksum offload on (over veth), counted apart;
     * skip, any.
     */
    private UdpChecksumPolicy udpChecksum = UdpChecksumPolicy.ACCEPT_PARTIAL;

    /**
     * Whether the UDP checksums of sent datagrams are left to the kernel and the device through AF_XDP TX
     * metadata, where they take them (copy mode on Linux 6.8+); false computes every one in the datapath.
     */
    private boolean txChecksumOffload = true;

    /**
     * How batches of datagrams to one peer leave (the QUIC codec's segmented writes): xdp, through the AF_XDP
     * socket; kernel-gso, through a kernel UDP socket on the port as one UDP_SEGMENT write; auto, kernel-gso on
     * copy-mode sockets and xdp on zero-copy ones.
     */
    private TxPath txPath = TxPath.XDP;

    /** The memory each socket receives into and sends from. */
    private final Umem umem = new Umem();

    /** Entries in each socket's rings. */
    private final Rings rings = new Rings();

    /** How each socket's thread waits for packets. */
    private final Poll poll = new Poll();

    /** What the xdp health indicator reports. */
    private final Health health = new Health();

    /** How long shutdown waits for datagrams already queued for sending. */
    private Duration txDrainTimeout = Duration.ofSeconds(1);

    /** How long start-up retries a queue still held by a socket that was closed just before. */
    private Duration queueReleaseTimeout = Duration.ofSeconds(2);

    /** How long sending to a new peer waits for the kernel to resolve the next hop's MAC address. */
    private Duration neighbourTimeout = Duration.ofSeconds(1);

    /** The longest a peer's route (next hop MAC, socket, source address) is used before it is looked up again. */
    private Duration routeMaxAge = Duration.ofSeconds(30);

    public @Nullable Boolean getEnabled() {
        return this.enabled;
    }

    public void setEnabled(@Nullable Boolean enabled) {
        this.enabled = enabled;
    }

    public List<MapProperties> getMaps() {
        return this.maps;
    }

    public void setMaps(List<MapProperties> maps) {
        this.maps = maps;
    }

    public boolean isPortReservation() {
        return this.portReservation;
    }

    public void setPortReservation(boolean portReservation) {
        this.portReservation = portReservation;
    }

    public BindMode getBindMode() {
        return this.bindMode;
    }

    public void setBindMode(BindMode bindMode) {
        this.bindMode = bindMode;
    }

    public boolean isNeedWakeup() {
        return this.needWakeup;
    }

    public void setNeedWakeup(boolean needWakeup) {
        this.needWakeup = needWakeup;
    }

    public UdpChecksumPolicy getUdpChecksum() {
        return this.udpChecksum;
    }

    public void setUdpChecksum(UdpChecksumPolicy udpChecksum) {
        this.udpChecksum = udpChecksum;
    }

    public boolean isTxChecksumOffload() {
        return this.txChecksumOffload;
    }

    public void setTxChecksumOffload(boolean txChecksumOffload) {
        this.txChecksumOffload = txChecksumOffload;
    }

    public TxPath getTxPath() {
        return this.txPath;
    }

    public void setTxPath(TxPath txPath) {
        this.txPath = txPath;
    }

    public Umem getUmem() {
        return this.umem;
    }

    public Rings getRings() {
        return this.rings;
    }

    public Poll getPoll() {
        return this.poll;
    }

    public Health getHealth() {
        return this.health;
    }

    public Duration getTxDrainTimeout() {
        return this.txDrainTimeout;
    }

    public void setTxDrainTimeout(Duration txDrainTimeout) {
        this.txDrainTimeout = txDrainTimeout;
    }

    public Duration getQueueReleaseTimeout() {
        return this.queueReleaseTimeout;
    }

    public void setQueueReleaseTimeout(Duration queueReleaseTimeout) {
        this.queueReleaseTimeout = queueReleaseTimeout;
    }

    public Duration getNeighbourTimeout() {
        return this.neighbourTimeout;
    }

    public void setNeighbourTimeout(Duration neighbourTimeout) {
        this.neighbourTimeout = neighbourTimeout;
    }

    public Duration getRouteMaxAge() {
        return this.routeMaxAge;
    }

    public void setRouteMaxAge(Duration routeMaxAge) {
        this.routeMaxAge = routeMaxAge;
    }

    /**
     * The interfaces that {@code quic.xdp.maps} configures in {@code environment}, in order, read before the
     * properties are bound (by conditions, failure analyzers, or an application that prepares its maps).
     *
     * @return the interface names; empty when no map is configured; one placeholder entry when the maps are
     *     configured but cannot be read, which their binding then reports against the property
     */
    public static List<String> configuredInterfaces(Environment environment) {
        try {
            return Binder.get(environment)
                .bind("quic.xdp.maps", Bindable.listOf(MapProperties.class))
                .map((maps) -> maps.stream().map((map) -> String.valueOf(map.getInterface())).toList())
                .orElse(List.of());
        }
        catch (BindException ex) {
            return List.of("(unreadable: " + ex.getName() + ")");
        }
    }

    @Override
    public boolean supports(Class<?> type) {
        return XdpProperties.class.isAssignableFrom(type);
    }

    /** Checks what can be checked without the kernel, while the properties are bound ({@code XdpPropertiesValidator}). */
    @Override
    public void validate(Object target, Errors errors) {
        XdpPropertiesValidator.validate(this, errors);
    }

    /** One interface in map mode. */
    public static class MapProperties {

        /** The network interface whose XDP program redirects into the map, for example eth0. */
        private @Nullable String interfaceName;

        /**
         * Absolute bpffs path of the pinned XSKMAP, for example /sys/fs/bpf/lb/xsks. Exactly one of path,
         * device-plugin-socket and agent-socket says where the map comes from.
         */
        private @Nullable String path;

        /**
         * The AF_XDP device plugin's unix socket, which hands over the XSKMAP; in a pod the plugin mounts it at
         * /tmp/afxdp_dp/INTERFACE/afxdp.sock. The application inserts its sockets itself.
         */
        private @Nullable String devicePluginSocket;

        /**
         * The quic-xdp agent's unix socket: the agent inserts the application's sockets, which then makes no
         * bpf() call at all.
         */
        private @Nullable String agentSocket;

        /** The receive queues to open a socket on (= keys in the map). Empty means every receive queue. */
        private List<Integer> queues = new ArrayList<>();

        // "interface" is a Java keyword: the property keeps the name, the field cannot
        public @Nullable String getInterface() {
            return this.interfaceName;
        }

        public void setInterface(@Nullable String interfaceName) {
            this.interfaceName = interfaceName;
        }

        public @Nullable String getPath() {
            return this.path;
        }

        public void setPath(@Nullable String path) {
            this.path = path;
        }

        public @Nullable String getDevicePluginSocket() {
            return this.devicePluginSocket;
        }

        public void setDevicePluginSocket(@Nullable String devicePluginSocket) {
            this.devicePluginSocket = devicePluginSocket;
        }

        public @Nullable String getAgentSocket() {
            return this.agentSocket;
        }

        public void setAgentSocket(@Nullable String agentSocket) {
            this.agentSocket = agentSocket;
        }

        public List<Integer> getQueues() {
            return this.queues;
        }

        public void setQueues(List<Integer> queues) {
            this.queues = queues;
        }
    }

    /** The memory each socket receives into and sends from. */
    public static class Umem {

        /** Frames per socket, half for receiving and half for sending; counts against RLIMIT_MEMLOCK. */
        private int frameCount = 2048;

        /** Size of one frame, which holds one packet with its headers: 2KB or 4KB. */
        private DataSize frameSize = DataSize.ofKilobytes(2);

        public int getFrameCount() {
            return this.frameCount;
        }

        public void setFrameCount(int frameCount) {
            this.frameCount = frameCount;
        }

        public DataSize getFrameSize() {
            return this.frameSize;
        }

        public void setFrameSize(DataSize frameSize) {
            this.frameSize = frameSize;
        }
    }

    /** Entries in each socket's rings; each must be a power of two. */
    public static class Rings {

        /**
         * Entries in the fill ring, which hands free frames to the kernel for receiving. Receiving uses as
         * many frames as it holds, at most half the UMEM; at twice that, giving frames back never waits.
         */
        private int fill = 2048;

        /** Entries in the completion ring, which returns sent frames. */
        private int completion = 1024;

        /** Entries in the RX ring. */
        private int rx = 1024;

        /** Entries in the TX ring. */
        private int tx = 1024;

        public int getFill() {
            return this.fill;
        }

        public void setFill(int fill) {
            this.fill = fill;
        }

        public int getCompletion() {
            return this.completion;
        }

        public void setCompletion(int completion) {
            this.completion = completion;
        }

        public int getRx() {
            return this.rx;
        }

        public void setRx(int rx) {
            this.rx = rx;
        }

        public int getTx() {
            return this.tx;
        }

        public void setTx(int tx) {
            this.tx = tx;
        }
    }

    /** How each socket's thread waits for packets. */
    public static class Poll {

        /** Sleep in poll(2) while idle, or spin on the RX ring (lowest latency, one busy core per socket). */
        private PollMode mode = PollMode.SLEEP;

        /** The longest a sleeping poll waits before it looks at completions and its stop flag again. */
        private Duration timeout = Duration.ofMillis(100);

        /** The most received frames handled before the fill ring is refilled. */
        private int batchSize = 64;

        public PollMode getMode() {
            return this.mode;
        }

        public void setMode(PollMode mode) {
            this.mode = mode;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public int getBatchSize() {
            return this.batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }
    }

    /** What the xdp health indicator reports. */
    public static class Health {

        /**
         * How long the kernel must keep finding a queue's fill ring empty (packets dropped for want of a free
         * frame while the queue still receives: its loop does not keep up) before the health says so in a detail.
         * The status stays UP.
         */
        private Duration fillRingStarvedThreshold = Duration.ofSeconds(5);

        public Duration getFillRingStarvedThreshold() {
            return this.fillRingStarvedThreshold;
        }

        public void setFillRingStarvedThreshold(Duration fillRingStarvedThreshold) {
            this.fillRingStarvedThreshold = fillRingStarvedThreshold;
        }
    }
}
