package io.quicxdp.datapath.internal.maps;

import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.MapSlotOccupiedException;
import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.failure.NotAnXskMapException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.failure.XskMapTooSmallException;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.source.AgentRefusedException;
import io.quicxdp.datapath.internal.source.SourceProtocolException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Turns a failed step with a map that comes over a unix socket, from the AF_XDP device plugin or the
 * quic-xdp agent, into the typed exception that names the interface, the socket and the fix.
 */
final class SourceFailures {

    private SourceFailures() {
    }

    /** The device plugin or agent could not be reached, did not answer in time, or answered outside the protocol. */
    static XdpDatapathException unreachable(XdpMapConfig config, Duration timeout, IOException cause) {
        MapSource source = config.source();
        Path socket = source.path();
        boolean agent = source.kind() == MapSource.Kind.AGENT;
        String who = agent ? "quic-xdp agent" : "AF_XDP device plugin";
        if (cause instanceof NativeIoException n) {
            int errno = n.errno();
            if (errno == Errno.EAGAIN) {
                return unavailable(config, "The " + who + " on " + socket + " (interface " + config.interfaceName()
                        + ") did not answer within " + timeout.toSeconds() + " s.",
                        "Check that the " + who + " behind " + socket + " is running and not stuck (its log says "
                                + "why), then restart the application.", null, errno, cause);
            }
            if (n.operation().startsWith("connect")) {
                String why = errno == Errno.ENOENT ? "nothing is at that path"
                        : errno == Errno.ECONNREFUSED ? "nothing listens on it any more"
                        : errno == Errno.EACCES || errno == Errno.EPERM ? "this user may not connect to it"
                        : n.errnoName();
                String action = agent
                        ? "Start the agent first (java -jar quic-xdp-agent.jar --socket " + socket + " --map "
                                + config.interfaceName() + "=PIN --allow-uid UID), let this user write to " + socket
                                + ", or correct the agent socket configured for " + config.interfaceName() + "."
                        : "Request the device plugin's resource for " + config.interfaceName() + " in the pod's "
                                + "resources, so that the plugin mounts its socket at " + socket + ", or correct "
                                + "the device plugin socket configured for " + config.interfaceName() + ".";
                return unavailable(config, "The " + who + "'s socket " + socket + " (interface "
                        + config.interfaceName() + ") cannot be connected to: " + why + " (" + n.errnoName() + ").",
                        action, null, errno, cause);
            }
            return unavailable(config, "Talking to the " + who + " on " + socket + " (interface "
                    + config.interfaceName() + ") failed: " + n.getMessage() + ".",
                    "Check that the " + who + " behind " + socket + " is running (its log says why), then restart "
                            + "the application.", null, errno, cause);
        }
        if (cause instanceof AgentRefusedException refused) {
            return agentRefused(config, null, refused);
        }
        if (!agent && cause instanceof SourceProtocolException p && "/fd_nak".equals(p.reply())) {
            return unavailable(config, "The AF_XDP device plugin on " + socket + " has no XSKMAP for interface "
                    + config.interfaceName() + ": it answered /fd_nak.",
                    "Request the plugin's resource that holds " + config.interfaceName() + " for this pod (the plugin "
                            + "hands out the maps of the devices it allocated to the pod only), or configure the "
                            + "interface the plugin gave the pod.", null, 0, cause);
        }
        if (!agent && cause instanceof SourceProtocolException p && "/host_nak".equals(p.reply())) {
            return unavailable(config, "The AF_XDP device plugin on " + socket + " does not know this pod: it "
                    + "answered /host_nak to " + p.request() + ".",
                    "Leave the pod's host name as Kubernetes sets it (the pod's name): the plugin checks it against "
                            + "the pods it allocated devices to.", null, 0, cause);
        }
        if (agent && cause instanceof SourceProtocolException p && p.reply() != null
                && p.reply().startsWith("refused ")) {
            return unavailable(config, "The quic-xdp agent on " + socket + " refused this process: "
                    + p.reply().substring("refused ".length()) + ".",
                    "Start the agent with --allow-uid or --allow-gid naming the user or group this application runs "
                            + "as, or run the application as a user the agent allows.", null, 0, cause);
        }
        return unavailable(config, "The " + who + " on " + socket + " (interface " + config.interfaceName()
                + ") did not hand over the map: " + cause.getMessage() + ".",
                "Check the " + who + "'s log and version, then restart the application.", null, 0, cause);
    }

    /** The agent answered {@code error}, about the interface's map ({@code queue} null) or one insert. */
    static XdpDatapathException agentRefused(XdpMapConfig config, Integer queue, AgentRefusedException cause) {
        Path socket = config.source().path();
        String name = config.interfaceName();
        String at = "the quic-xdp agent on " + socket;
        // "error INTERFACE KEY CODE TEXT" from the code on; a code this version does not know reads as it came
        int code = cause.reply().indexOf(' ', cause.reply().indexOf(' ', "error ".length()) + 1) + 1;
        String reason = cause.reply().substring(code);
        return switch (cause.error()) {
            case NOT_SERVED -> unavailable(config, "The quic-xdp agent on " + socket + " serves no map for interface "
                    + name + " (" + reason + ").",
                    "Add --map " + name + "=PIN (the bpffs pin of the XSKMAP " + name + "'s XDP program redirects "
                            + "into) to the agent's command line, or point this interface at the agent that serves "
                            + "it.", queue, 0, cause);
            case MAP_UNAVAILABLE, NOT_AN_XSKMAP -> new NotAnXskMapException("The map the quic-xdp agent on " + socket
                    + " serves for interface " + name + " cannot be used: " + reason + ".",
                    "Give the agent the pin of the BPF_MAP_TYPE_XSKMAP that " + name + "'s XDP program redirects into "
                            + "(--map " + name + "=PIN), and start that program before the application.",
                    name, null, queue, 0, cause);
            case OCCUPIED -> new MapSlotOccupiedException("Slot " + queue + " of the XSKMAP that " + at + " serves for "
                    + name + " (queue " + queue + ") already holds another AF_XDP socket.",
                    "Stop the process that owns that socket; neither quic-xdp nor its agent ever takes over an "
                            + "occupied slot.", name, null, queue, Errno.EEXIST, cause);
            default -> unavailable(config, "The quic-xdp agent on " + socket + " did not insert the socket of "
                    + name + (queue != null ? " queue " + queue : "") + ": " + reason + ".",
                    "Check the agent's log for the kernel's answer, and that it runs with CAP_BPF (or as root).",
                    queue, 0, cause);
        };
    }

    static XdpDatapathException notAnXskMap(XdpMapConfig config, String found) {
        return new NotAnXskMapException("The map the AF_XDP device plugin on " + config.source().path()
                + " handed over for interface " + config.interfaceName() + " is " + found
                + ", not an XSKMAP with 4-byte keys and values.",
                "Configure the device plugin to hand out the XSKMAP of " + config.interfaceName()
                        + " (its own XDP program's xsks_map).",
                config.interfaceName(), null, null, 0, null);
    }

    static XdpDatapathException mapTooSmall(XdpMapConfig config, int maxEntries, int queue, int rxQueues) {
        return new XskMapTooSmallException("The XSKMAP from " + config.source() + " has " + maxEntries
                + " entries, but queue " + queue + " of " + config.interfaceName() + " needs key " + queue + ".",
                "Have the map created with max_entries of at least " + rxQueues + " (the receive queues of "
                        + config.interfaceName() + "), or configure only queues below " + maxEntries + ".",
                config.interfaceName(), null, queue, 0, null);
    }

    /** Inserting into a map the device plugin handed over failed. */
    static XdpDatapathException insert(XdpMapConfig config, int queue, NativeIoException cause) {
        if (cause.errno() == Errno.EEXIST) {
            return new MapSlotOccupiedException("Slot " + queue + " of the XSKMAP from " + config.source()
                    + " (interface " + config.interfaceName() + ", queue " + queue
                    + ") already holds another AF_XDP socket.",
                    "Stop the process that owns that socket; quic-xdp never takes over an occupied slot.",
                    config.interfaceName(), null, queue, cause.errno(), cause);
        }
        return unavailable(config, "Inserting the AF_XDP socket of " + config.interfaceName() + " queue " + queue
                + " into the XSKMAP from " + config.source() + " failed: " + cause.getMessage() + ".",
                "The descriptor the plugin hands over is writable: check the failing call's error above and that "
                        + "bpf() is allowed (seccomp) for the application.", queue, cause.errno(), cause);
    }

    private static XdpDatapathException unavailable(XdpMapConfig config, String message, String action,
            Integer queue, int errno, Throwable cause) {
        return new MapSourceUnavailableException(message, action, config.interfaceName(), config.source(),
                queue, errno, cause);
    }
}
