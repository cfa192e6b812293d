package io.quicxdp.datapath.internal.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The netlink message layout, checked byte by byte without the kernel. */
class NetlinkWireFormatTests {

    @Test
    void alignRoundsUpToFourBytes() {
        assertThat(Netlink.align(0)).isZero();
        assertThat(Netlink.align(1)).isEqualTo(4);
        assertThat(Netlink.align(4)).isEqualTo(4);
        assertThat(Netlink.align(9)).isEqualTo(12);
        assertThat(Netlink.align(16)).isEqualTo(16);
    }

    @Test
    void requestHasHeaderFamilyHeaderAndPaddedAttributes() {
        ByteBuffer buffer = DirectBuffers.allocate(128);
        // garbage from an earlier, longer message must not survive in the padding
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.put(i, (byte) 0xee);
        }
        NetlinkRequest request = new NetlinkRequest(buffer).start(Netlink.RTM_GETLINK,
                Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
        request.u8(0).u8(0).u16(0).u32(7).u32(0).u32(0);
        request.attribute(Netlink.IFLA_IFNAME, "veth0");
        request.attribute(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS);
        int length = request.finish(42);

        ByteBuffer expected = ByteBuffer.allocate(52).order(ByteOrder.nativeOrder());
        expected.putInt(52).putShort((short) 18).putShort((short) 5).putInt(42).putInt(0);
        expected.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(7).putInt(0).putInt(0);
        // "veth0" and its NUL: 4 + 6 = 10 bytes, padded to 12
        expected.putShort((short) 10).putShort((short) 3).put("veth0".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 0).put((byte) 0).put((byte) 0);
        expected.putShort((short) 8).putShort((short) 29).putInt(8);

        assertThat(length).isEqualTo(16 + 16 + 12 + 8);
        assertThat(bytes(buffer, length)).isEqualTo(expected.array());
    }

    @Test
    void addressAttributesAreCopiedInNetworkOrder() throws Exception {
        ByteBuffer buffer = DirectBuffers.allocate(64);
        NetlinkRequest request = new NetlinkRequest(buffer).start(Netlink.RTM_GETROUTE, Netlink.NLM_F_REQUEST);
        request.u8(2).u8(32).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        request.attribute(Netlink.RTA_DST, InetAddress.getByName("198.18.1.2"));
        int length = request.finish(1);

        assertThat(length).isEqualTo(16 + 12 + 8);
        assertThat(buffer.getShort(28)).isEqualTo((short) 8);
        assertThat(buffer.getShort(30)).isEqualTo((short) Netlink.RTA_DST);
        assertThat(new byte[] {buffer.get(32), buffer.get(33), buffer.get(34), buffer.get(35)})
                .containsExactly(198, 18, 1, 2);
    }

    @Test
    void attributesAreFoundByTypeAcrossPadding() {
        ByteBuffer buffer = DirectBuffers.allocate(64);
        int end = 0;
        end = putAttribute(buffer, end, Netlink.IFLA_IFNAME, "lo\0".getBytes(StandardCharsets.US_ASCII));
        end = putAttribute(buffer, end, Netlink.IFLA_MTU, intBytes(65536));
        // the nested flag (bit 15) is not part of the type
        end = putAttribute(buffer, end, 0x8000 | 40, new byte[] {1, 2});
        // a second attribute of a type already seen does not replace the first
        end = putAttribute(buffer, end, Netlink.IFLA_MTU, intBytes(1500));

        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 0, end);

        assertThat(attributes.string(Netlink.IFLA_IFNAME)).isEqualTo("lo");
        assertThat(attributes.u32(Netlink.IFLA_MTU, -1)).isEqualTo(65536);
        assertThat(attributes.bytes(40)).containsExactly(1, 2);
        assertThat(attributes.has(Netlink.IFLA_ADDRESS)).isFalse();
        assertThat(attributes.u32(Netlink.IFLA_NUM_RX_QUEUES, -1)).isEqualTo(-1);
        assertThat(attributes.bytes(Netlink.IFLA_ADDRESS)).isNull();
    }

    @Test
    void parsingStopsAtAnAttributeLongerThanTheMessage() {
        ByteBuffer buffer = DirectBuffers.allocate(64);
        int end = putAttribute(buffer, 0, Netlink.IFLA_MTU, intBytes(9000));
        buffer.putShort(end, (short) 200);
        buffer.putShort(end + 2, (short) Netlink.IFLA_IFNAME);

        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 0, end + 8);

        assertThat(attributes.u32(Netlink.IFLA_MTU, -1)).isEqualTo(9000);
        assertThat(attributes.has(Netlink.IFLA_IFNAME)).isFalse();
    }

    @Test
    void extendedAckMessageFollowsTheCappedRequestHeader() {
        ByteBuffer buffer = DirectBuffers.allocate(128);
        int messageStart = 16;
        int offset = messageStart;
        buffer.putInt(offset + 4, Netlink.NLMSG_ERROR);
        buffer.putShort(offset + Netlink.FLAGS_OFFSET, (short) (Netlink.NLM_F_CAPPED | Netlink.NLM_F_ACK_TLVS));
        offset += Netlink.HEADER_LENGTH;
        buffer.putInt(offset, -19);
        // the echoed request header claims a longer request than was echoed, as a capped one does
        buffer.putInt(offset + 4, 64);
        offset += 4 + Netlink.HEADER_LENGTH;
        offset = putAttribute(buffer, offset, Netlink.NLMSGERR_ATTR_MSG,
                "no such device\0".getBytes(StandardCharsets.US_ASCII));
        int length = offset - messageStart;
        buffer.putInt(messageStart, length);

        assertThat(Netlink.extendedAckMessage(buffer, messageStart, length)).isEqualTo("no such device");

        buffer.putShort(messageStart + Netlink.FLAGS_OFFSET, (short) Netlink.NLM_F_CAPPED);
        assertThat(Netlink.extendedAckMessage(buffer, messageStart, length)).isNull();
    }

    @Test
    void macAddressesAreTheLow48BitsFirstByteMostSignificant() {
        byte[] mac = {0x02, 0x00, 0x5e, 0x10, (byte) 0xab, (byte) 0xff};

        long value = Netlink.macToLong(mac);

        assertThat(value).isEqualTo(0x02005e10abffL);
        assertThat(Netlink.macToString(value)).isEqualTo("02:00:5e:10:ab:ff");
    }

    @Test
    void linkLocalIpv6AddressesAreScopedToTheirInterface() throws Exception {
        byte[] linkLocal = InetAddress.getByName("fe80::1").getAddress();
        byte[] global = InetAddress.getByName("fd00:198:18::1").getAddress();

        assertThat(((Inet6Address) NetlinkAttributes.toAddress(linkLocal, 5)).getScopeId()).isEqualTo(5);
        assertThat(((Inet6Address) NetlinkAttributes.toAddress(global, 5)).getScopeId()).isZero();
        assertThat(NetlinkAttributes.toAddress(new byte[] {(byte) 198, 18, 0, 1}, 5).getHostAddress())
                .isEqualTo("198.18.0.1");
    }

    @Test
    void neighbourStatesHaveTheirIpNeighNames() {
        assertThat(Netlink.neighbourStateName(Netlink.NUD_INCOMPLETE)).isEqualTo("INCOMPLETE");
        assertThat(Netlink.neighbourStateName(Netlink.NUD_FAILED)).isEqualTo("FAILED");
        assertThat(Netlink.NUD_USABLE & Netlink.NUD_INCOMPLETE).isZero();
        assertThat(Netlink.NUD_USABLE & Netlink.NUD_FAILED).isZero();
        assertThat(Netlink.NUD_USABLE & Netlink.NUD_STALE).isNotZero();
    }

    private static int putAttribute(ByteBuffer buffer, int offset, int type, byte[] value) {
        buffer.putShort(offset, (short) (4 + value.length));
        buffer.putShort(offset + 2, (short) type);
        buffer.put(offset + 4, value);
        return offset + Netlink.align(4 + value.length);
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    private static byte[] bytes(ByteBuffer buffer, int length) {
        byte[] copy = new byte[length];
        buffer.get(0, copy);
        return copy;
    }
}
