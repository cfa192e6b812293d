package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.state.MapInspection;
import java.nio.file.Path;
import java.util.List;

/**
 * A separate JVM that opens a datapath on one map, for the tests that need another process: killed while
 * open, or run as an unprivileged user. Prints {@code OPEN} once open, then waits for standard input to
 * close; a failure prints {@code FAILED <type>: <message> | <action>} and exits with 3.
 *
 * <p>Arguments: interface, map pin path (or {@code agent:SOCKET} for the map the quic-xdp agent on SOCKET
 * serves), UMEM frame count, and optionally {@code inspect} to print
 * {@code INSPECT <slots> <detail>} from {@link XdpDatapath#inspectMaps()} once open, or {@code hook} to
 * close the datapath from a shutdown hook, which prints {@code CLOSED <sockets still bound or in a map>}.
 */
public final class MapModeChild {

    private MapModeChild() {
    }

    public static void main(String[] args) throws Exception {
        DatapathSettings settings = TestSettings.small().toBuilder().frameCount(Integer.parseInt(args[2])).build();
        XdpDatapath datapath;
        try {
            MapSource source = args[1].startsWith("agent:") ? MapSource.agent(Path.of(args[1].substring(6)))
                    : MapSource.pinned(Path.of(args[1]));
            datapath = XdpDatapath.open(List.of(XdpMapConfig.allQueues(args[0], source)), settings);
        }
        catch (XdpDatapathException ex) {
            System.out.println("FAILED " + ex.getClass().getSimpleName() + ": " + ex.getMessage() + " | " + ex.action());
            System.out.flush();
            System.exit(3);
            return;
        }
        if (args.length > 3 && args[3].equals("hook")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                datapath.close();
                long held = datapath.state().sockets().stream().filter(s -> s.bound() || s.inMap()).count();
                System.out.println("CLOSED " + held);
                System.out.flush();
            }, "close-datapath"));
        }
        System.out.println("OPEN " + datapath.state().sockets().size());
        if (args.length > 3 && args[3].equals("inspect")) {
            MapInspection inspection = datapath.inspectMaps().get(0);
            System.out.println("INSPECT " + inspection.slots() + " " + inspection.detail());
        }
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the parent to close our standard input
        }
        datapath.close();
        System.out.println("CLOSED");
    }
}
