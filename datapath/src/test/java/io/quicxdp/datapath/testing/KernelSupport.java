package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether this machine can run the kernel tests (root, iproute2, bpffs, AF_XDP), and the reason when not.
 * Tests that need the kernel call {@link #assumeAvailable()} so that they skip, saying what is missing.
 */
public final class KernelSupport {

    private static final String UNAVAILABLE_REASON = probe();

    private KernelSupport() {
    }

    /** Skips the calling test, with the reason, when the kernel tests cannot run here. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(UNAVAILABLE_REASON == null, UNAVAILABLE_REASON);
    }

    private static String probe() {
        if (!System.getProperty("os.name").equals("Linux")) {
            return "kernel tests need Linux, this is " + System.getProperty("os.name");
        }
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            if (!status.contains("\nUid:\t0\t")) {
                return "kernel tests need root (network namespaces, veth, XDP programs); run as root";
            }
            if (!Files.readString(Path.of("/proc/mounts")).contains(" /sys/fs/bpf bpf ")) {
                return "bpffs is not mounted at /sys/fs/bpf: mount -t bpf bpf /sys/fs/bpf";
            }
        }
        catch (IOException ex) {
            return "cannot read /proc: " + ex;
        }
        if (Commands.tryRun("ip", "-V").exitCode() != 0) {
            return "the ip command (iproute2) is missing: apt-get install iproute2";
        }
        if (Commands.tryRun("ethtool", "--version").exitCode() != 0) {
            return "the ethtool command is missing: apt-get install ethtool";
        }
        try {
            FileDescriptors.close(Sockets.open(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, "AF_XDP"));
        }
        catch (NativeIoException ex) {
            return "this kernel offers no AF_XDP sockets (CONFIG_XDP_SOCKETS): " + ex.getMessage();
        }
        return null;
    }
}
