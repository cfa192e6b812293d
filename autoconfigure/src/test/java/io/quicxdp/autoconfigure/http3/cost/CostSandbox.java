package io.quicxdp.autoconfigure.http3.cost;

import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.util.Set;

/**
 * The network of {@code benchmarks/webflux-cost.sh}: a veth pair with one queue, the peer end in a namespace of
 * its own, and the reference XDP program redirecting one UDP port into a pinned XSKMAP, held until standard
 * input closes (or the process is told to stop), then removed.
 *
 * <p>usage: {@code CostSandbox PORT}; prints one line, {@code sandbox NAMESPACE APP_IF PEER_IF APP_IPV4 PIN}.
 */
public final class CostSandbox {

    private CostSandbox() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        XskMapFixture fixture = XskMapFixture.create(1, Set.of(port));
        Runtime.getRuntime().addShutdownHook(new Thread(fixture::close, "sandbox-cleanup"));
        System.out.println("sandbox " + fixture.net().namespace() + " " + fixture.appInterface() + " "
                + fixture.net().peerInterface() + " " + fixture.net().appIpv4().getHostAddress() + " " + fixture.pin());
        try {
            while (System.in.read() != -1) {
                // held until the script closes our input
            }
        }
        catch (IOException ex) {
            // input gone: the script has ended
        }
        System.exit(0);
    }
}
