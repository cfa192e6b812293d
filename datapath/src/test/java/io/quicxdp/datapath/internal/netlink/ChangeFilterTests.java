package io.quicxdp.datapath.internal.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which announcements count as a change of where frames go, built byte by byte without the kernel. */
class ChangeFilterTests {

    private static final int WATCHED = 7;

    private static final int OTHER = 3;

    private static final int AF_BRIDGE = 7;

    private static final byte[] PEER = {(byte) 198, 18, 1, 2};

    private static final byte[] PEER_IPV6 = {(byte) 0xfd, 0, 1, (byte) 0x98, 0, 0x18, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};

    private static final byte[] MAC = {2, 0, 0, 0, 0, 1};

    private static final byte[] OTHER_MAC = {2, 0, 0, 0, 0, 2};

    private final ChangeFilter filter = new ChangeFilter();

    @BeforeEach
    void watchOneInterface() {
        filter.watch(WATCHED, 12);
    }

    @Test
    void aNeighbourCountsWhenItsMacIsNewOrDifferentNotWhenItIsConfirmedAgain() {
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC))).isTrue();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_STALE, PEER, MAC))).isFalse();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC))).isFalse();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_STALE, PEER, OTHER_MAC))).isTrue();
        assertThat(changed(neighbour(Sockets.AF_INET6, WATCHED, Netlink.NUD_REACHABLE, PEER_IPV6, MAC))).isTrue();
        assertThat(changed(neighbour(Sockets.AF_INET6, WATCHED, Netlink.NUD_DELAY, PEER_IPV6, MAC))).isFalse();
    }

    @Test
    void aNeighbourWithoutAMacOrDeletedDoesNotCountButKeepsItsLastMac() {
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC))).isTrue();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_FAILED, PEER, null))).isFalse();
        assertThat(changed(message(Netlink.RTM_DELNEIGH, neighbourBody(Sockets.AF_INET, WATCHED, Netlink.NUD_STALE,
                PEER, MAC)))).isFalse();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC)))
                .as("back with the same MAC").isFalse();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, OTHER_MAC)))
                .as("back with another MAC").isTrue();
    }

    @Test
    void neighboursOfOtherInterfacesAndBridgeEntriesDoNotCount() {
        assertThat(changed(neighbour(Sockets.AF_INET, OTHER, Netlink.NUD_REACHABLE, PEER, MAC))).isFalse();
        assertThat(changed(neighbour(AF_BRIDGE, WATCHED, Netlink.NUD_REACHABLE, new byte[0], MAC))).isFalse();
    }

    @Test
    void afterForgettingEveryNeighbourCountsOnceMore() {
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC))).isTrue();
        filter.forget();
        assertThat(changed(neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_STALE, PEER, MAC))).isTrue();
    }

    @Test
    void withoutWatchedInterfacesEveryInterfaceCounts() {
        ChangeFilter all = new ChangeFilter();
        byte[] neighbour = neighbour(Sockets.AF_INET, OTHER, Netlink.NUD_REACHABLE, PEER, MAC);
        assertThat(all.changed(buffer(neighbour), neighbour.length)).isTrue();
    }

    @Test
    void routesCountWhenTheyLeaveThroughAWatchedInterfaceOrNone() {
        assertThat(changed(route(Netlink.RTM_NEWROUTE, 0, attribute(Netlink.RTA_OIF, intBytes(WATCHED))))).isTrue();
        assertThat(changed(route(Netlink.RTM_DELROUTE, 0, attribute(Netlink.RTA_OIF, intBytes(WATCHED))))).isTrue();
        assertThat(changed(route(Netlink.RTM_NEWROUTE, 0, attribute(Netlink.RTA_OIF, intBytes(OTHER))))).isFalse();
        assertThat(changed(route(Netlink.RTM_NEWROUTE, 0, new byte[0]))).as("blackhole").isTrue();
        assertThat(changed(route(Netlink.RTM_NEWROUTE, Netlink.RTM_F_CLONED,
                attribute(Netlink.RTA_OIF, intBytes(WATCHED))))).as("route cache entry").isFalse();
    }

    @Test
    void multipathRoutesCountWhenOneOfTheirHopsLeavesThroughAWatchedInterface() {
        byte[] watched = concat(rtnexthop(OTHER), rtnexthop(12));
        byte[] others = concat(rtnexthop(OTHER), rtnexthop(OTHER + 1));
        assertThat(changed(route(Netlink.RTM_NEWROUTE, 0, attribute(Netlink.RTA_MULTIPATH, watched)))).isTrue();
        assertThat(changed(route(Netlink.RTM_NEWROUTE, 0, attribute(Netlink.RTA_MULTIPATH, others)))).isFalse();
    }

    @Test
    void nextHopObjectsCountThroughAWatchedInterfaceOrAsGroups() {
        byte[] header = new byte[Netlink.NHMSG_LENGTH];
        assertThat(changed(message(Netlink.RTM_NEWNEXTHOP, concat(header,
                attribute(Netlink.NHA_OIF, intBytes(WATCHED)))))).isTrue();
        assertThat(changed(message(Netlink.RTM_DELNEXTHOP, concat(header,
                attribute(Netlink.NHA_OIF, intBytes(OTHER)))))).isFalse();
        assertThat(changed(message(Netlink.RTM_NEWNEXTHOP, header))).as("group").isTrue();
    }

    @Test
    void everyMessageOfADatagramIsLookedAt() {
        byte[] first = neighbour(Sockets.AF_INET, WATCHED, Netlink.NUD_REACHABLE, PEER, MAC);
        byte[] second = neighbour(Sockets.AF_INET6, WATCHED, Netlink.NUD_REACHABLE, PEER_IPV6, MAC);
        assertThat(changed(concat(first, second))).isTrue();
        assertThat(changed(neighbour(Sockets.AF_INET6, WATCHED, Netlink.NUD_STALE, PEER_IPV6, MAC)))
                .as("the second message's MAC was recorded too").isFalse();
        assertThat(changed(concat(first, route(Netlink.RTM_NEWROUTE, 0, attribute(Netlink.RTA_OIF,
                intBytes(WATCHED)))))).isTrue();
    }

    @Test
    void aTruncatedDatagramCounts() {
        byte[] neighbour = neighbour(Sockets.AF_INET, OTHER, Netlink.NUD_REACHABLE, PEER, MAC);
        assertThat(filter.changed(buffer(neighbour), neighbour.length - 4)).isTrue();
    }

    private boolean changed(byte[] datagram) {
        return filter.changed(buffer(datagram), datagram.length);
    }

    private static ByteBuffer buffer(byte[] datagram) {
        ByteBuffer buffer = DirectBuffers.allocate(datagram.length);
        buffer.put(0, datagram);
        return buffer;
    }

    private static byte[] neighbour(int family, int interfaceIndex, int state, byte[] address, byte[] mac) {
        return message(Netlink.RTM_NEWNEIGH, neighbourBody(family, interfaceIndex, state, address, mac));
    }

    private static byte[] neighbourBody(int family, int interfaceIndex, int state, byte[] address, byte[] mac) {
        ByteBuffer header = order(ByteBuffer.allocate(Netlink.NDMSG_LENGTH));
        header.put(0, (byte) family).putInt(Netlink.NDMSG_IFINDEX_OFFSET, interfaceIndex)
                .putShort(Netlink.NDMSG_STATE_OFFSET, (short) state);
        byte[] body = concat(header.array(), attribute(Netlink.NDA_DST, address));
        return mac == null ? body : concat(body, attribute(Netlink.NDA_LLADDR, mac));
    }

    private static byte[] route(int type, int flags, byte[] attributes) {
        ByteBuffer header = order(ByteBuffer.allocate(Netlink.RTMSG_LENGTH));
        header.put(0, (byte) Sockets.AF_INET).putInt(Netlink.RTMSG_FLAGS_OFFSET, flags);
        return message(type, concat(header.array(), attributes));
    }

    private static byte[] rtnexthop(int interfaceIndex) {
        ByteBuffer hop = order(ByteBuffer.allocate(Netlink.RTNEXTHOP_LENGTH));
        hop.putShort(0, (short) Netlink.RTNEXTHOP_LENGTH).putInt(Netlink.RTNEXTHOP_IFINDEX_OFFSET, interfaceIndex);
        return hop.array();
    }

    private static byte[] message(int type, byte[] body) {
        ByteBuffer header = order(ByteBuffer.allocate(Netlink.HEADER_LENGTH));
        header.putInt(Netlink.LENGTH_OFFSET, Netlink.HEADER_LENGTH + body.length)
                .putShort(Netlink.TYPE_OFFSET, (short) type);
        return pad(concat(header.array(), body));
    }

    private static byte[] attribute(int type, byte[] value) {
        ByteBuffer header = order(ByteBuffer.allocate(Netlink.ATTRIBUTE_HEADER_LENGTH));
        header.putShort(0, (short) (Netlink.ATTRIBUTE_HEADER_LENGTH + value.length)).putShort(2, (short) type);
        return pad(concat(header.array(), value));
    }

    private static byte[] intBytes(int value) {
        return order(ByteBuffer.allocate(4)).putInt(0, value).array();
    }

    private static ByteBuffer order(ByteBuffer buffer) {
        return buffer.order(ByteOrder.nativeOrder());
    }

    private static byte[] pad(byte[] bytes) {
        return java.util.Arrays.copyOf(bytes, Netlink.align(bytes.length));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
