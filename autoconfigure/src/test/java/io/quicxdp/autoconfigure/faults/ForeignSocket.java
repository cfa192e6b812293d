package io.quicxdp.autoconfigure.faults;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Another process that takes over a slot: opens an AF_XDP socket on an interface queue and puts it into an
 * XSKMAP at a given key, prints {@code OPEN}, and holds it until its standard input closes or it is killed.
 *
 * <p>Arguments: interface, queue, map pin path, key.
 */
public final class ForeignSocket {

    private ForeignSocket() {
    }

    public static void main(String[] args) throws Exception {
        DatapathSettings settings = DatapathSettings.builder().frameCount(64).fillRingSize(32).completionRingSize(32)
            .rxRingSize(32).txRingSize(32).build();
        try (XdpSocket socket = XdpSocket.open(InterfaceIndexes.of(args[0]), Integer.parseInt(args[1]),
                XskParameters.of(settings), Duration.ZERO); BpfMap map = BpfMap.openPinned(Path.of(args[2]))) {
            map.update(Integer.parseInt(args[3]), socket.fd(), BpfMap.BPF_NOEXIST);
            System.out.println("OPEN");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the slot until the parent lets go
            }
        }
    }
}
