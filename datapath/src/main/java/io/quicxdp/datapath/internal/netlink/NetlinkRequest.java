package io.quicxdp.datapath.internal.netlink;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes one netlink request into a reusable direct buffer: the {@code nlmsghdr}, the family header's
 * fields in order, then attributes, each starting on a 4-byte boundary with zeroed padding.
 *
 * <p>The buffer is in native byte order, as the kernel reads these structures; address bytes are
 * copied as they are, already in network order.
 */
final class NetlinkRequest {

    private final ByteBuffer buffer;

    private int length;

    /** Writes into {@code buffer}, which must be in native byte order. */
    NetlinkRequest(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Starts a new message of {@code type} with {@code flags}; the length and sequence come at {@link #finish}. */
    NetlinkRequest start(int type, int flags) {
        buffer.putInt(Netlink.LENGTH_OFFSET, 0);
        buffer.putShort(Netlink.TYPE_OFFSET, (short) type);
        buffer.putShort(Netlink.FLAGS_OFFSET, (short) flags);
        buffer.putInt(Netlink.SEQUENCE_OFFSET, 0);
        // port id 0 addresses the kernel
        buffer.putInt(Netlink.PORT_OFFSET, 0);
        length = Netlink.HEADER_LENGTH;
        return this;
    }

    /** Appends one byte of the family header. */
    NetlinkRequest u8(int value) {
        ensure(1);
        buffer.put(length, (byte) value);
        length += 1;
        return this;
    }

    /** Appends a 16-bit field of the family header. */
    NetlinkRequest u16(int value) {
        ensure(2);
        buffer.putShort(length, (short) value);
        length += 2;
        return this;
    }

    /** Appends a 32-bit field of the family header. */
    NetlinkRequest u32(int value) {
        ensure(4);
        buffer.putInt(length, value);
        length += 4;
        return this;
    }

    /** Appends an attribute holding {@code value} as is. */
    NetlinkRequest attribute(int type, byte[] value) {
        int start = beginAttribute(type, value.length);
        buffer.put(start + Netlink.ATTRIBUTE_HEADER_LENGTH, value);
        return this;
    }

    /** Appends an attribute holding a native-order 32-bit value. */
    NetlinkRequest attribute(int type, int value) {
        int start = beginAttribute(type, 4);
        buffer.putInt(start + Netlink.ATTRIBUTE_HEADER_LENGTH, value);
        return this;
    }

    /** Appends an attribute holding {@code value} as a NUL-terminated string. */
    NetlinkRequest attribute(int type, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        int start = beginAttribute(type, text.length + 1);
        buffer.put(start + Netlink.ATTRIBUTE_HEADER_LENGTH, text);
        buffer.put(start + Netlink.ATTRIBUTE_HEADER_LENGTH + text.length, (byte) 0);
        return this;
    }

    /** Appends an attribute holding an IPv4 or IPv6 address in network order. */
    NetlinkRequest attribute(int type, InetAddress value) {
        return attribute(type, value.getAddress());
    }

    /**
     * Completes the message: writes its length and sequence number.
     *
     * @return the number of bytes to send from the start of the buffer
     */
    int finish(int sequence) {
        buffer.putInt(Netlink.LENGTH_OFFSET, length);
        buffer.putInt(Netlink.SEQUENCE_OFFSET, sequence);
        return length;
    }

    /** The buffer holding the message. */
    ByteBuffer buffer() {
        return buffer;
    }

    private int beginAttribute(int type, int valueLength) {
        int start = Netlink.align(length);
        int attributeLength = Netlink.ATTRIBUTE_HEADER_LENGTH + valueLength;
        ensure(start - length + Netlink.align(attributeLength));
        // the buffer is reused: padding must not carry bytes of an earlier message
        for (int i = length; i < start; i++) {
            buffer.put(i, (byte) 0);
        }
        buffer.putShort(start, (short) attributeLength);
        buffer.putShort(start + 2, (short) type);
        for (int i = start + attributeLength; i < start + Netlink.align(attributeLength); i++) {
            buffer.put(i, (byte) 0);
        }
        // the message length covers the padding, as libmnl and the kernel's own nla_put do
        length = start + Netlink.align(attributeLength);
        return start;
    }

    private void ensure(int more) {
        if (length + more > buffer.capacity()) {
            throw new IllegalStateException("netlink request longer than " + buffer.capacity() + " bytes");
        }
    }
}
