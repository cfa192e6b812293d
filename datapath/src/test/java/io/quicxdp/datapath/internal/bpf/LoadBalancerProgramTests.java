package io.quicxdp.datapath.internal.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.LoadBalancerProgram;
import io.quicxdp.datapath.testing.QuicPackets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The load balancer's decisions, one test run of the loaded program per frame: which action, and for a
 * redirect which backend slot, told by the Ethernet addresses the program wrote. Slots 0 and 1 share what is
 * hashed; slot 2 is reached only through its server ID.
 */
class LoadBalancerProgramTests {

    private static final int PORT = 4433;

    private static final byte[] SERVER_ID_OF_SLOT_1 = {(byte) 0xab, (byte) 0xcd};

    private static final byte[] SERVER_ID_OF_SLOT_2 = {0x12, 0x34};

    private static final byte[] UNKNOWN_SERVER_ID = {0x77, 0x77};

    private LoadBalancerProgram lb;

    @BeforeEach
    void load() throws Exception {
        KernelSupport.assumeAvailable();
        lb = LoadBalancerProgram.load(PORT, 2);
        for (int slot = 0; slot < 3; slot++) {
            // a test run never sends: any interface does for the DEVMAP
            lb.backend(slot, "lo", destinationMac(slot), sourceMac(slot));
        }
        lb.serverId(SERVER_ID_OF_SLOT_1, 1);
        lb.serverId(SERVER_ID_OF_SLOT_2, 2);
        lb.hashedBackends(2);
    }

    @AfterEach
    void unload() {
        if (lb != null) {
            lb.close();
        }
    }

    @Test
    void shortHeadersGoWhereTheirServerIdSaysOverIpv4AndIpv6WhateverTheirPorts() throws Exception {
        for (int sourcePort = 40000; sourcePort < 40016; sourcePort++) {
            assertRedirectedTo(ipv4(sourcePort, QuicPackets.shortHeader(0b000, SERVER_ID_OF_SLOT_2, 8)), 2);
            assertRedirectedTo(ipv6(sourcePort, QuicPackets.shortHeader(0b011, SERVER_ID_OF_SLOT_2, 8)), 2);
            assertRedirectedTo(ipv4(sourcePort, QuicPackets.shortHeader(0b110, SERVER_ID_OF_SLOT_1, 18)), 1);
        }
        byte[] withOptions = TestFrames.ipv4(TestFrames.IPPROTO_UDP, 3, 0,
                TestFrames.udp(40000, PORT, QuicPackets.shortHeader(0b001, SERVER_ID_OF_SLOT_2, 8)));
        assertRedirectedTo(withOptions, 2);
    }

    @Test
    void longHeadersAreHashedOnAddressesAndPortsEvenWithAKnownServerIdInPlace() throws Exception {
        Set<Integer> slots = new HashSet<>();
        for (int sourcePort = 50000; sourcePort < 50064; sourcePort++) {
            byte[] initial = QuicPackets.longHeader(QuicPackets.connectionId(0b000, SERVER_ID_OF_SLOT_2, 8));
            int slot = hashedSlot(TestFrames.IPV4_ADDRESSES, sourcePort);
            assertRedirectedTo(ipv4(sourcePort, initial), slot);
            assertRedirectedTo(ipv6(sourcePort, initial), hashedSlot(TestFrames.IPV6_ADDRESSES, sourcePort));
            slots.add(slot);
        }
        assertThat(slots).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void unroutableUnknownAndShortConnectionIdsAndNonQuicDatagramsAreHashed() throws Exception {
        byte[][] payloads = {
            QuicPackets.shortHeader(LoadBalancerProgram.UNROUTABLE, SERVER_ID_OF_SLOT_2, 8),
            QuicPackets.shortHeader(0b000, UNKNOWN_SERVER_ID, 8),
            // a first octet and a connection ID too short to hold a server ID
            {0x40, 0x00, 0x12},
            {0x40},
            {},
        };
        for (byte[] payload : payloads) {
            int sourcePort = 41000 + payload.length;
            assertRedirectedTo(ipv4(sourcePort, payload), hashedSlot(TestFrames.IPV4_ADDRESSES, sourcePort));
            assertRedirectedTo(ipv6(sourcePort, payload), hashedSlot(TestFrames.IPV6_ADDRESSES, sourcePort));
        }
    }

    @Test
    void everythingButUdpToTheServicePortPassesUntouched() throws Exception {
        byte[] shortHeader = QuicPackets.shortHeader(0b000, SERVER_ID_OF_SLOT_2, 8);
        assertPassed(TestFrames.ipv4(TestFrames.IPPROTO_UDP, 0, 0, TestFrames.udp(40000, PORT + 1, shortHeader)));
        assertPassed(TestFrames.ipv6(TestFrames.IPPROTO_UDP, TestFrames.udp(40000, PORT + 1, shortHeader)));
        assertPassed(TestFrames.ipv4Tcp(PORT));
        assertPassed(TestFrames.arp());
        assertPassed(TestFrames.ipv4UdpFragment(PORT, TestFrames.IPV4_MORE_FRAGMENTS));
        assertPassed(TestFrames.ipv6UdpFragment(PORT));
        assertPassed(TestFrames.ipv4WithVersionAndIhl(0x44, PORT));
        assertPassed(Arrays.copyOf(ipv6(40000, shortHeader), 14 + 40 + 4));
    }

    @Test
    void withoutHashedBackendsWhatNoServerIdRoutesPassesAndServerIdsStillRoute() throws Exception {
        lb.hashedBackends(0);
        assertPassed(ipv4(40000, QuicPackets.longHeader(QuicPackets.connectionId(0b000, UNKNOWN_SERVER_ID, 8))));
        assertRedirectedTo(ipv4(40000, QuicPackets.shortHeader(0b000, SERVER_ID_OF_SLOT_1, 8)), 1);
    }

    @Test
    void aServerIdOfAnotherLengthIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> lb.serverId(new byte[3], 0))
                .withMessage("this load balancer reads server IDs of 2 octets, not 3");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadBalancerProgram.load(PORT, 16));
    }

    private void assertRedirectedTo(byte[] frame, int slot) throws Exception {
        XdpTestResult result = lb.testRun(frame);
        assertThat(XdpAction.nameOf(result.action())).isEqualTo("XDP_REDIRECT");
        assertThat(Arrays.copyOfRange(result.frame(), 0, 6)).as("destination MAC").containsExactly(destinationMac(slot));
        assertThat(Arrays.copyOfRange(result.frame(), 6, 12)).as("source MAC").containsExactly(sourceMac(slot));
        assertThat(Arrays.copyOfRange(result.frame(), 12, frame.length))
                .containsExactly(Arrays.copyOfRange(frame, 12, frame.length));
    }

    private void assertPassed(byte[] frame) throws Exception {
        XdpTestResult result = lb.testRun(frame);
        assertThat(XdpAction.nameOf(result.action())).isEqualTo("XDP_PASS");
        assertThat(result.frame()).containsExactly(frame);
    }

    private static int hashedSlot(String[] addresses, int sourcePort) throws Exception {
        return LoadBalancerProgram.hashSlot(new InetSocketAddress(InetAddress.getByName(addresses[0]), sourcePort),
                new InetSocketAddress(InetAddress.getByName(addresses[1]), PORT), 2);
    }

    private static byte[] ipv4(int sourcePort, byte[] payload) {
        return TestFrames.ipv4(TestFrames.IPPROTO_UDP, 0, 0, TestFrames.udp(sourcePort, PORT, payload));
    }

    private static byte[] ipv6(int sourcePort, byte[] payload) {
        return TestFrames.ipv6(TestFrames.IPPROTO_UDP, TestFrames.udp(sourcePort, PORT, payload));
    }

    private static byte[] destinationMac(int slot) {
        return new byte[] {2, 0, 0, 0, (byte) slot, 0x0d};
    }

    private static byte[] sourceMac(int slot) {
        return new byte[] {2, 0, 0, 0, (byte) slot, 0x05};
    }
}
