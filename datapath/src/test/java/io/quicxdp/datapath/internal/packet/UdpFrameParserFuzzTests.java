package io.quicxdp.datapath.internal.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.TestFrames.Extension;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jazzer on {@link UdpFrameParser}: any bytes, at any offset and length, in a buffer the size of a UMEM frame,
 * under every checksum policy. The parser must return null or a reason of its own and never throw; what it
 * accepts must lie inside the frame; and no byte outside the frame may change its answer, so it reads nothing
 * there (past the frame's end the buffer's limit makes such a read throw).
 *
 * <p>An input is a five-byte control header, then the frame's bytes: the policy, the frame's offset in the
 * buffer (signed 16 bits), and the frame length minus the bytes given (signed 16 bits; a longer frame ends in
 * zeros). The seeds are real
 * frames: veth captures, hand-built frames with options and extension headers, and {@link UdpFrameWriter}
 * frames of IPv4 and IPv6 from empty to a full frame, at offset 0 and at the kernel's 256 bytes of headroom.
 *
 * <p>{@code mvn verify} runs the seeds and fuzzes for the annotation's duration (the module's pom sets
 * {@code JAZZER_FUZZ} for the fuzz tests); docs/reliability.md has the command for a longer run.
 */
class UdpFrameParserFuzzTests {

    /** The UMEM frame size that the datapath uses by default. */
    private static final int UMEM_FRAME = 2048;

    private static final int CONTROL = 5;

    private static final byte[] ZERO_FILLER = new byte[UMEM_FRAME];

    private static final byte[] OTHER_FILLER = filler((byte) 0xA5);

    private static final UdpChecksumPolicy[] POLICIES = UdpChecksumPolicy.values();

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(UMEM_FRAME);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private final ParsedUdpFrame again = new ParsedUdpFrame();

    @MethodSource("realFrames")
    @FuzzTest(maxDuration = "20s")
    void anyBytesAtAnyRangeGetAnAnswerFromInsideTheFrame(byte[] input) {
        if (input.length < CONTROL) {
            return;
        }
        UdpChecksumPolicy policy = POLICIES[(input[0] & 0xFF) % POLICIES.length];
        int offset = (short) ((input[1] & 0xFF) << 8 | input[2] & 0xFF);
        int given = input.length - CONTROL;
        int length = given + (short) ((input[3] & 0xFF) << 8 | input[4] & 0xFF);

        DropReason reason = parseAmid(input, offset, length, policy, ZERO_FILLER, parsed);
        if (reason != null) {
            assertThat(reason).as("a reason of the parser's own").isNotIn(DropReason.NO_ENDPOINT,
                    DropReason.HANDLER_FAILED);
        }
        else {
            int headers = parsed.ipVersion() == Ipv4Header.VERSION ? UdpFrameWriter.IPV4_HEADERS_LENGTH
                    : UdpFrameWriter.IPV6_HEADERS_LENGTH;
            assertThat(parsed.frameOffset()).isEqualTo(offset);
            assertThat(parsed.frameLength()).isEqualTo(length);
            assertThat(parsed.payloadOffset()).as("the payload follows the headers").isGreaterThanOrEqualTo(
                    offset + headers);
            assertThat(parsed.payloadLength()).isNotNegative();
            assertThat(parsed.payloadOffset() + parsed.payloadLength()).as("the payload ends inside the frame")
                    .isLessThanOrEqualTo(offset + length);
            if (parsed.partialChecksum()) {
                assertThat(policy).as("partial only where the policy accepts it")
                        .isEqualTo(UdpChecksumPolicy.ACCEPT_PARTIAL);
            }
        }
        // the same frame amid other bytes: the answer cannot change unless bytes outside the frame were read
        DropReason second = parseAmid(input, offset, length, policy, OTHER_FILLER, again);
        assertThat(second).as("the answer with other bytes around the frame").isEqualTo(reason);
        if (reason == null) {
            assertThat(again.payloadOffset()).isEqualTo(parsed.payloadOffset());
            assertThat(again.payloadLength()).isEqualTo(parsed.payloadLength());
            assertThat(again.sourcePort()).isEqualTo(parsed.sourcePort());
            assertThat(again.destinationPort()).isEqualTo(parsed.destinationPort());
        }
    }

    /**
     * Puts the frame at {@code offset}: the bytes given, zeros after them up to its length, as many as fit the
     * buffer. Fills the rest of the buffer with {@code filler}, ends the buffer at the frame's end where the
     * range is valid, and parses.
     */
    private DropReason parseAmid(byte[] input, int offset, int length, UdpChecksumPolicy policy, byte[] filler,
            ParsedUdpFrame into) {
        buffer.clear().put(0, filler);
        int given = input.length - CONTROL;
        // inside the frame: the bytes given, then zeros
        for (int i = 0; i < length; i++) {
            int at = offset + i;
            if (at >= 0 && at < UMEM_FRAME) {
                buffer.put(at, i < given ? input[CONTROL + i] : 0);
            }
        }
        if (offset >= 0 && length >= 0 && (long) offset + length <= UMEM_FRAME) {
            buffer.limit(offset + length);
        }
        try {
            return UdpFrameParser.parse(buffer, offset, length, policy, into);
        }
        catch (RuntimeException ex) {
            throw new AssertionError("parse under " + policy + " of offset " + offset + " length " + length
                    + " threw on " + HexFormat.of().formatHex(input, CONTROL, input.length), ex);
        }
    }

    private static byte[] filler(byte value) {
        byte[] bytes = new byte[UMEM_FRAME];
        Arrays.fill(bytes, value);
        return bytes;
    }

    static Stream<Arguments> realFrames() {
        List<Arguments> seeds = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        seed(seeds, "veth capture, IPv4, partial checksum", 0, hex.parseHex(TestFrames.IPV4_PARTIAL_FRAME));
        seed(seeds, "veth capture, IPv6, partial checksum", 2, hex.parseHex(TestFrames.IPV6_PARTIAL_FRAME));
        seed(seeds, "IPv4 by hand", 1, hex.parseHex(TestFrames.IPV4_HI_FRAME));
        seed(seeds, "IPv6 by hand", 1, hex.parseHex(TestFrames.IPV6_HI_FRAME));
        byte[] payload = new byte[300];
        new Random(11).nextBytes(payload);
        seed(seeds, "IPv4 with options and padding", 1, TestFrames.ipv4(new byte[] {1, 1, 1, 0}, payload, 6));
        seed(seeds, "IPv6 with extension headers", 1, TestFrames.ipv6(payload,
                Extension.of(Ipv6Header.NEXT_HEADER_HOP_BY_HOP), new Extension(Ipv6Header.NEXT_HEADER_ROUTING, 1),
                Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS)));
        seed(seeds, "IPv6 fragment", 1, TestFrames.ipv6(payload, Extension.of(Ipv6Header.NEXT_HEADER_FRAGMENT)));
        ByteBuffer frame = ByteBuffer.allocate(UMEM_FRAME);
        Random random = new Random(12);
        for (int size : new int[] {0, 1, 33, 1200, UMEM_FRAME - UdpFrameWriter.IPV6_HEADERS_LENGTH}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            ByteBuffer body = ByteBuffer.wrap(bytes);
            if (size <= UMEM_FRAME - UdpFrameWriter.IPV4_HEADERS_LENGTH) {
                int v4 = UdpFrameWriter.writeIpv4(frame.clear(), 0, TestFrames.DESTINATION_MAC, TestFrames.SOURCE_MAC,
                        0xC0000201, 0xC6336402, 40000, 443, body, 0, size);
                seed(seeds, "writer, IPv4, " + size + " bytes", 1, copy(frame, v4));
            }
            int v6 = UdpFrameWriter.writeIpv6(frame.clear(), 0, TestFrames.DESTINATION_MAC, TestFrames.SOURCE_MAC,
                    0x20010db8_00000000L, 1, 0x20010db8_00000000L, 2, 40000, 443, body, 0, size);
            seed(seeds, "writer, IPv6, " + size + " bytes", 1, copy(frame, v6));
        }
        return seeds.stream();
    }

    private static byte[] copy(ByteBuffer frame, int length) {
        byte[] bytes = new byte[length];
        frame.get(0, bytes);
        return bytes;
    }

    /** The frame at offset 0 and, where it fits, at 256 bytes (the XDP headroom before a received frame). */
    private static void seed(List<Arguments> seeds, String name, int policy, byte[] frame) {
        for (int offset : new int[] {0, 256}) {
            if (offset + frame.length > UMEM_FRAME) {
                continue;
            }
            byte[] input = new byte[CONTROL + frame.length];
            input[0] = (byte) policy;
            input[1] = (byte) (offset >>> 8);
            input[2] = (byte) offset;
            System.arraycopy(frame, 0, input, CONTROL, frame.length);
            seeds.add(arguments(named(name + " at " + offset, input)));
        }
    }
}
