package io.quicxdp.datapath;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * IP addresses as two longs, the form the hot path compares and writes without allocating: an IPv6
 * address is its 16 bytes big-endian in {@code high} and {@code low}; an IPv4 address sits in the low 32
 * bits of {@code low} with {@code high} zero.
 */
final class IpAddresses {

    private IpAddresses() {
    }

    static boolean isIpv6(InetAddress address) {
        return address instanceof Inet6Address;
    }

    static long high(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 16 ? ByteBuffer.wrap(bytes).getLong(0) : 0;
    }

    static long low(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 16 ? ByteBuffer.wrap(bytes).getLong(8) : ByteBuffer.wrap(bytes).getInt(0) & 0xffffffffL;
    }

    static InetAddress toInetAddress(boolean ipv6, long high, long low) {
        ByteBuffer bytes = ByteBuffer.allocate(ipv6 ? 16 : 4);
        if (ipv6) {
            bytes.putLong(high).putLong(low);
        }
        else {
            bytes.putInt((int) low);
        }
        try {
            return InetAddress.getByAddress(bytes.array());
        }
        catch (UnknownHostException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Whether the address at {@code offset} in a big-endian frame equals {@code (high, low)}. */
    static boolean equalsAt(ByteBuffer frame, int offset, boolean ipv6, long high, long low) {
        if (ipv6) {
            return frame.getLong(offset) == high && frame.getLong(offset + 8) == low;
        }
        return (frame.getInt(offset) & 0xffffffffL) == low;
    }

    static long highAt(ByteBuffer frame, int offset, boolean ipv6) {
        return ipv6 ? frame.getLong(offset) : 0;
    }

    static long lowAt(ByteBuffer frame, int offset, boolean ipv6) {
        return ipv6 ? frame.getLong(offset + 8) : frame.getInt(offset) & 0xffffffffL;
    }

    static boolean isAnyLocal(InetAddress address) {
        return address == null || address.isAnyLocalAddress();
    }
}
