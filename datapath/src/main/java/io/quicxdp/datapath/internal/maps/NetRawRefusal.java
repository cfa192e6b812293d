package io.quicxdp.datapath.internal.maps;

/**
 * Why {@code socket(AF_XDP)} was refused with EPERM, told from the calling thread's credentials and
 * capabilities ({@code /proc/thread-self/status}): the process lacks CAP_NET_RAW in effect, and what keeps it
 * out differs.
 *
 * <p>A non-root process holds a capability only as an ambient one (systemd's {@code AmbientCapabilities=}) or
 * through file capabilities on its executable. Container runtimes put a non-root user's added capabilities
 * ({@code --cap-add}, Kubernetes' {@code capabilities.add}) into its bounding set only, so there the image's
 * {@code java} must carry them; and {@code no_new_privs} ({@code --security-opt no-new-privileges},
 * {@code allowPrivilegeEscalation: false}) makes the kernel ignore file capabilities altogether.
 */
final class NetRawRefusal {

    private static final int CAP_NET_RAW = 13;

    private static final long UNREAD = ThreadStatus.UNREAD;

    private final long uid;

    private final long effective;

    private final long bounding;

    private final long noNewPrivileges;

    private NetRawRefusal(long uid, long effective, long bounding, long noNewPrivileges) {
        this.uid = uid;
        this.effective = effective;
        this.bounding = bounding;
        this.noNewPrivileges = noNewPrivileges;
    }

    /** Reads the calling thread's context: call it on the thread whose {@code socket()} was refused. */
    static NetRawRefusal ofCallingThread() {
        return of(ThreadStatus.ofCallingThread());
    }

    /** Builds the analysis from {@code status} as in {@code /proc/<pid>/status}, {@code null} if unreadable. */
    static NetRawRefusal parse(String status) {
        return of(ThreadStatus.parse(status));
    }

    private static NetRawRefusal of(ThreadStatus status) {
        return new NetRawRefusal(status.uid(), status.effective(), status.bounding(), status.noNewPrivileges());
    }

    /** What was read, in words: to follow "was refused (EPERM): ", or {@code null} when nothing was. */
    String explanation() {
        if (uid == UNREAD || effective == UNREAD) {
            return null;
        }
        StringBuilder text = new StringBuilder("it runs as uid " + uid + " without CAP_NET_RAW in effect (CapEff: "
                + String.format("%016x", effective) + ")");
        if (bounding != UNREAD) {
            text.append(has(bounding) ? ", though CAP_NET_RAW is in its bounding set"
                    : ", and CAP_NET_RAW is not even in its bounding set");
        }
        if (noNewPrivileges == 1) {
            text.append(", and no_new_privs is set (NoNewPrivs: 1), which voids file capabilities");
        }
        return text.toString();
    }

    /** The fix that applies. */
    String action() {
        if (bounding != UNREAD && !has(bounding)) {
            return "Add CAP_NET_RAW to the process's bounding set: to the container (docker run --cap-add NET_RAW; "
                    + "on Kubernetes securityContext.capabilities.add: [NET_RAW]) or to CapabilityBoundingSet= of its "
                    + "systemd unit, and CAP_IPC_LOCK for the UMEM; root is not required.";
        }
        if (uid == 0) {
            return "Grant the process CAP_NET_RAW, which AF_XDP sockets need (for example "
                    + "AmbientCapabilities=CAP_NET_RAW in its systemd unit).";
        }
        String fileCapabilities = "give its executable the file capabilities (setcap cap_net_raw,cap_ipc_lock+ep "
                + "on the image's java: container runtimes put a non-root user's added capabilities into its "
                + "bounding set only)";
        if (noNewPrivileges == 1) {
            return "Turn no_new_privs off (drop --security-opt no-new-privileges; on Kubernetes "
                    + "allowPrivilegeEscalation: true) so that the kernel honours the file capabilities of its "
                    + "executable, and " + fileCapabilities + ", or grant CAP_NET_RAW as an ambient capability "
                    + "(AmbientCapabilities=CAP_NET_RAW in a systemd unit); root is not required.";
        }
        return "Grant the process CAP_NET_RAW, which AF_XDP sockets need: as an ambient capability "
                + "(AmbientCapabilities=CAP_NET_RAW in its systemd unit), or, in a container running as a non-root "
                + "user, " + fileCapabilities + "; root is not required.";
    }

    private boolean has(long capabilities) {
        return (capabilities & (1L << CAP_NET_RAW)) != 0;
    }
}
