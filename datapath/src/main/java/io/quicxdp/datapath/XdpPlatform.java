package io.quicxdp.datapath;

import io.quicxdp.datapath.failure.UnsupportedPlatformException;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether this machine can run the datapath, decided once from the JVM's view of it without loading any
 * native code: 64-bit little-endian Linux on x86-64 or arm64, the platforms whose system call numbers the
 * native layer knows. The kernel's own features (AF_XDP, bpffs) are checked when the datapath opens.
 */
public final class XdpPlatform {

    private static final String UNSUPPORTED_REASON = probe(System.getProperty("os.name"),
            System.getProperty("os.arch"), ByteOrder.nativeOrder());

    private XdpPlatform() {
    }

    /** Why this machine cannot run the datapath, or empty when it can. */
    public static Optional<String> unsupportedReason() {
        return Optional.ofNullable(UNSUPPORTED_REASON);
    }

    /** Throws {@link UnsupportedPlatformException} on a machine that cannot run the datapath. */
    static void ensureSupported() {
        if (UNSUPPORTED_REASON != null) {
            throw new UnsupportedPlatformException(UNSUPPORTED_REASON,
                    "Run the service on Linux 5.10 or newer on x86-64 or arm64; where it runs elsewhere (a developer's "
                            + "machine), leave the XDP maps out of that environment's configuration.",
                    null, null, null, 0, null);
        }
    }

    static String probe(String osName, String arch, ByteOrder order) {
        String architecture = arch.toLowerCase(Locale.ROOT);
        boolean knownArchitecture = architecture.equals("amd64") || architecture.equals("x86_64")
                || architecture.equals("aarch64") || architecture.equals("arm64");
        if (!osName.equals("Linux") || !knownArchitecture || order != ByteOrder.LITTLE_ENDIAN) {
            return "AF_XDP needs Linux, and quic-xdp supports 64-bit x86-64 and arm64; this is " + osName + " on "
                    + arch + ".";
        }
        return null;
    }
}
