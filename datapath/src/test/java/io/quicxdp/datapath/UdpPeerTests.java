package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a peer's route may be used as it is, and how failed lookups back off; no kernel involved. */
class UdpPeerTests {

    private static final long MAC = 0x02005e000001L;

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final UdpPeer peer = UdpPeer.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5000));

    @Test
    void aNewPeerHasNoRoute() {
        assertThat(peer.hasRoute()).isFalse();
        assertThat(peer.routeCurrent(0)).isFalse();
    }

    @Test
    void aRouteIsCurrentUntilTheRoutingGenerationMovesOn() {
        peer.routed(MAC, null, 5, System.nanoTime() + SECOND);

        assertThat(peer.routeCurrent(5)).isTrue();
        assertThat(peer.routeCurrent(6)).isFalse();
    }

    @Test
    void aRouteIsCurrentUntilItsAgeIsReached() {
        peer.routed(MAC, null, 5, System.nanoTime() - 1);

        assertThat(peer.hasRoute()).isTrue();
        assertThat(peer.routeCurrent(5)).isFalse();
    }

    @Test
    void aLookupWaitingToBeCollectedMakesTheRouteNotCurrent() {
        peer.routed(MAC, null, 5, System.nanoTime() + SECOND);
        peer.lookup = new RouteLookup(InetAddress.getLoopbackAddress(), false, 0, 5, System.nanoTime());

        assertThat(peer.routeCurrent(5)).isFalse();
    }

    @Test
    void aFailedLookupKeepsTheRouteAndBacksOffDoublingUpToTheLimit() {
        peer.routed(MAC, null, 5, System.nanoTime() - 1);
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(300);

        peer.lookupFailed(6, now, limit);
        assertThat(peer.retryDelay).isEqualTo(UdpPeer.FIRST_RETRY_NANOS);
        assertThat(peer.lookUpAt).isEqualTo(now + UdpPeer.FIRST_RETRY_NANOS);
        assertThat(peer.nextHopMac).isEqualTo(MAC);
        assertThat(peer.routeCurrent(6)).as("the kept route is used until the retry").isTrue();
        assertThat(peer.routeCurrent(7)).as("a routing change retries at once").isFalse();

        peer.lookupFailed(6, now, limit);
        assertThat(peer.retryDelay).isEqualTo(2 * UdpPeer.FIRST_RETRY_NANOS);
        peer.lookupFailed(6, now, limit);
        assertThat(peer.retryDelay).isEqualTo(4 * UdpPeer.FIRST_RETRY_NANOS);
        peer.lookupFailed(6, now, limit);
        assertThat(peer.retryDelay).isEqualTo(limit);
        peer.lookupFailed(6, now, limit);
        assertThat(peer.retryDelay).isEqualTo(limit);

        peer.routed(MAC + 1, null, 7, now + SECOND);
        assertThat(peer.retryDelay).isZero();
        assertThat(peer.nextHopMac).isEqualTo(MAC + 1);
    }

    @Test
    void aSuccessfulLookupClearsTheFailureOfAPeerThatHadNoRoute() {
        peer.routeFailure = "cannot send to /127.0.0.1: no MAC address";
        peer.lookupFailed(5, System.nanoTime(), SECOND);

        peer.routed(MAC, null, 6, System.nanoTime() + SECOND);

        assertThat(peer.routeFailure).isNull();
        assertThat(peer.routeCurrent(6)).isTrue();
    }

    @Test
    void pointingThePeerElsewhereForgetsItsRoute() {
        peer.routed(MAC, null, 5, System.nanoTime() + SECOND);
        peer.lookup = new RouteLookup(InetAddress.getLoopbackAddress(), false, 0, 5, System.nanoTime());
        peer.routeFailure = "failed";
        peer.retryDelay = SECOND;

        peer.set(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5001));

        assertThat(peer.hasRoute()).isFalse();
        assertThat(peer.transmitter).isNull();
        assertThat(peer.lookup).isNull();
        assertThat(peer.routeFailure).isNull();
        assertThat(peer.retryDelay).isZero();
    }
}
