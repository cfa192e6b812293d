package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import io.quicxdp.datapath.internal.bpf.XskMapProbe;
import io.quicxdp.datapath.testing.VethNamespace.TxChecksumOffload;
import java.nio.file.Path;
import java.util.Set;

/**
 * What an operator provides in map mode, built for a test: a veth pair with the reference XDP program on
 * the app end, redirecting UDP to {@code ports} into a pinned XSKMAP, and a probe that tells which slots of
 * that map hold a socket. {@link #close()} removes all of it.
 */
public final class XskMapFixture implements AutoCloseable {

    private final VethNamespace net;

    private final InstalledReferenceProgram program;

    private final BpfMap map;

    private final XskMapProbe probe;

    private XskMapFixture(VethNamespace net, InstalledReferenceProgram program, BpfMap map, XskMapProbe probe) {
        this.net = net;
        this.program = program;
        this.map = map;
        this.probe = probe;
    }

    /**
     * Builds the fixture with {@code queues} queues, the peer's TX checksum offload as veth sets it, or skips
     * the test when the kernel tests cannot run.
     */
    public static XskMapFixture create(int queues, Set<Integer> ports) throws Exception {
        return create(queues, ports, TxChecksumOffload.DEFAULT);
    }

    /** Builds the fixture with the peer's TX checksum offload as given, or skips the test. */
    public static XskMapFixture create(int queues, Set<Integer> ports, TxChecksumOffload peerOffload)
            throws Exception {
        VethNamespace net = VethNamespace.create(queues, peerOffload);
        InstalledReferenceProgram program = null;
        BpfMap map = null;
        try {
            program = ReferenceXdpProgram.install(net.appInterface(), ports, net.pinPath("xsks"));
            map = BpfMap.openPinned(program.mapPinPath());
            return new XskMapFixture(net, program, map, XskMapProbe.load(map));
        }
        catch (Exception | Error ex) {
            if (map != null) {
                map.close();
            }
            if (program != null) {
                program.close();
            }
            net.close();
            throw ex;
        }
    }

    /** The network: interfaces, addresses, the peer namespace. */
    public VethNamespace net() {
        return net;
    }

    /** The interface the XDP program is attached to, where the datapath is to run. */
    public String appInterface() {
        return net.appInterface();
    }

    /** The reference program and its map, as installed. */
    public InstalledReferenceProgram program() {
        return program;
    }

    /** A map configuration for every queue of the app interface and this fixture's map. */
    public XdpMapConfig config() {
        return XdpMapConfig.allQueues(net.appInterface(), pin());
    }

    /** Where the XSKMAP is pinned. */
    public Path pin() {
        return program.mapPinPath();
    }

    /** The kernel's id of the XSKMAP. */
    public int mapId() {
        return program.mapId();
    }

    /** Whether the map's slot {@code key} holds a socket, read through the probe. */
    public boolean occupied(int key) throws Exception {
        return probe.isOccupied(key);
    }

    @Override
    public void close() {
        probe.close();
        map.close();
        program.close();
        net.close();
    }
}
