package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.config.XdpMapConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration properties of the quic-xdp datapath in XDP map mode.
 *
 * <p>The properties validate themselves while they are bound, so that a mistake stops start-up with an
 * error naming the property (for example {@code quic.xdp.maps[1].path}) before any socket is opened.
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

    /** The memory each socket receives into and sends from. */
    private final Umem umem = new Umem();

    /** Entries in each socket's rings. */
    private final Rings rings = new Rings();

    /** How each socket's thread waits for packets. */
    private final Poll poll = new Poll();

    /** The Netty transport, when quic-xdp-netty is on the class path. */
    private final Netty netty = new Netty();

    /** HTTP/3 for a reactive (WebFlux) application, served through the datapath. */
    private final Http3 http3 = new Http3();

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

    public Umem getUmem() {
        return this.umem;
    }

    public Rings getRings() {
        return this.rings;
    }

    public Poll getPoll() {
        return this.poll;
    }

    public Netty getNetty() {
        return this.netty;
    }

    public Http3 getHttp3() {
        return this.http3;
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

    /**
     * The UDP port HTTP/3 serves in {@code environment}: {@code quic.xdp.http3.port}, else the number of
     * {@code server.port}, else 8080; read before the properties are bound as well (by an application that
     * prepares its XDP program's redirects).
     */
    public static int http3Port(Environment environment) {
        Binder binder = Binder.get(environment);
        return binder.bind("quic.xdp.http3.port", Integer.class)
            .orElseGet(() -> binder.bind("server.port", Integer.class).orElse(8080));
    }

    /** The datapath's map configurations, in the order configured. */
    public List<XdpMapConfig> toMapConfigs() {
        return this.maps.stream()
            .map((map) -> new XdpMapConfig(map.getInterface(), map.toSource(), map.getQueues()))
            .toList();
    }

    /** A settings builder holding these properties, for customizers to adjust. */
    public DatapathSettings.Builder toSettingsBuilder() {
        return DatapathSettings.builder()
            .frameCount(this.umem.frameCount)
            .frameSize((int) this.umem.frameSize.toBytes())
            .fillRingSize(this.rings.fill)
            .completionRingSize(this.rings.completion)
            .rxRingSize(this.rings.rx)
            .txRingSize(this.rings.tx)
            .bindMode(this.bindMode)
            .needWakeup(this.needWakeup)
            .pollMode(this.poll.mode)
            .pollTimeout(this.poll.timeout)
            .rxBatchSize(this.poll.batchSize)
            .portReservation(this.portReservation)
            .txDrainTimeout(this.txDrainTimeout)
            .queueReleaseTimeout(this.queueReleaseTimeout)
            .neighbourTimeout(this.neighbourTimeout)
            .routeMaxAge(this.routeMaxAge)
            .udpChecksumPolicy(this.udpChecksum);
    }

    @Override
    public boolean supports(Class<?> type) {
        return XdpProperties.class.isAssignableFrom(type);
    }

    /**
     * Checks what can be checked without the kernel. The limits mirror {@link DatapathSettings.Builder#build()},
     * which stays the final check, so that a mistake here is reported against its property.
     */
    @Override
    public void validate(Object target, Errors errors) {
        if (Boolean.TRUE.equals(this.enabled) && this.maps.isEmpty()) {
            reject(errors, "enabled", "is true, but quic.xdp.maps configures no map: add an entry with the interface "
                    + "and the path of the XSKMAP its XDP program redirects into, or remove quic.xdp.enabled");
        }
        validateMaps(errors);
        if (this.umem.frameSize.toBytes() != 2048 && this.umem.frameSize.toBytes() != 4096) {
            reject(errors, "umem.frameSize", "must be 2KB or 4KB (one page or half a page)");
        }
        if (this.umem.frameCount < 2) {
            reject(errors, "umem.frameCount", "must be at least 2");
        }
        else if ((long) this.umem.frameCount * this.umem.frameSize.toBytes() > DatapathSettings.MAX_UMEM_BYTES) {
            reject(errors, "umem.frameCount", "makes a UMEM over 1GB per socket, the most its frame offsets address: "
                    + "lower it to at most " + DatapathSettings.MAX_UMEM_BYTES / Math.max(1, this.umem.frameSize.toBytes()));
        }
        powerOfTwo(errors, "rings.fill", this.rings.fill);
        powerOfTwo(errors, "rings.completion", this.rings.completion);
        powerOfTwo(errors, "rings.rx", this.rings.rx);
        powerOfTwo(errors, "rings.tx", this.rings.tx);
        if (this.poll.batchSize < 1) {
            reject(errors, "poll.batchSize", "must be at least 1");
        }
        if (this.poll.timeout.isNegative() || this.poll.timeout.isZero()
                || this.poll.timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            reject(errors, "poll.timeout", "must be more than 0 and at most 1m");
        }
        Integer http3Port = this.http3.port;
        if (http3Port != null && (http3Port < 1 || http3Port > 65535)) {
            reject(errors, "http3.port", "must be a UDP port from 1 to 65535, one the XDP program redirects");
        }
        if (this.http3.idleTimeout.isNegative() || this.http3.idleTimeout.isZero()) {
            reject(errors, "http3.idleTimeout", "must be positive");
        }
        if (this.http3.maxStreams < 1) {
            reject(errors, "http3.maxStreams", "must be at least 1");
        }
        notNegative(errors, "txDrainTimeout", this.txDrainTimeout);
        notNegative(errors, "queueReleaseTimeout", this.queueReleaseTimeout);
        notNegative(errors, "neighbourTimeout", this.neighbourTimeout);
        if (this.routeMaxAge.compareTo(Duration.ofMillis(100)) < 0
                || this.routeMaxAge.compareTo(Duration.ofHours(1)) > 0) {
            reject(errors, "routeMaxAge", "must be at least 100ms and at most 1h");
        }
    }

    private static void powerOfTwo(Errors errors, String field, int size) {
        if (size < 1 || Integer.bitCount(size) != 1) {
            reject(errors, field, "must be a power of two, such as 1024");
        }
    }

    private static void notNegative(Errors errors, String field, Duration timeout) {
        if (timeout.isNegative()) {
            reject(errors, field, "must not be negative");
        }
    }

    private void validateMaps(Errors errors) {
        Map<String, Integer> interfaces = new HashMap<>();
        Map<Path, Integer> paths = new HashMap<>();
        Map<Path, Integer> pluginSockets = new HashMap<>();
        for (int i = 0; i < this.maps.size(); i++) {
            MapProperties map = this.maps.get(i);
            String prefix = "maps[" + i + "].";
            String name = map.getInterface();
            if (name == null || name.isBlank()) {
                reject(errors, prefix + "interface", "must name the network interface, for example eth0");
            }
            else {
                Integer first = interfaces.putIfAbsent(name, i);
                if (first != null) {
                    reject(errors, prefix + "interface", "names '" + name + "', which quic.xdp.maps[" + first
                            + "] configures already: configure each interface once");
                }
            }
            validateSource(errors, prefix, map, paths, pluginSockets, i);
            Set<Integer> queues = new HashSet<>();
            for (Integer queue : map.getQueues()) {
                if (queue == null) {
                    reject(errors, prefix + "queues", "must not hold an empty entry");
                }
                else if (queue < 0) {
                    reject(errors, prefix + "queues", "must not hold a negative queue id");
                }
                else if (!queues.add(queue)) {
                    reject(errors, prefix + "queues", "lists queue " + queue + " twice");
                }
            }
        }
    }

    /** Exactly one of path, device-plugin-socket and agent-socket, absolute, and no pin or plugin used twice. */
    private static void validateSource(Errors errors, String prefix, MapProperties map, Map<Path, Integer> paths,
            Map<Path, Integer> pluginSockets, int index) {
        Map<String, String> set = new LinkedHashMap<>();
        putIfSet(set, "path", map.getPath());
        putIfSet(set, "devicePluginSocket", map.getDevicePluginSocket());
        putIfSet(set, "agentSocket", map.getAgentSocket());
        String entry = "quic.xdp." + prefix;
        if (set.isEmpty()) {
            reject(errors, prefix + "path", "is not set, nor " + entry + "device-plugin-socket or " + entry
                    + "agent-socket: set exactly one of them to say where the XSKMAP comes from (path: the pinned map, "
                    + "for example /sys/fs/bpf/xsks; device-plugin-socket: the AF_XDP device plugin's socket, for "
                    + "example " + String.format(MapSource.DEVICE_PLUGIN_SOCKET, "eth0") + "; agent-socket: the "
                    + "quic-xdp agent's socket)");
            return;
        }
        if (set.size() > 1) {
            List<String> names = set.keySet().stream().map((field) -> entry + DataObjectPropertyName.toDashedForm(field))
                .toList();
            String last = set.keySet().stream().reduce((first, second) -> second).orElseThrow();
            reject(errors, prefix + last, "is set together with " + String.join(" and ", names.subList(0, names.size() - 1))
                    + ": set exactly one of path, device-plugin-socket and agent-socket per map, and remove the others");
            return;
        }
        Map.Entry<String, String> only = set.entrySet().iterator().next();
        String field = only.getKey();
        String value = only.getValue();
        if (!value.startsWith("/")) {
            reject(errors, prefix + field, field.equals("path")
                    ? "must be an absolute bpffs path such as /sys/fs/bpf/" + value + ", not a relative one"
                    : "must be an absolute path to a unix socket, not the relative '" + value + "'");
            return;
        }
        if (field.equals("path")) {
            Integer first = paths.putIfAbsent(Path.of(value).normalize(), index);
            if (first != null) {
                reject(errors, prefix + "path", "names the XSKMAP that quic.xdp.maps[" + first
                        + "] uses already: its keys are queue ids, so give each interface an XSKMAP of its own");
            }
        }
        else if (field.equals("devicePluginSocket")) {
            Integer first = pluginSockets.putIfAbsent(Path.of(value).normalize(), index);
            if (first != null) {
                reject(errors, prefix + field, "names the device plugin socket that quic.xdp.maps[" + first
                        + "] uses already: the plugin mounts one socket per interface, each serving one connection");
            }
        }
    }

    private static void putIfSet(Map<String, String> set, String field, @Nullable String value) {
        if (value != null && !value.isBlank()) {
            set.put(field, value);
        }
    }

    /** Rejects {@code field}, with a message that names the property as it is written in configuration. */
    private static void reject(Errors errors, String field, String reason) {
        errors.rejectValue(field, "invalid", "quic.xdp." + DataObjectPropertyName.toDashedForm(field) + " " + reason);
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

        /** Where the map comes from; the properties are validated. */
        MapSource toSource() {
            if (this.devicePluginSocket != null && !this.devicePluginSocket.isBlank()) {
                return MapSource.devicePlugin(Path.of(this.devicePluginSocket));
            }
            if (this.agentSocket != null && !this.agentSocket.isBlank()) {
                return MapSource.agent(Path.of(this.agentSocket));
            }
            return MapSource.pinned(Path.of(String.valueOf(this.path)));
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

    /** The Netty transport: event loops that poll the queues instead of the datapath's own threads. */
    public static class Netty {

        /**
         * Whether Netty event loops drive the queues when quic-xdp-netty is on the class path. Without,
         * the datapath polls with its own threads and no Netty channel can be bound on it.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** HTTP/3 for a reactive (WebFlux) application: its handler served over QUIC through the datapath. */
    public static class Http3 {

        /** Whether to serve the application's reactive HttpHandler over HTTP/3 through the datapath. */
        private boolean enabled;

        /**
         * UDP port of the HTTP/3 server, one the XDP program redirects. Defaults to server.port: the same
         * number as the TCP server, over UDP.
         */
        private @Nullable Integer port;

        /** TLS of the HTTP/3 server. */
        private final Ssl ssl = new Ssl();

        /** Whether responses carry an Alt-Svc header that advertises the HTTP/3 port. */
        private boolean altSvc = true;

        /**
         * Whether a new client's address is validated with a Retry first (a stateless token keyed for this
         * process), at the cost of a round trip per connection.
         */
        private boolean retry;

        /**
         * Whether a returning client may send its first requests in 0-RTT early data. Early data can be
         * replayed by an attacker: turn it on only where the first requests are safe to repeat (GET).
         */
        private boolean earlyData;

        /** How long a connection may stay idle before it is closed. */
        private Duration idleTimeout = Duration.ofSeconds(30);

        /** Bidirectional streams (requests) a client may have open on one connection. */
        private long maxStreams = 100;

        /** Bytes a client may send on one connection before the server grants more. */
        private DataSize maxData = DataSize.ofMegabytes(10);

        /** Bytes a client may send on one stream before the server grants more. */
        private DataSize maxStreamData = DataSize.ofMegabytes(1);

        /** How long shutdown waits for the requests in flight to finish before it closes the connections. */
        private Duration shutdownTimeout = Duration.ofSeconds(5);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public @Nullable Integer getPort() {
            return this.port;
        }

        public void setPort(@Nullable Integer port) {
            this.port = port;
        }

        public Ssl getSsl() {
            return this.ssl;
        }

        public boolean isAltSvc() {
            return this.altSvc;
        }

        public void setAltSvc(boolean altSvc) {
            this.altSvc = altSvc;
        }

        public boolean isEarlyData() {
            return this.earlyData;
        }

        public void setEarlyData(boolean earlyData) {
            this.earlyData = earlyData;
        }

        public boolean isRetry() {
            return this.retry;
        }

        public void setRetry(boolean retry) {
            this.retry = retry;
        }

        public Duration getIdleTimeout() {
            return this.idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public long getMaxStreams() {
            return this.maxStreams;
        }

        public void setMaxStreams(long maxStreams) {
            this.maxStreams = maxStreams;
        }

        public DataSize getMaxData() {
            return this.maxData;
        }

        public void setMaxData(DataSize maxData) {
            this.maxData = maxData;
        }

        public DataSize getMaxStreamData() {
            return this.maxStreamData;
        }

        public void setMaxStreamData(DataSize maxStreamData) {
            this.maxStreamData = maxStreamData;
        }

        public Duration getShutdownTimeout() {
            return this.shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

        /** TLS of the HTTP/3 server. */
        public static class Ssl {

            /**
             * Name of the SSL bundle (spring.ssl.bundle.*) with the server's key and certificate. Defaults to
             * server.ssl.bundle, the TCP server's.
             */
            private @Nullable String bundle;

            public @Nullable String getBundle() {
                return this.bundle;
            }

            public void setBundle(@Nullable String bundle) {
                this.bundle = bundle;
            }
        }
    }
}
