package io.quicxdp.datapath.internal.maps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Why the kernel answered a {@code bpf()} call with EPERM, told from the calling thread's security context:
 * its seccomp mode and effective capabilities ({@code /proc/thread-self/status}), the kernel's
 * {@code unprivileged_bpf_disabled} and the kernel's version.
 *
 * <p>The same EPERM has different fixes. A seccomp filter (Docker's default profile refuses {@code bpf()} to a
 * container without CAP_SYS_ADMIN) is fixed in the container's profile, not by granting a capability; a
 * kernel before 5.19 with {@code unprivileged_bpf_disabled} set refuses every {@code bpf()} call from a
 * process without CAP_BPF; with neither, a security module is left.
 */
final class BpfRefusal {

    /** What stands in the way of {@code bpf()}. */
    enum Cause {

        /** A seccomp filter refuses the call; the kernel itself would answer it. */
        SECCOMP_FILTER,

        /** The kernel refuses it for want of CAP_BPF; no seccomp filter is in place. */
        CAPABILITY,

        /** Both: a seccomp filter, and a kernel that would refuse it for want of CAP_BPF. */
        CAPABILITY_AND_SECCOMP_FILTER,

        /** Neither explains it: a security module such as SELinux or AppArmor is left. */
        UNEXPLAINED,

        /** The thread's seccomp mode and capabilities could not be read. */
        UNKNOWN
    }

    private static final int CAP_SYS_ADMIN = 21;

    private static final int CAP_BPF = 39;

    private static final int UNREAD = -1;

    private static final String AGENT = "or use the agent hand-off (quic.xdp.maps[i].agent-socket), with which "
            + "the application makes no bpf() call at all";

    private final int seccompMode;

    private final long effectiveCapabilities;

    private final boolean capabilitiesKnown;

    private final int unprivilegedBpfDisabled;

    private final String kernelRelease;

    // before 5.19, unprivileged_bpf_disabled refused every bpf() command, not only map and program creation
    private final boolean checksEveryCommand;

    private BpfRefusal(int seccompMode, long effectiveCapabilities, boolean capabilitiesKnown,
            int unprivilegedBpfDisabled, String kernelRelease) {
        this.seccompMode = seccompMode;
        this.effectiveCapabilities = effectiveCapabilities;
        this.capabilitiesKnown = capabilitiesKnown;
        this.unprivilegedBpfDisabled = unprivilegedBpfDisabled;
        this.kernelRelease = kernelRelease;
        this.checksEveryCommand = before(kernelRelease, 5, 19);
    }

    /** Reads the calling thread's security context: call it on the thread whose {@code bpf()} was refused. */
    static BpfRefusal ofCallingThread() {
        String unprivilegedBpfDisabled = ThreadStatus.read(Path.of("/proc/sys/kernel/unprivileged_bpf_disabled"));
        return of(ThreadStatus.ofCallingThread(), unprivilegedBpfDisabled, System.getProperty("os.version"));
    }

    /**
     * Builds the analysis from the texts the kernel gives: {@code status} as in {@code /proc/<pid>/status},
     * {@code unprivilegedBpfDisabled} as in {@code /proc/sys/kernel/unprivileged_bpf_disabled}, and the kernel
     * release as {@code uname -r} prints it; any of them {@code null} when it could not be read.
     */
    static BpfRefusal parse(String status, String unprivilegedBpfDisabled, String kernelRelease) {
        return of(ThreadStatus.parse(status), unprivilegedBpfDisabled, kernelRelease);
    }

    private static BpfRefusal of(ThreadStatus status, String unprivilegedBpfDisabled, String kernelRelease) {
        int unprivileged = (unprivilegedBpfDisabled != null) ? parseInt(unprivilegedBpfDisabled.trim()) : UNREAD;
        // the effective set is unread when the status gave none: the analysis then names no capability as held
        boolean capabilitiesKnown = status.effective() != ThreadStatus.UNREAD;
        return new BpfRefusal((int) status.seccomp(), capabilitiesKnown ? status.effective() : 0, capabilitiesKnown,
                unprivileged, kernelRelease);
    }

    /** What stands in the way. */
    Cause cause() {
        boolean filter = seccompMode == 2;
        boolean kernelRefuses = capabilitiesKnown && !bpfCapable() && unprivilegedBpfDisabled != 0
                && checksEveryCommand;
        if (kernelRefuses) {
            return filter ? Cause.CAPABILITY_AND_SECCOMP_FILTER : Cause.CAPABILITY;
        }
        if (filter) {
            return Cause.SECCOMP_FILTER;
        }
        return (seccompMode == UNREAD || !capabilitiesKnown) ? Cause.UNKNOWN : Cause.UNEXPLAINED;
    }

    /** Why, in a sentence that names what was read: to follow "refused (EPERM): ". */
    String explanation() {
        return switch (cause()) {
            case SECCOMP_FILTER -> "a seccomp filter on this process refuses bpf(), not a missing capability ("
                    + evidence() + ")";
            case CAPABILITY -> "this kernel refuses every bpf() call from a process without CAP_BPF while "
                    + "kernel.unprivileged_bpf_disabled is set (" + evidence() + ")";
            case CAPABILITY_AND_SECCOMP_FILTER -> "a seccomp filter on this process refuses bpf(), and this kernel "
                    + "would refuse it too without CAP_BPF while kernel.unprivileged_bpf_disabled is set ("
                    + evidence() + ")";
            case UNEXPLAINED -> "neither a seccomp filter nor a missing capability explains it (" + evidence() + ")";
            case UNKNOWN -> "the process's seccomp mode and capabilities could not be read from /proc";
        };
    }

    /** The fix that applies, naming the pin or map the call was for. */
    String action(String what) {
        return switch (cause()) {
            case SECCOMP_FILTER -> "Docker's default seccomp profile refuses bpf() to a container without "
                    + "CAP_SYS_ADMIN (newer Docker releases also accept CAP_BPF; Docker 20.10 does not know it), and "
                    + "Kubernetes' RuntimeDefault profile is alike. Run the container with --security-opt "
                    + "seccomp=PROFILE, PROFILE allowing bpf (or seccomp=unconfined; on Kubernetes "
                    + "securityContext.seccompProfile of type Localhost or Unconfined), so that it may open " + what
                    + ", " + AGENT + ".";
            case CAPABILITY -> "Grant the process CAP_BPF (CAP_SYS_ADMIN on kernels before 5.8; for example "
                    + "AmbientCapabilities=CAP_NET_RAW CAP_BPF in its systemd unit), upgrade to Linux 5.19 or newer, "
                    + "where opening and updating " + what + " needs no capability, " + AGENT + ".";
            case CAPABILITY_AND_SECCOMP_FILTER -> "Both must change: grant CAP_BPF (CAP_SYS_ADMIN on kernels before "
                    + "5.8) and run the container with a seccomp profile that allows bpf (--security-opt "
                    + "seccomp=PROFILE; in Docker, --cap-add SYS_ADMIN satisfies both the kernel and its default "
                    + "profile, at the price of much more privilege) to open " + what + ", " + AGENT + ".";
            case UNEXPLAINED -> "Check the security modules in force (SELinux: ausearch -m avc; AppArmor: the "
                    + "kernel log; a BPF LSM program), which can refuse bpf() on " + what + "; " + AGENT + ".";
            case UNKNOWN -> "Allow bpf() in the process's seccomp profile (Docker's default profile refuses it to a "
                    + "container without CAP_SYS_ADMIN) and, on kernels before 5.19 with "
                    + "kernel.unprivileged_bpf_disabled set, grant CAP_BPF; " + AGENT + ".";
        };
    }

    private boolean bpfCapable() {
        return has(CAP_BPF) || has(CAP_SYS_ADMIN);
    }

    private boolean has(int capability) {
        return (effectiveCapabilities & (1L << capability)) != 0;
    }

    private String evidence() {
        List<String> facts = new ArrayList<>();
        if (seccompMode != UNREAD) {
            facts.add("Seccomp: " + seccompMode + (seccompMode == 2 ? " (filter)" : "") + " in /proc/self/status");
        }
        if (capabilitiesKnown) {
            facts.add(bpfCapable() ? "it holds " + (has(CAP_BPF) ? "CAP_BPF" : "CAP_SYS_ADMIN")
                    : "it holds neither CAP_BPF nor CAP_SYS_ADMIN");
        }
        if (unprivilegedBpfDisabled != UNREAD) {
            facts.add("kernel.unprivileged_bpf_disabled=" + unprivilegedBpfDisabled);
        }
        if (kernelRelease != null) {
            facts.add("Linux " + kernelRelease);
        }
        return String.join(", ", facts);
    }

    /** Whether {@code release} (as uname -r prints it) is older than major.minor; false when unreadable. */
    private static boolean before(String release, int major, int minor) {
        if (release == null) {
            return false;
        }
        String[] parts = release.split("[.-]");
        if (parts.length < 2) {
            return false;
        }
        int releaseMajor = parseInt(parts[0]);
        int releaseMinor = parseInt(parts[1]);
        if (releaseMajor == UNREAD || releaseMinor == UNREAD) {
            return false;
        }
        return releaseMajor < major || (releaseMajor == major && releaseMinor < minor);
    }

    private static int parseInt(String text) {
        try {
            return Integer.parseInt(text);
        }
        catch (NumberFormatException ex) {
            return UNREAD;
        }
    }
}
