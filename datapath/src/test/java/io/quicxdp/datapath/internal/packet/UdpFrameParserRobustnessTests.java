package io.quicxdp.datapath.internal.packet;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.TestFrames.Extension;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The parser must return a reason, never throw, whatever arrives on the wire or in a descriptor, under every
 * checksum policy.
 */
class UdpFrameParserRobustnessTests {

    /** Byte values that steer mutations into the parser's branches rather than just its first check. */
    private static final int[] INTERESTING = {
        0x00, 0xFF, 0x08, 0x86, 0xDD, 0x81, 0x88, 0xA8, 0x45, 0x4F, 0x60, 0x40, 0x20, 0x01, 0x06, 17, 43, 44, 59, 60
    };

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private final Set<DropReason> seen = EnumSet.noneOf(DropReason.class);

    private int accepted;

    @Test
    void mutatedAndTruncatedValidFramesNeverThrow() {
        byte[] payload = new byte[200];
        new Random(7).nextBytes(payload);
        byte[][] seeds = {
            TestFrames.ipv4(new byte[] {1}),
            TestFrames.ipv4(new byte[] {1, 1, 1, 0}, payload, 0),
            TestFrames.ipv4(new byte[0], new byte[] {9}, 17),
            TestFrames.ipv6(payload),
            TestFrames.ipv6(new byte[] {1, 2, 3},
                    Extension.of(Ipv6Header.NEXT_HEADER_HOP_BY_HOP),
                    new Extension(Ipv6Header.NEXT_HEADER_ROUTING, 1),
                    Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS)),
            TestFrames.ipv6(new byte[0], Extension.of(Ipv6Header.NEXT_HEADER_FRAGMENT)),
        };
        Random random = new Random(0x5EED);
        for (int iteration = 0; iteration < 200_000; iteration++) {
            byte[] frame = seeds[random.nextInt(seeds.length)].clone();
            int mutations = random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                mutate(frame, random);
            }
            int offset = random.nextInt(64);
            int length = frame.length;
            switch (random.nextInt(8)) {
                case 0 -> length = random.nextInt(frame.length + 1);
                case 1 -> length = frame.length + random.nextInt(32);
                case 2 -> length = cutIpPacket(frame, random);
                default -> { }
            }
            parseChecked(iteration, frame, offset, length);
        }

        assertThat(accepted).as("some mutations leave a valid frame").isPositive();
        assertThat(seen).as("mutations reach every check")
                .isEqualTo(EnumSet.complementOf(EnumSet.of(DropReason.NO_ENDPOINT, DropReason.HANDLER_FAILED)));
    }

    @Test
    void randomBytesAndRangesNeverThrow() {
        Random random = new Random(0xF022);
        byte[] frame = new byte[160];
        for (int iteration = 0; iteration < 50_000; iteration++) {
            random.nextBytes(frame);
            // Mostly under an IP ethertype with a plausible version, so the bytes reach the IP parsers.
            if (random.nextInt(4) != 0) {
                boolean v4 = random.nextBoolean();
                ByteBuffer.wrap(frame).putShort(12, (short) (v4 ? 0x0800 : 0x86DD));
                frame[14] = (byte) ((v4 ? 0x40 : 0x60) | (frame[14] & 0x0F));
            }
            parseChecked(iteration, frame, random.nextInt(64), random.nextInt(frame.length + 1));
        }
        buffer.clear().put(0, new byte[buffer.capacity()]); // ethertype 0 wherever a range is valid
        int[] wild = {Integer.MIN_VALUE, -1, 0, 13, 14, 4095, 4096, Integer.MAX_VALUE};
        for (int offset : wild) {
            for (int length : wild) {
                assertThat(UdpFrameParser.parse(buffer, offset, length, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed))
                        .as("offset %d length %d", offset, length)
                        .isEqualTo(offset >= 0 && length >= 14 && (long) offset + length <= 4096 ? DropReason.NOT_IP
                                : DropReason.FRAME_TOO_SHORT);
            }
        }
    }

    private void parseChecked(int iteration, byte[] frame, int offset, int length) {
        buffer.clear().put(offset, frame);
        // The frame ends at the limit, so reading a byte past it throws instead of reading stale bytes.
        buffer.limit(offset + length);
        for (UdpChecksumPolicy policy : UdpChecksumPolicy.values()) {
            DropReason reason;
            try {
                reason = UdpFrameParser.parse(buffer, offset, length, policy, parsed);
            } catch (RuntimeException e) {
                throw new AssertionError("iteration " + iteration + ": parse under " + policy + " threw on offset "
                        + offset + " length " + length + " of " + HexFormat.of().formatHex(frame), e);
            }
            if (reason == null) {
                accepted++;
                assertThat(parsed.payloadOffset()).isGreaterThanOrEqualTo(offset + UdpFrameWriter.IPV4_HEADERS_LENGTH);
                assertThat(parsed.payloadOffset() + parsed.payloadLength()).isLessThanOrEqualTo(offset + length);
            } else {
                seen.add(reason);
            }
        }
    }

    /**
     * Cuts the frame short and sets the IP length to match, so the cut lands inside the UDP or
     * extension headers instead of failing the IP length check. Returns the new frame length.
     */
    private static int cutIpPacket(byte[] frame, Random random) {
        int ipLength = random.nextInt(frame.length - TestFrames.IP_OFFSET + 1);
        ByteBuffer b = ByteBuffer.wrap(frame);
        if ((frame[TestFrames.IP_OFFSET] & 0xF0) == 0x60) {
            b.putShort(TestFrames.IP_OFFSET + 4, (short) Math.max(0, ipLength - Ipv6Header.LENGTH));
        } else {
            b.putShort(TestFrames.IP_OFFSET + 2, (short) ipLength);
            int headerLength = (frame[TestFrames.IP_OFFSET] & 0x0F) * 4;
            if (headerLength >= Ipv4Header.LENGTH && TestFrames.IP_OFFSET + headerLength <= frame.length) {
                TestFrames.fixIpv4HeaderChecksum(frame);
            }
        }
        return TestFrames.IP_OFFSET + ipLength;
    }

    /** Changes one byte, mostly within the headers, where it matters. */
    private static void mutate(byte[] frame, Random random) {
        int index = random.nextInt(4) != 0 ? random.nextInt(Math.min(frame.length, 90)) : random.nextInt(frame.length);
        switch (random.nextInt(3)) {
            case 0 -> frame[index] ^= (byte) (1 << random.nextInt(8));
            case 1 -> frame[index] = (byte) INTERESTING[random.nextInt(INTERESTING.length)];
            default -> frame[index] = (byte) random.nextInt(256);
        }
    }
}
