package io.quicxdp.datapath.internal.netlink;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The attributes of one received message, indexed by type, read from the receive buffer on demand.
 *
 * <p>Valid only until the buffer is reused by the next receive: callers copy out what they keep.
 * When a type occurs more than once the first occurrence counts. Parsing stops at the first attribute
 * whose length is impossible, as the {@code RTA_OK} macro does.
 */
final class NetlinkAttributes {

    private final ByteBuffer buffer;

    /** Offset of each type's value, or 0 when absent (no value starts at offset 0, the message header does). */
    private int[] offsets = new int[16];

    private int[] lengths = new int[16];

    private NetlinkAttributes(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Indexes the attributes found between {@code start} and {@code end} of {@code buffer}. */
    static NetlinkAttributes parse(ByteBuffer buffer, int start, int end) {
        NetlinkAttributes attributes = new NetlinkAttributes(buffer);
        int offset = start;
        while (offset + Netlink.ATTRIBUTE_HEADER_LENGTH <= end) {
            int length = buffer.getShort(offset) & 0xffff;
            if (length < Netlink.ATTRIBUTE_HEADER_LENGTH || offset + length > end) {
                break;
            }
            int type = buffer.getShort(offset + 2) & Netlink.ATTRIBUTE_TYPE_MASK;
            attributes.record(type, offset + Netlink.ATTRIBUTE_HEADER_LENGTH, length - Netlink.ATTRIBUTE_HEADER_LENGTH);
            offset += Netlink.align(length);
        }
        return attributes;
    }

    /** Whether an attribute of {@code type} is present. */
    boolean has(int type) {
        return type < offsets.length && offsets[type] != 0;
    }

    /** A native-order 32-bit value, or {@code absent} when there is none. */
    int u32(int type, int absent) {
        return has(type) && lengths[type] >= 4 ? buffer.getInt(offsets[type]) : absent;
    }

    /** The attributes nested in the value of {@code type}, or null when absent. */
    NetlinkAttributes nested(int type) {
        return has(type) ? parse(buffer, offsets[type], offsets[type] + lengths[type]) : null;
    }

    /** A copy of the value, or null when absent. */
    byte[] bytes(int type) {
        if (!has(type)) {
            return null;
        }
        byte[] value = new byte[lengths[type]];
        buffer.get(offsets[type], value);
        return value;
    }

    /** A NUL-terminated string value, or null when absent. */
    String string(int type) {
        byte[] value = bytes(type);
        if (value == null) {
            return null;
        }
        int end = 0;
        while (end < value.length && value[end] != 0) {
            end++;
        }
        return new String(value, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * An IPv4 or IPv6 address value, or null when absent. An IPv6 link-local address gets
     * {@code scopeInterface} as its scope, since it means nothing without its link.
     */
    InetAddress address(int type, int scopeInterface) {
        return toAddress(bytes(type), scopeInterface);
    }

    /** An address from its 4 or 16 network-order bytes; link-local IPv6 ones scoped to {@code scopeInterface}. */
    static InetAddress toAddress(byte[] raw, int scopeInterface) {
        if (raw == null) {
            return null;
        }
        try {
            InetAddress address = InetAddress.getByAddress(raw);
            if (address instanceof Inet6Address && address.isLinkLocalAddress() && scopeInterface > 0) {
                return Inet6Address.getByAddress(null, raw, scopeInterface);
            }
            return address;
        }
        catch (UnknownHostException ex) {
            throw new IllegalStateException("address attribute of " + raw.length + " bytes", ex);
        }
    }

    private void record(int type, int valueOffset, int valueLength) {
        if (type >= offsets.length) {
            int size = Math.max(type + 1, offsets.length * 2);
            offsets = Arrays.copyOf(offsets, size);
            lengths = Arrays.copyOf(lengths, size);
        }
        if (offsets[type] == 0) {
            offsets[type] = valueOffset;
            lengths[type] = valueLength;
        }
    }
}
