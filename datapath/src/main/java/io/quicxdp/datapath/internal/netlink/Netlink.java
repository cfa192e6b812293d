package io.quicxdp.datapath.internal.netlink;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * Numbers and alignment rules of the netlink wire format, from netlink(7), rtnetlink(7) and the kernel's
 * UAPI headers ({@code linux/netlink.h}, {@code linux/rtnetlink.h}, {@code linux/if_link.h},
 * {@code linux/neighbour.h}).
 *
 * <p>A message is a 16-byte {@code struct nlmsghdr} (length, type, flags, sequence, port id), a fixed
 * family header, then attributes: each a 4-byte {@code struct rtattr} (length, type) and its value.
 * Messages and attributes start on 4-byte boundaries; the lengths in their headers exclude the padding.
 */
final class Netlink {

    static final int NETLINK_ROUTE = 0;

    static final int SOL_NETLINK = 270;
    static final int NETLINK_ADD_MEMBERSHIP = 1;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;

    static final int ALIGNMENT = 4;
    static final int HEADER_LENGTH = 16;
    static final int ATTRIBUTE_HEADER_LENGTH = 4;

    /** Attribute type bits: the rest are the nested and byte-order flags. */
    static final int ATTRIBUTE_TYPE_MASK = 0x3fff;

    // struct nlmsghdr field offsets
    static final int LENGTH_OFFSET = 0;
    static final int TYPE_OFFSET = 4;
    static final int FLAGS_OFFSET = 6;
    static final int SEQUENCE_OFFSET = 8;
    static final int PORT_OFFSET = 12;

    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;

    static final int NLM_F_REQUEST = 0x01;
    static final int NLM_F_ACK = 0x04;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_CREATE = 0x400;
    /** On an {@code NLMSG_ERROR}: only the header of the failed request is echoed. */
    static final int NLM_F_CAPPED = 0x100;
    /** On an {@code NLMSG_ERROR}: extended-ack attributes follow the echoed request. */
    static final int NLM_F_ACK_TLVS = 0x200;

    static final int NLMSGERR_ATTR_MSG = 1;

    static final int RTM_NEWLINK = 16;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int RTM_GETROUTE = 26;
    static final int RTM_NEWNEIGH = 28;
    static final int RTM_DELNEIGH = 29;
    static final int RTM_GETNEIGH = 30;
    static final int RTM_NEWNEXTHOP = 104;
    static final int RTM_DELNEXTHOP = 105;

    /** Multicast groups ({@code enum rtnetlink_groups}), joined with {@code NETLINK_ADD_MEMBERSHIP}. */
    static final int RTNLGRP_NEIGH = 3;
    static final int RTNLGRP_IPV4_ROUTE = 7;
    static final int RTNLGRP_IPV6_ROUTE = 11;
    static final int RTNLGRP_NEXTHOP = 32;

    /** {@code struct ifinfomsg}: family, pad, type, index, flags, change. */
    static final int IFINFOMSG_LENGTH = 16;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_EXT_MASK = 29;
    static final int IFLA_XDP = 43;
    static final int IFLA_XDP_PROG_ID = 4;
    static final int IFLA_XDP_DRV_PROG_ID = 5;
    static final int IFLA_XDP_SKB_PROG_ID = 6;
    static final int IFLA_NUM_TX_QUEUES = 31;
    static final int IFLA_NUM_RX_QUEUES = 32;
    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    static final int IFF_UP = 0x1;
    static final int IFF_RUNNING = 0x40;

    /** {@code struct rtmsg}: family, dst_len, src_len, tos, table, protocol, scope, type, flags. */
    static final int RTMSG_LENGTH = 12;
    static final int RTMSG_TYPE_OFFSET = 7;
    static final int RTMSG_FLAGS_OFFSET = 8;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PREFSRC = 7;
    static final int RTA_MULTIPATH = 9;
    static final int RTA_VIA = 18;
    static final int RTN_UNICAST = 1;
    /** On a route message: an entry of the route cache (IPv6 exceptions), not a route of a table. */
    static final int RTM_F_CLONED = 0x200;

    /** {@code struct rtnexthop} inside {@code RTA_MULTIPATH}: length (u16), flags, hops, interface index. */
    static final int RTNEXTHOP_LENGTH = 8;
    static final int RTNEXTHOP_IFINDEX_OFFSET = 4;

    /** {@code struct nhmsg}: family, scope, protocol, reserved, flags. */
    static final int NHMSG_LENGTH = 8;
    static final int NHA_OIF = 5;

    /** {@code struct ndmsg}: family, pad1, pad2, ifindex, state, flags, type. */
    static final int NDMSG_LENGTH = 12;
    static final int NDMSG_FAMILY_OFFSET = 0;
    static final int NDMSG_IFINDEX_OFFSET = 4;
    static final int NDMSG_STATE_OFFSET = 8;
    static final int NDA_DST = 1;
    static final int NDA_LLADDR = 2;
    static final int NTF_USE = 0x01;

    static final int NUD_NONE = 0x00;
    static final int NUD_INCOMPLETE = 0x01;
    static final int NUD_REACHABLE = 0x02;
    static final int NUD_STALE = 0x04;
    static final int NUD_DELAY = 0x08;
    static final int NUD_PROBE = 0x10;
    static final int NUD_FAILED = 0x20;
    static final int NUD_NOARP = 0x40;
    static final int NUD_PERMANENT = 0x80;

    /** States whose link-layer address may be used to send: confirmed, or not yet known to be wrong. */
    static final int NUD_USABLE = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

    private Netlink() {
    }

    /** Rounds a length up to the 4-byte boundary messages and attributes start on. */
    static int align(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** The kernel's message ({@code NLMSGERR_ATTR_MSG}) in the {@code NLMSG_ERROR} at {@code offset}, or null. */
    static String extendedAckMessage(ByteBuffer buffer, int offset, int length) {
        int flags = buffer.getShort(offset + FLAGS_OFFSET) & 0xffff;
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        // struct nlmsgerr: the error code, then the failed request's header and, unless capped, its payload
        int echoed = offset + HEADER_LENGTH + 4;
        int attributes = (flags & NLM_F_CAPPED) != 0 ? echoed + HEADER_LENGTH
                : echoed + align(buffer.getInt(echoed + LENGTH_OFFSET));
        return NetlinkAttributes.parse(buffer, attributes, offset + length).string(NLMSGERR_ATTR_MSG);
    }

    /** A 6-byte hardware address as the low 48 bits of a long, first byte most significant. */
    static long macToLong(byte[] mac) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("not a 6-byte MAC address: " + mac.length + " bytes");
        }
        long value = 0;
        for (byte b : mac) {
            value = value << 8 | (b & 0xff);
        }
        return value;
    }

    /** The conventional text form, such as {@code 02:00:5e:10:00:01}. */
    static String macToString(long mac) {
        byte[] bytes = new byte[6];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }

    /** The name of a neighbour state, as {@code ip neigh} prints it. */
    static String neighbourStateName(int state) {
        return switch (state) {
            case NUD_NONE -> "NONE";
            case NUD_INCOMPLETE -> "INCOMPLETE";
            case NUD_REACHABLE -> "REACHABLE";
            case NUD_STALE -> "STALE";
            case NUD_DELAY -> "DELAY";
            case NUD_PROBE -> "PROBE";
            case NUD_FAILED -> "FAILED";
            case NUD_NOARP -> "NOARP";
            case NUD_PERMANENT -> "PERMANENT";
            default -> "0x" + Integer.toHexString(state);
        };
    }
}
