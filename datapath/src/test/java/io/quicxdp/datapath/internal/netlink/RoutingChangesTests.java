package io.quicxdp.datapath.internal.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.testing.VethNamespace;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * The kernel's announcements against the real kernel: the listener runs in the fixture's peer namespace,
 * where nothing but the test changes routes and neighbours, and watches the peer end of the veth pair.
 */
class RoutingChangesTests {

    @Test
    void aNeighbourWithANewMacMovesTheGenerationOnAndTheSameMacDoesNot() throws Exception {
        try (VethNamespace net = VethNamespace.create(1)) {
            RoutingChanges changes = net.inPeer(() -> RoutingChanges.open("routing-changes-test"));
            try (changes) {
                int peer = net.inPeer(() -> InterfaceIndexes.of(net.peerInterface()));
                changes.watch(peer);
                long start = changes.generation();
                String app = net.appIpv4().getHostAddress();

                net.runInPeer("ip", "neigh", "replace", app, "lladdr", "02:00:5e:00:00:01", "dev", net.peerInterface());
                long first = awaitAbove(changes::generation, start);
                net.runInPeer("ip", "neigh", "replace", app, "lladdr", "02:00:5e:00:00:01", "dev", net.peerInterface(),
                        "nud", "stale");
                net.runInPeer("ip", "neigh", "replace", app, "lladdr", "02:00:5e:00:00:02", "dev", net.peerInterface());
                long second = awaitAbove(changes::generation, first);

                assertThat(second).as("the STALE announcement with the same MAC did not count").isEqualTo(first + 1);
            }
        }
    }

    @Test
    void routesThroughTheWatchedInterfaceCountOthersDoNot() throws Exception {
        try (VethNamespace net = VethNamespace.create(1)) {
            RoutingChanges changes = net.inPeer(() -> RoutingChanges.open("routing-changes-test"));
            try (changes) {
                int peer = net.inPeer(() -> InterfaceIndexes.of(net.peerInterface()));
                changes.watch(peer);
                String subnet = net.appIpv4().getHostAddress().replaceAll("\\.1$", "");
                long start = changes.generation();

                net.runInPeer("ip", "route", "add", subnet + ".200/32", "dev", "lo");
                net.runInPeer("ip", "route", "add", subnet + ".201/32", "via", net.appIpv4().getHostAddress(), "dev",
                        net.peerInterface());
                long first = awaitAbove(changes::generation, start);
                net.runInPeer("ip", "route", "del", subnet + ".201/32");
                long second = awaitAbove(changes::generation, first);

                assertThat(first).as("the route via lo did not count").isEqualTo(start + 1);
                assertThat(second).isEqualTo(first + 1);
            }
        }
    }

    @Test
    void closeStopsTheThreadAndIsIdempotent() throws Exception {
        try (VethNamespace net = VethNamespace.create(1)) {
            RoutingChanges changes = net.inPeer(() -> RoutingChanges.open("routing-changes-close-test"));
            changes.close();
            changes.close();

            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .doesNotContain("routing-changes-close-test");
        }
    }

    /** Waits up to 5 s for {@code value} to exceed {@code floor}, then 200 ms more for anything else to arrive. */
    private static long awaitAbove(LongSupplier value, long floor) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (value.getAsLong() <= floor && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(200);
        return value.getAsLong();
    }
}
