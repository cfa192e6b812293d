package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The UDP checksums of sent datagrams, left to the kernel through AF_XDP TX metadata or computed by the datapath,
 * are valid where the peer checks them. On veth neither end normally checks: a checksum-partial datagram is
 * trusted on the same host. Here the app end's TX checksum offload is off, so the kernel must finish an offloaded
 * checksum itself before the frame leaves (from the pseudo-header sum and the offsets the metadata gives), and
 * the peer end's RX checksum offload is off, so the peer's UDP layer verifies every checksum and drops a wrong
 * one, counting it in its {@code InCsumErrors}.
 */
class TxChecksumTests {

    private static final int PORT = TestPorts.ECHO;

    private static final Pattern UDP_COUNTERS = Pattern.compile("(?m)^Udp: (\\d.*)$");

    private XskMapFixture fixture;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(1, Set.of(PORT));
        Commands.run("ethtool", "-K", fixture.appInterface(), "tx", "off");
        fixture.net().runInPeer("ethtool", "-K", fixture.net().peerInterface(), "rx", "off");
    }

    @AfterEach
    void removeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "checksum offload {0}")
    @ValueSource(booleans = {true, false})
    void echoesArriveWithValidChecksumsOverIpv4AndIpv6(boolean offload) throws Exception {
        DatapathSettings settings = TestSettings.small().toBuilder().txChecksumOffload(offload).build();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings)) {
            assertThat(datapath.state().sockets()).singleElement().extracting(SocketState::txChecksum)
                    .as("Linux %s, copy mode", System.getProperty("os.version"))
                    .isEqualTo(offload && kernelAtLeast(6, 8) ? "offload" : "software");
            datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            long checksumErrorsBefore = peerUdpChecksumErrors();
            int rounds = 50;
            for (InetAddress target : List.of(fixture.net().appIpv4(), fixture.net().appIpv6())) {
                int echoed = fixture.net().inPeer(() -> {
                    try (DatagramChannel channel = DatagramChannel.open()) {
                        channel.socket().setSoTimeout(2000);
                        int received = 0;
                        for (int i = 0; i < rounds; i++) {
                            // odd and even lengths, small and near the MTU
                            byte[] payload = new byte[i % 2 == 0 ? 1200 + i : 1 + i];
                            java.util.Arrays.fill(payload, (byte) (i * 31 + 7));
                            channel.send(ByteBuffer.wrap(payload), new InetSocketAddress(target, PORT));
                            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
                            try {
                                channel.socket().receive(in);
                            }
                            catch (java.net.SocketTimeoutException lost) {
                                // dropped by the peer (or lost): the count says so, no need to wait for the rest
                                break;
                            }
                            if (java.util.Arrays.equals(payload, java.util.Arrays.copyOf(in.getData(), in.getLength()))) {
                                received++;
                            }
                        }
                        return received;
                    }
                });
                assertThat(echoed).as("echoes over %s the peer's UDP layer accepted", target).isEqualTo(rounds);
            }
            assertThat(peerUdpChecksumErrors() - checksumErrorsBefore).as("datagrams the peer dropped as corrupt")
                    .isZero();
        }
    }

    /** The peer namespace's {@code Udp InCsumErrors} from {@code /proc/net/snmp}. */
    private long peerUdpChecksumErrors() {
        Matcher rows = UDP_COUNTERS.matcher(fixture.net().runInPeer("cat", "/proc/net/snmp"));
        assertThat(rows.find()).isTrue();
        // the header row is the first "Udp:" line; the values are the next, matched by the digit
        String[] values = rows.group(1).trim().split("\\s+");
        // Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors ...
        return Long.parseLong(values[6]);
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] release = System.getProperty("os.version").split("[.-]");
        int actualMajor = Integer.parseInt(release[0]);
        return actualMajor > major || (actualMajor == major && Integer.parseInt(release[1]) >= minor);
    }
}
