package io.quicxdp.datapath.internal.netlink;

import io.quicxdp.datapath.internal.linux.Sockets;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Decides which of the kernel's route and neighbour announcements can change where frames to a peer must
 * go, for {@link RoutingChanges}. Used by one thread; only {@link #watch} may be called from others.
 *
 * <p>A neighbour counts when it gets a MAC other than the one last announced for it: reachability going
 * STALE, being probed and confirmed again with the same MAC happens all the time and changes nothing. A
 * deletion does not count either: the MAC is kept as last seen, and when the entry comes back with another
 * one, that counts. Routes and next-hop objects count when they leave through a watched interface, or
 * through none (blackhole, unreachable, a group of next hops).
 */
final class ChangeFilter {

    /** More neighbours than a link normally has; past it the MACs are forgotten, so each counts once more. */
    static final int MAX_NEIGHBOURS = 4096;

    /** The watched interface indexes, sorted; null watches every interface. */
    private volatile int[] watched;

    private final Map<NeighbourKey, Long> macs = new HashMap<>();

    /** Counts only changes on these interfaces from now on. */
    void watch(int... interfaceIndexes) {
        int[] sorted = interfaceIndexes.clone();
        Arrays.sort(sorted);
        watched = sorted;
    }

    /** Forgets every MAC seen: after lost announcements they may all be wrong. */
    void forget() {
        macs.clear();
    }

    /** Whether any message among the first {@code length} bytes of {@code buffer} counts as a change. */
    boolean changed(ByteBuffer buffer, int length) {
        boolean changed = false;
        int offset = 0;
        while (offset + Netlink.HEADER_LENGTH <= length) {
            int messageLength = buffer.getInt(offset + Netlink.LENGTH_OFFSET);
            if (messageLength < Netlink.HEADER_LENGTH || offset + messageLength > length) {
                // a datagram the kernel cut short: what it held is unknown
                return true;
            }
            int type = buffer.getShort(offset + Netlink.TYPE_OFFSET) & 0xffff;
            // every message is looked at, so that each neighbour's MAC is recorded
            changed |= counts(type, buffer, offset + Netlink.HEADER_LENGTH, offset + messageLength);
            offset += Netlink.align(messageLength);
        }
        return changed;
    }

    private boolean counts(int type, ByteBuffer buffer, int start, int end) {
        return switch (type) {
            case Netlink.RTM_NEWNEIGH -> neighbourChanged(buffer, start, end);
            case Netlink.RTM_NEWROUTE, Netlink.RTM_DELROUTE -> routeChanged(buffer, start, end);
            case Netlink.RTM_NEWNEXTHOP, Netlink.RTM_DELNEXTHOP -> nextHopChanged(buffer, start, end);
            default -> false;
        };
    }

    private boolean neighbourChanged(ByteBuffer buffer, int start, int end) {
        if (end - start < Netlink.NDMSG_LENGTH) {
            return false;
        }
        int family = buffer.get(start + Netlink.NDMSG_FAMILY_OFFSET) & 0xff;
        int interfaceIndex = buffer.getInt(start + Netlink.NDMSG_IFINDEX_OFFSET);
        // bridge forwarding entries share the group; only ARP and NDP entries hold next hops
        if ((family != Sockets.AF_INET && family != Sockets.AF_INET6) || !watches(interfaceIndex)) {
            return false;
        }
        int state = buffer.getShort(start + Netlink.NDMSG_STATE_OFFSET) & 0xffff;
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.NDMSG_LENGTH, end);
        byte[] destination = attributes.bytes(Netlink.NDA_DST);
        byte[] mac = attributes.bytes(Netlink.NDA_LLADDR);
        if (destination == null || destination.length != (family == Sockets.AF_INET ? 4 : 16) || mac == null
                || mac.length != 6 || (state & Netlink.NUD_USABLE) == 0) {
            return false;
        }
        if (macs.size() >= MAX_NEIGHBOURS) {
            macs.clear();
        }
        Long previous = macs.put(NeighbourKey.of(interfaceIndex, destination), Netlink.macToLong(mac));
        return previous == null || previous != Netlink.macToLong(mac);
    }

    private boolean routeChanged(ByteBuffer buffer, int start, int end) {
        if (end - start < Netlink.RTMSG_LENGTH) {
            return false;
        }
        if ((buffer.getInt(start + Netlink.RTMSG_FLAGS_OFFSET) & Netlink.RTM_F_CLONED) != 0) {
            return false;
        }
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.RTMSG_LENGTH, end);
        if (attributes.has(Netlink.RTA_OIF)) {
            return watches(attributes.u32(Netlink.RTA_OIF, 0));
        }
        byte[] multipath = attributes.bytes(Netlink.RTA_MULTIPATH);
        if (multipath != null) {
            ByteBuffer hops = ByteBuffer.wrap(multipath).order(buffer.order());
            int offset = 0;
            while (offset + Netlink.RTNEXTHOP_LENGTH <= multipath.length) {
                int hopLength = hops.getShort(offset) & 0xffff;
                if (hopLength < Netlink.RTNEXTHOP_LENGTH) {
                    break;
                }
                if (watches(hops.getInt(offset + Netlink.RTNEXTHOP_IFINDEX_OFFSET))) {
                    return true;
                }
                offset += Netlink.align(hopLength);
            }
            return false;
        }
        return true;
    }

    private boolean nextHopChanged(ByteBuffer buffer, int start, int end) {
        if (end - start < Netlink.NHMSG_LENGTH) {
            return false;
        }
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, start + Netlink.NHMSG_LENGTH, end);
        return !attributes.has(Netlink.NHA_OIF) || watches(attributes.u32(Netlink.NHA_OIF, 0));
    }

    private boolean watches(int interfaceIndex) {
        int[] indexes = watched;
        return indexes == null || Arrays.binarySearch(indexes, interfaceIndex) >= 0;
    }

    /** A neighbour: its interface and its IPv4 or IPv6 address, as two longs. */
    private record NeighbourKey(int interfaceIndex, long high, long low) {

        static NeighbourKey of(int interfaceIndex, byte[] address) {
            ByteBuffer bytes = ByteBuffer.wrap(address);
            return address.length == 16 ? new NeighbourKey(interfaceIndex, bytes.getLong(0), bytes.getLong(8))
                    : new NeighbourKey(interfaceIndex, 0, bytes.getInt(0) & 0xffffffffL);
        }
    }
}
