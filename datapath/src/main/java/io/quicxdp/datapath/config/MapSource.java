package io.quicxdp.datapath.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the XSKMAP of one interface comes from, and so who inserts the sockets into it.
 *
 * @param kind how the map is reached
 * @param path the bpffs pin ({@link Kind#PINNED_MAP}) or the unix socket (the other kinds); absolute
 */
public record MapSource(Kind kind, Path path) {

    /** The socket the AF_XDP device plugin for Kubernetes mounts into a pod for {@code interface}. */
    public static final String DEVICE_PLUGIN_SOCKET = "/tmp/afxdp_dp/%s/afxdp.sock";

    /** How a map is reached. */
    public enum Kind {

        /** The map pinned in bpffs: the datapath opens it and inserts its sockets itself. */
        PINNED_MAP("path", "the XSKMAP pinned at "),

        /**
         * The AF_XDP device plugin for Kubernetes hands over the map's descriptor on its unix socket; the
         * datapath inserts its sockets itself.
         */
        DEVICE_PLUGIN("device-plugin-socket", "the AF_XDP device plugin's socket "),

        /**
         * The quic-xdp agent inserts the sockets the datapath sends it over its unix socket: the datapath
         * makes no {@code bpf()} call at all.
         */
        AGENT("agent-socket", "the quic-xdp agent's socket ");

        private final String key;

        private final String prefix;

        Kind(String key, String prefix) {
            this.key = key;
            this.prefix = prefix;
        }

        /** The short name used in configuration and state, for example {@code agent-socket}. */
        public String key() {
            return key;
        }
    }

    public MapSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(kind == Kind.PINNED_MAP
                    ? "map path must be absolute (a bpffs path such as /sys/fs/bpf/xsks), not '" + path + "'"
                    : "the " + kind.key() + " must be an absolute path, not '" + path + "'");
        }
    }

    /** The map pinned at {@code path}. */
    public static MapSource pinned(Path path) {
        return new MapSource(Kind.PINNED_MAP, path);
    }

    /** The map the AF_XDP device plugin hands over on {@code socket}. */
    public static MapSource devicePlugin(Path socket) {
        return new MapSource(Kind.DEVICE_PLUGIN, socket);
    }

    /** The map the AF_XDP device plugin hands over on its socket for {@code interfaceName} in a pod. */
    public static MapSource devicePluginOf(String interfaceName) {
        return devicePlugin(Path.of(String.format(DEVICE_PLUGIN_SOCKET, interfaceName)));
    }

    /** The map the quic-xdp agent listening on {@code socket} inserts into. */
    public static MapSource agent(Path socket) {
        return new MapSource(Kind.AGENT, socket);
    }

    /** For messages, for example "the quic-xdp agent's socket /run/quic-xdp/agent.sock". */
    @Override
    public String toString() {
        return kind.prefix + path;
    }
}
