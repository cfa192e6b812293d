package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.packet.UdpFrameParser;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Demultiplexing by destination port and address: the most specific endpoint wins. */
class EndpointTableTests {

    private static final DatagramHandler IGNORE = datagram -> { };

    private final EndpointTable table = new EndpointTable();

    private final ByteBuffer frame = ByteBuffer.allocate(2048);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    @Test
    void noEndpointForAnUnboundPort() throws Exception {
        table.add(endpoint(null, 4433, null));
        assertThat(table.find(frame, ipv4("198.18.0.2", 5000, "198.18.0.1", 4434), null)).isNull();
    }

    @Test
    void specificAddressBeatsWildcardAndConnectedBeatsBoth() throws Exception {
        Binding wildcard = endpoint(null, 4433, null);
        Binding specific = endpoint("198.18.0.1", 4433, null);
        Binding connected = endpoint("198.18.0.1", 4433, UdpPeer.of(
                new java.net.InetSocketAddress(InetAddress.getByName("198.18.0.2"), 5000)));
        table.add(wildcard);
        table.add(specific);
        table.add(connected);
        assertThat(table.find(frame, ipv4("198.18.0.2", 5000, "198.18.0.1", 4433), null)).isSameAs(connected);
        assertThat(table.find(frame, ipv4("198.18.0.2", 5001, "198.18.0.1", 4433), null)).isSameAs(specific);
        assertThat(table.find(frame, ipv4("198.18.0.2", 5000, "198.18.0.9", 4433), null)).isSameAs(wildcard);
        assertThat(table.find(frame, ipv6("fd00:198:18::2", 5000, "fd00:198:18::1", 4433), null)).isSameAs(wildcard);
        table.close(wildcard);
        assertThat(table.find(frame, ipv4("198.18.0.2", 5000, "198.18.0.9", 4433), null)).isNull();
    }

    @Test
    void ipv6SpecificAddressMatchesAllSixteenBytes() throws Exception {
        Binding specific = endpoint("fd00:198:18::1", 4433, null);
        table.add(specific);
        assertThat(table.find(frame, ipv6("fd00:198:18::2", 5000, "fd00:198:18::1", 4433), null)).isSameAs(specific);
        assertThat(table.find(frame, ipv6("fd00:198:18::2", 5000, "fd00:198:19::1", 4433), null)).isNull();
        assertThat(table.find(frame, ipv4("198.18.0.2", 5000, "198.18.0.1", 4433), null)).isNull();
    }

    @Test
    void bindingTheSameAddressAndPortTwiceIsRefused() throws Exception {
        table.add(endpoint("198.18.0.1", 4433, null));
        assertThatIllegalStateException().isThrownBy(() -> table.add(endpoint("198.18.0.1", 4433, null)))
                .withMessageContaining("already bound");
    }

    private static Binding endpoint(String local, int port, UdpPeer remote) throws Exception {
        return new Binding(local == null ? null : InetAddress.getByName(local), port, remote, IGNORE, null, null, null);
    }

    private ParsedUdpFrame ipv4(String source, int sourcePort, String destination, int destinationPort)
            throws Exception {
        int length = UdpFrameWriter.writeIpv4(frame, 0, 0x020000000001L, 0x020000000002L,
                ByteBuffer.wrap(InetAddress.getByName(source).getAddress()).getInt(),
                ByteBuffer.wrap(InetAddress.getByName(destination).getAddress()).getInt(), sourcePort,
                destinationPort, ByteBuffer.allocate(4), 0, 4);
        assertThat(UdpFrameParser.parse(frame, 0, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
        return parsed;
    }

    private ParsedUdpFrame ipv6(String source, int sourcePort, String destination, int destinationPort)
            throws Exception {
        InetAddress from = InetAddress.getByName(source);
        InetAddress to = InetAddress.getByName(destination);
        int length = UdpFrameWriter.writeIpv6(frame, 0, 0x020000000001L, 0x020000000002L, IpAddresses.high(from),
                IpAddresses.low(from), IpAddresses.high(to), IpAddresses.low(to), sourcePort, destinationPort,
                ByteBuffer.allocate(4), 0, 4);
        assertThat(UdpFrameParser.parse(frame, 0, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
        return parsed;
    }
}
