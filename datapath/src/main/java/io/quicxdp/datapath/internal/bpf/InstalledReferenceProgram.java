package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link ReferenceXdpProgram} attached to an interface, with its pinned XSKMAP. Owns the link, program and
 * map descriptors and the pin; {@link #close()} detaches the program and removes the pin.
 */
public final class InstalledReferenceProgram implements AutoCloseable {

    private final String interfaceName;

    private final int ifindex;

    private final Set<Integer> udpPorts;

    private final Path mapPinPath;

    private final int mapId;

    private final int programId;

    private final BpfMap map;

    private final XdpProgram program;

    private final XdpLink link;

    private final AtomicBoolean closed = new AtomicBoolean();

    InstalledReferenceProgram(String interfaceName, int ifindex, Set<Integer> udpPorts, Path mapPinPath, int mapId,
            int programId, BpfMap map, XdpProgram program, XdpLink link) {
        this.interfaceName = interfaceName;
        this.ifindex = ifindex;
        this.udpPorts = udpPorts;
        this.mapPinPath = mapPinPath;
        this.mapId = mapId;
        this.programId = programId;
        this.map = map;
        this.program = program;
        this.link = link;
    }

    /** The interface the program is attached to. */
    public String interfaceName() {
        return interfaceName;
    }

    /** That interface's index. */
    public int ifindex() {
        return ifindex;
    }

    /** The UDP destination ports the program redirects. */
    public Set<Integer> udpPorts() {
        return udpPorts;
    }

    /** Where the XSKMAP is pinned: what map mode is configured with. */
    public Path mapPinPath() {
        return mapPinPath;
    }

    /** The XSKMAP's system-wide id. */
    public int mapId() {
        return mapId;
    }

    /** The program's system-wide id, as {@code ip link show} lists it. */
    public int programId() {
        return programId;
    }

    /**
     * Detaches the program, closes the descriptors, and removes the pin if it still holds this map (a pin
     * someone replaced is left alone). Later calls do nothing.
     *
     * @throws UncheckedIOException when the pin cannot be removed; everything else is released anyway
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        link.close();
        program.close();
        map.close();
        try {
            if (pinHoldsThisMap()) {
                Files.delete(mapPinPath);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("cannot remove the XSKMAP pin " + mapPinPath, ex);
        }
    }

    private boolean pinHoldsThisMap() throws IOException {
        try (BpfMap pinned = BpfMap.openPinned(mapPinPath, PinAccess.READ_ONLY)) {
            return pinned.info().id() == mapId;
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.ENOENT) {
                return false;
            }
            throw ex;
        }
        catch (BpfSetupException ex) {
            // something else is pinned there now
            return false;
        }
    }

    @Override
    public String toString() {
        return "reference XDP program " + programId + " on " + interfaceName + " (ports " + udpPorts + "), XSKMAP "
                + mapId + " pinned at " + mapPinPath;
    }
}
