package io.quicxdp.datapath.sandbox;

import io.quicxdp.datapath.internal.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The reference XDP program on one interface, with the XSKMAP it redirects into pinned in bpffs: the stand-in
 * for an operator's own program in a demo or trial sandbox. It sends UDP datagrams to the given ports to the
 * AF_XDP socket at key = receive queue and passes everything else to the kernel. Map mode itself never
 * installs, attaches or changes an XDP program; a sandbox installs this one so that map mode has a map to use.
 */
public final class ReferenceProgram implements AutoCloseable {

    private final InstalledReferenceProgram installed;

    private ReferenceProgram(InstalledReferenceProgram installed) {
        this.installed = installed;
    }

    /**
     * Creates an XSKMAP, pins it at {@code mapPinPath} and attaches the program to {@code interfaceName}
     * through a BPF link; a failed step undoes the ones before it.
     *
     * @param udpPorts destination ports to redirect, 1 to 65535
     * @throws IOException for a missing interface, a pin path that exists or is not on bpffs, an interface
     *     that already has an XDP program, missing privilege (CAP_BPF and CAP_NET_ADMIN), or another refusal
     */
    public static ReferenceProgram install(String interfaceName, Set<Integer> udpPorts, Path mapPinPath)
            throws IOException {
        return new ReferenceProgram(ReferenceXdpProgram.install(interfaceName, udpPorts, mapPinPath));
    }

    /** The kernel's id of the program. */
    public int programId() {
        return installed.programId();
    }

    /** The kernel's id of the XSKMAP. */
    public int mapId() {
        return installed.mapId();
    }

    /** Where the XSKMAP is pinned. */
    public Path mapPinPath() {
        return installed.mapPinPath();
    }

    /**
     * Detaches the program, closes the descriptors and removes the pin if it still holds this map. Idempotent.
     *
     * @throws java.io.UncheckedIOException when the pin cannot be removed; everything else is released anyway
     */
    @Override
    public void close() {
        installed.close();
    }

    @Override
    public String toString() {
        return installed.toString();
    }
}
