package io.quicxdp.datapath.internal.maps;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.BpfFilesystemNotMountedException;
import io.quicxdp.datapath.failure.InterfaceNotFoundException;
import io.quicxdp.datapath.failure.MapSlotOccupiedException;
import io.quicxdp.datapath.failure.MemlockLimitException;
import io.quicxdp.datapath.failure.MissingPrivilegeException;
import io.quicxdp.datapath.failure.NotAnXskMapException;
import io.quicxdp.datapath.failure.QueueBusyException;
import io.quicxdp.datapath.failure.QueueNotFoundException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.failure.XdpSocketException;
import io.quicxdp.datapath.failure.XskMapNotFoundException;
import io.quicxdp.datapath.failure.XskMapTooSmallException;
import io.quicxdp.datapath.failure.ZeroCopyUnsupportedException;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns a failed step of the map-mode start-up into the typed exception that says what happened to which
 * interface, map and queue, and what to do about it.
 */
public final class StartupFailures {

    private StartupFailures() {
    }

    static XdpDatapathException interfaceLookup(XdpMapConfig config, IOException cause) {
        String name = config.interfaceName();
        if (cause instanceof NativeIoException n && n.errno() == Errno.ENODEV) {
            return new InterfaceNotFoundException("Network interface '" + name + "' (configured with the XSKMAP "
                    + config.mapPath() + ") does not exist in this network namespace.",
                    "Correct the interface name (ip link lists the interfaces), or start the application in the "
                            + "network namespace that has it.",
                    name, config.mapPath(), null, n.errno(), cause);
        }
        return other("Reading interface '" + name + "' from the kernel", config, null, cause);
    }

    static XdpDatapathException notEthernet(XdpMapConfig config) {
        return new XdpSocketException("Network interface '" + config.interfaceName()
                + "' has no Ethernet address; quic-xdp sends and receives Ethernet frames.",
                "Configure an Ethernet interface (a NIC, veth, or bond).", config.interfaceName(), config.mapPath(),
                null, 0, null);
    }

    static XdpDatapathException pinMissing(XdpMapConfig config, NativeIoException cause) {
        Path path = config.mapPath();
        return new XskMapNotFoundException("No XSKMAP is pinned at " + path + " (configured for interface "
                + config.interfaceName() + ").",
                "Pin the XSKMAP that the XDP program on " + config.interfaceName() + " redirects into at " + path
                        + " (for example: bpftool map pin id MAP_ID " + path + "), start that program first, or "
                        + "correct the map path.",
                config.interfaceName(), path, null, cause.errno(), cause);
    }

    static XdpDatapathException notOnBpffs(XdpMapConfig config, Exception cause) {
        Path path = config.mapPath();
        return new BpfFilesystemNotMountedException(path + " (the XSKMAP for interface " + config.interfaceName()
                + ") is not on a mounted BPF file system.",
                "Mount bpffs (mount -t bpf bpf /sys/fs/bpf) and pin the XSKMAP there, or correct the map path.",
                config.interfaceName(), path, null, cause instanceof NativeIoException n ? n.errno() : 0, cause);
    }

    static XdpDatapathException pinAccess(XdpMapConfig config, NativeIoException cause) {
        Path path = config.mapPath();
        if (cause.errno() == Errno.EPERM) {
            return bpfRefused("The kernel refused the bpf() system call to open " + path, "the pin " + path,
                    BpfRefusal.ofCallingThread(), config, null, cause);
        }
        return new MissingPrivilegeException("Opening the XSKMAP pin " + path + " for reading and writing was "
                + "refused (" + cause.errnoName() + ").",
                "Give the service's user read and write permission on " + path + " (chown or chmod the pin, and "
                        + "search permission on its directories).",
                config.interfaceName(), path, null, cause.errno(), cause);
    }

    /**
     * A {@code bpf()} call answered with EPERM, explained by what {@code refusal} read of the calling thread: a
     * seccomp filter, a missing capability, or neither.
     */
    static XdpDatapathException bpfRefused(String step, String what, BpfRefusal refusal, XdpMapConfig config,
            Integer queue, NativeIoException cause) {
        return new MissingPrivilegeException(step + " (EPERM): " + refusal.explanation() + ".", refusal.action(what),
                config.interfaceName(), config.mapPath(), queue, cause.errno(), cause);
    }

    static XdpDatapathException notAnXskMap(XdpMapConfig config, String found) {
        return new NotAnXskMapException("The object pinned at " + config.mapPath() + " is " + found
                + ", not an XSKMAP with 4-byte keys and values.",
                "Point the map path of interface " + config.interfaceName() + " at the BPF_MAP_TYPE_XSKMAP that "
                        + "its XDP program redirects into.",
                config.interfaceName(), config.mapPath(), null, 0, null);
    }

    static XdpDatapathException mapTooSmall(XdpMapConfig config, int maxEntries, int queue, int rxQueues) {
        return new XskMapTooSmallException("The XSKMAP at " + config.mapPath() + " has " + maxEntries
                + " entries, but queue " + queue + " of " + config.interfaceName() + " needs key " + queue + ".",
                "Create the XSKMAP with max_entries of at least " + rxQueues + " (the receive queues of "
                        + config.interfaceName() + "), or configure only queues below " + maxEntries + ".",
                config.interfaceName(), config.mapPath(), queue, 0, null);
    }

    static XdpDatapathException queueMissing(XdpMapConfig config, int queue, int rxQueues) {
        return new QueueNotFoundException("Interface " + config.interfaceName() + " has " + rxQueues
                + " receive queues (0 to " + (rxQueues - 1) + "); queue " + queue + " does not exist.",
                "Configure only existing queues, or leave the queue list empty to use all of them.",
                config.interfaceName(), config.mapPath(), queue, 0, null);
    }

    static XdpDatapathException noTransmitQueue(XdpMapConfig config, List<Integer> queues, int transmitQueues) {
        return new QueueNotFoundException("None of the configured queues " + queues + " of "
                + config.interfaceName() + " can send: the device has " + transmitQueues + " transmit queue"
                + (transmitQueues == 1 ? "" : "s") + " (0 to " + (transmitQueues - 1) + "), and an AF_XDP socket "
                + "sends on the transmit queue with its own queue id, so every reply would be dropped.",
                "Include a queue below " + transmitQueues + " in the queues of " + config.interfaceName()
                        + " (or leave the list empty for all), or give the device as many transmit queues as "
                        + "receive queues (ethtool -L " + config.interfaceName() + " tx N, or combined N).",
                config.interfaceName(), config.mapPath(), queues.get(0), 0, null);
    }

    static XdpDatapathException socket(XdpMapConfig config, int queue, BindMode mode, long umemBytes,
            int socketCount, NativeIoException cause) {
        String where = config.interfaceName() + " queue " + queue;
        String op = cause.operation();
        int errno = cause.errno();
        if (op.startsWith("socket") && (errno == Errno.EPERM || errno == Errno.EACCES)) {
            NetRawRefusal refusal = NetRawRefusal.ofCallingThread();
            String explanation = refusal.explanation();
            return new MissingPrivilegeException("Creating the AF_XDP socket for " + where + " was refused ("
                    + cause.errnoName() + ")" + ((explanation != null) ? ": " + explanation : "") + ".",
                    refusal.action(), config.interfaceName(), config.mapPath(), queue, errno, cause);
        }
        if (op.startsWith("socket") && errno == Errno.EAFNOSUPPORT) {
            return new XdpSocketException("This kernel has no AF_XDP sockets (socket(AF_XDP) failed with "
                    + "EAFNOSUPPORT) for " + where + ".",
                    "Run on Linux 5.10 or newer built with CONFIG_XDP_SOCKETS=y.", config.interfaceName(),
                    config.mapPath(), queue, errno, cause);
        }
        if (op.contains("XDP_UMEM_REG") && errno == Errno.ENOBUFS) {
            long kib = umemBytes / 1024;
            return new MemlockLimitException("The " + kib + " KiB UMEM of " + where + " exceeds the locked-memory "
                    + "limit (" + cause.errnoName() + ").",
                    "Raise RLIMIT_MEMLOCK to at least " + kib * socketCount + " KiB for the " + socketCount
                            + " sockets (ulimit -l, or LimitMEMLOCK= in the systemd unit; the kernel counts it per "
                            + "user, across all of that user's processes), grant CAP_IPC_LOCK, or lower the UMEM "
                            + "frame count.",
                    config.interfaceName(), config.mapPath(), queue, errno, cause);
        }
        if (op.startsWith("bind") && errno == Errno.EBUSY) {
            return new QueueBusyException("Queue " + queue + " of " + config.interfaceName() + " is already bound "
                    + "by another AF_XDP socket.",
                    "Stop the other AF_XDP user of " + where + ", or configure other queues for "
                            + config.interfaceName() + ".",
                    config.interfaceName(), config.mapPath(), queue, errno, cause);
        }
        if (op.startsWith("bind") && mode == BindMode.ZERO_COPY && errno == Errno.EOPNOTSUPP) {
            return new ZeroCopyUnsupportedException("Binding " + where + " in zero-copy mode failed ("
                    + cause.errnoName() + "): its driver does not offer AF_XDP zero-copy.",
                    "Use bind mode AUTO (zero-copy where possible, else copy) or COPY, or a NIC whose driver "
                            + "supports AF_XDP zero-copy.",
                    config.interfaceName(), config.mapPath(), queue, errno, cause);
        }
        return other("Setting up the AF_XDP socket for " + where, config, queue, cause);
    }

    static XdpDatapathException insert(XdpMapConfig config, int queue, NativeIoException cause) {
        Path path = config.mapPath();
        if (cause.errno() == Errno.EEXIST) {
            return new MapSlotOccupiedException("Slot " + queue + " of the XSKMAP at " + path + " (interface "
                    + config.interfaceName() + ", queue " + queue + ") already holds another AF_XDP socket.",
                    "Stop the process that owns that socket, or have the map's owner delete key " + queue
                            + " from " + path + "; quic-xdp never takes over an occupied slot.",
                    config.interfaceName(), path, queue, cause.errno(), cause);
        }
        if (cause.errno() == Errno.EPERM) {
            return bpfRefused("Inserting the AF_XDP socket of " + config.interfaceName() + " queue " + queue
                    + " into " + path + " was refused", "the map " + path, BpfRefusal.ofCallingThread(), config,
                    queue, cause);
        }
        if (cause.errno() == Errno.EACCES) {
            return new MissingPrivilegeException("Inserting the AF_XDP socket of " + config.interfaceName()
                    + " queue " + queue + " into " + path + " was refused (" + cause.errnoName() + ").",
                    "Give the service's user write permission on " + path + " (the map is opened for writing).",
                    config.interfaceName(), path, queue, cause.errno(), cause);
        }
        return other("Inserting the AF_XDP socket of " + config.interfaceName() + " queue " + queue + " into "
                + path, config, queue, cause);
    }

    public static XdpDatapathException threadStart(XdpMapConfig config, int queue, RuntimeException cause) {
        return new XdpSocketException("Starting the poll thread of " + config.interfaceName() + " queue " + queue
                + " failed: " + cause + ".",
                "Check the process's thread limit (ulimit -u, TasksMax= in the systemd unit, pids.max of its "
                        + "cgroup) and, if one is set, the poll thread factory.",
                config.interfaceName(), config.mapPath(), queue, 0, cause);
    }

    public static XdpDatapathException other(String step, XdpMapConfig config, Integer queue, Exception cause) {
        String detail = cause instanceof NativeIoException n ? n.getMessage() : String.valueOf(cause);
        return new XdpSocketException(step + " failed: " + detail + ".",
                "Check that the kernel is Linux 5.10 or newer with AF_XDP, that the interface is up, and the "
                        + "failing call's error above.",
                config.interfaceName(), config.mapPath(), queue,
                cause instanceof NativeIoException n ? n.errno() : 0, cause);
    }
}
