package io.quicxdp.datapath.internal.bpf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Hand-built Ethernet frames for test runs of XDP programs; checksums are left zero, XDP does not look. */
final class TestFrames {

    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86dd;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;
    /** IPv6 fragment extension header. */
    static final int IPPROTO_FRAGMENT = 44;
    static final int IPV4_MORE_FRAGMENTS = 0x2000;

    /** The addresses {@link #ipv4} and {@link #ipv6} write: from the first, to the second. */
    static final String[] IPV4_ADDRESSES = {"198.18.0.2", "198.18.0.1"};

    static final String[] IPV6_ADDRESSES = {"fd00:198:18::2", "fd00:198:18::1"};

    private static final byte[] PAYLOAD = "hello".getBytes(StandardCharsets.US_ASCII);

    private TestFrames() {
    }

    /** UDP over IPv4 to {@code port}, with {@code optionWords} 4-byte words of IP options. */
    static byte[] ipv4Udp(int port, int optionWords) {
        return ipv4(IPPROTO_UDP, optionWords, 0, udp(port));
    }

    /** UDP over IPv4 to {@code port} with the given flags-and-fragment-offset field. */
    static byte[] ipv4UdpFragment(int port, int flagsAndOffset) {
        return ipv4(IPPROTO_UDP, 0, flagsAndOffset, udp(port));
    }

    /** A TCP segment header over IPv4 to {@code port}. */
    static byte[] ipv4Tcp(int port) {
        byte[] tcp = new byte[20];
        ByteBuffer.wrap(tcp).putShort(0, (short) 40000).putShort(2, (short) port).put(12, (byte) 0x50);
        return ipv4(IPPROTO_TCP, 0, 0, tcp);
    }

    /** An IPv4 header whose version and IHL byte is {@code versionAndIhl}, then UDP to {@code port}. */
    static byte[] ipv4WithVersionAndIhl(int versionAndIhl, int port) {
        byte[] frame = ipv4Udp(port, 0);
        frame[14] = (byte) versionAndIhl;
        return frame;
    }

    static byte[] ipv4(int protocol, int optionWords, int flagsAndOffset, byte[] payload) {
        int headerLength = 20 + optionWords * 4;
        ByteBuffer ip = ByteBuffer.allocate(headerLength + payload.length);
        ip.put(0, (byte) (0x40 | (5 + optionWords))).putShort(2, (short) (headerLength + payload.length))
                .putShort(4, (short) 0x1234).putShort(6, (short) flagsAndOffset).put(8, (byte) 64)
                .put(9, (byte) protocol)
                .put(12, new byte[] {(byte) 198, 18, 0, 2}).put(16, new byte[] {(byte) 198, 18, 0, 1});
        for (int i = 20; i < headerLength; i++) {
            ip.put(i, (byte) 1); // NOP options
        }
        ip.put(headerLength, payload);
        return ethernet(ETH_P_IP, ip.array());
    }

    /** UDP over IPv6 to {@code port}. */
    static byte[] ipv6Udp(int port) {
        return ipv6(IPPROTO_UDP, udp(port));
    }

    /** UDP over IPv6 to {@code port} behind a fragment extension header. */
    static byte[] ipv6UdpFragment(int port) {
        byte[] fragmentHeader = new byte[8];
        fragmentHeader[0] = IPPROTO_UDP;
        byte[] udp = udp(port);
        byte[] payload = Arrays.copyOf(fragmentHeader, 8 + udp.length);
        System.arraycopy(udp, 0, payload, 8, udp.length);
        return ipv6(IPPROTO_FRAGMENT, payload);
    }

    static byte[] ipv6(int nextHeader, byte[] payload) {
        ByteBuffer ip = ByteBuffer.allocate(40 + payload.length);
        ip.putInt(0, 0x6000_0000).putShort(4, (short) payload.length).put(6, (byte) nextHeader).put(7, (byte) 64);
        ip.put(8, new byte[] {(byte) 0xfd, 0, 1, (byte) 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        ip.put(24, new byte[] {(byte) 0xfd, 0, 1, (byte) 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        ip.put(40, payload);
        return ethernet(ETH_P_IPV6, ip.array());
    }

    /** An ARP request. */
    static byte[] arp() {
        byte[] arp = new byte[28];
        ByteBuffer.wrap(arp).putShort(0, (short) 1).putShort(2, (short) ETH_P_IP).put(4, (byte) 6).put(5, (byte) 4)
                .putShort(6, (short) 1);
        return ethernet(ETH_P_ARP, arp);
    }

    static byte[] ethernet(int etherType, byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(14 + payload.length);
        frame.put(0, new byte[] {2, 0, 0, 0, 0, 1}).put(6, new byte[] {2, 0, 0, 0, 0, 2})
                .putShort(12, (short) etherType).put(14, payload);
        return frame.array();
    }

    private static byte[] udp(int port) {
        return udp(40000, port, PAYLOAD);
    }

    /** A UDP header from {@code sourcePort} to {@code port}, then {@code payload}. */
    static byte[] udp(int sourcePort, int port, byte[] payload) {
        ByteBuffer udp = ByteBuffer.allocate(8 + payload.length);
        udp.putShort(0, (short) sourcePort).putShort(2, (short) port).putShort(4, (short) (8 + payload.length))
                .put(8, payload);
        return udp.array();
    }
}
