package io.quicxdp.datapath;

import io.quicxdp.datapath.bpf.BpfMap;
import io.quicxdp.datapath.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.bpf.ReferenceXdpProgram;
import io.quicxdp.datapath.bpf.XskMapProbe;
import io.quicxdp.datapath.testing.VethNamespace;
import java.nio.file.Path;
import java.util.Set;

/**
 * A veth pair with the reference XDP program on the app end, redirecting {@code ports} into a pinned
 * XSKMAP, and a probe that reports which slots of that map are occupied.
 */
final class MapModeFixture implements AutoCloseable {

    final VethNamespace net;

    final InstalledReferenceProgram program;

    final Path pin;

    private final BpfMap map;

    private final XskMapProbe probe;

    MapModeFixture(int queues, Set<Integer> ports) throws Exception {
        net = VethNamespace.create(queues);
        InstalledReferenceProgram installed = null;
        BpfMap opened = null;
        try {
            pin = net.pinPath("xsks");
            installed = ReferenceXdpProgram.install(net.appInterface(), ports, pin);
            opened = BpfMap.openPinned(pin);
            probe = XskMapProbe.load(opened);
        }
        catch (Exception | Error ex) {
            if (opened != null) {
                opened.close();
            }
            if (installed != null) {
                installed.close();
            }
            net.close();
            throw ex;
        }
        program = installed;
        map = opened;
    }

    String appInterface() {
        return net.appInterface();
    }

    XdpMapConfig config() {
        return XdpMapConfig.allQueues(net.appInterface(), pin);
    }

    boolean occupied(int key) throws Exception {
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
