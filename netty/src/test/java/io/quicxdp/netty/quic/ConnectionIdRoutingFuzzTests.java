package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jazzer on the connection-ID parser of the receive path ({@link QuicDatagrams#route}, {@link QuicLbConnectionIds}):
 * any datagram under any format must get an answer of the parser's own without a throw; a loop only for an ID
 * this format issues for a loop that exists; the same answer whatever bytes lie outside the datagram, so it
 * reads none there; and every ID the format makes decodes to its loop.
 *
 * <p>An input is two control octets, then the datagram: the first gives the config rotation (0 to 6) and, in its
 * high bit, the length self-description; the second the server ID's length (1 to 14, the octets of a fixed
 * pattern) and the IDs' length. The seeds are datagrams with IDs of the seed's format, short and long headers,
 * foreign IDs and a client's Initial header.
 *
 * <p>{@code mvn verify} runs the seeds and fuzzes for the annotation's duration; docs/reliability.md has the
 * command for a longer run.
 */
class ConnectionIdRoutingFuzzTests {

    private static final int CONTROL = 2;

    private static final int LOOPS = 3;

    private static final byte[] SERVER_ID_PATTERN = HexFormat.of().parseHex("5a3c0f96e1b2c47d8e09a1f3b6c2");

    @MethodSource("datagrams")
    @FuzzTest(maxDuration = "20s")
    void anyDatagramGetsAnAnswerFromItsOwnBytes(byte[] input) {
        if (input.length < CONTROL) {
            return;
        }
        QuicLbConnectionIds ids = format(input[0], input[1]);
        byte[] datagram = Arrays.copyOfRange(input, CONTROL, input.length);
        int route = route(datagram, ids, (byte) 0);
        assertThat(route).isBetween(QuicDatagrams.FOREIGN, LOOPS - 1);
        assertThat(route(datagram, ids, (byte) 0xA5)).as("the answer with other bytes around the datagram")
                .isEqualTo(route);
        if (route >= 0) {
            boolean shortHeader = (datagram[0] & 0x80) == 0;
            int at = shortHeader ? 1 : 6;
            assertThat(ids.loopOf(Arrays.copyOfRange(datagram, at, at + ids.connectionIdLength())))
                    .as("the destination id names the loop").isEqualTo(route);
        }
        int loop = datagram.length > 0 ? (datagram[0] & 0xFF) : 0;
        assertThat(ids.loopOf(ids.newConnectionId(loop))).as("an id made for loop %d", loop).isEqualTo(loop);
    }

    /** Routes {@code datagram} placed amid {@code filler}, the buffer's readable bytes being the datagram's. */
    private static int route(byte[] datagram, QuicLbConnectionIds ids, byte filler) {
        byte[] amid = new byte[datagram.length + 64];
        Arrays.fill(amid, filler);
        System.arraycopy(datagram, 0, amid, 32, datagram.length);
        ByteBuf buffer = Unpooled.wrappedBuffer(amid).setIndex(32, 32 + datagram.length);
        try {
            return QuicDatagrams.route(buffer, ids, LOOPS);
        }
        catch (RuntimeException ex) {
            throw new AssertionError("routing threw on " + HexFormat.of().formatHex(datagram) + " under " + ids, ex);
        }
    }

    /** The format the control octets give, with a fixed server ID so that seeds keep matching it. */
    private static QuicLbConnectionIds format(byte first, byte second) {
        int serverIdLength = 1 + (second & 0x0F) % 14;
        int spare = QuicLbConnectionIds.MAX_CONNECTION_ID_LENGTH - serverIdLength - 6;
        int idLength = serverIdLength + 6 + ((second & 0xF0) >>> 4) % (spare + 1);
        return QuicLbConnectionIds.builder().configRotation((first & 0x7F) % 7)
                .lengthSelfDescription((first & 0x80) != 0)
                .serverId(Arrays.copyOf(SERVER_ID_PATTERN, serverIdLength)).connectionIdLength(idLength).build();
    }

    static Stream<Arguments> datagrams() {
        List<Arguments> seeds = new ArrayList<>();
        byte[][] controls = {{0, 0x01}, {(byte) 0x83, (byte) 0xF1}, {6, 0x0D}, {2, 0x35}};
        for (byte[] control : controls) {
            QuicLbConnectionIds ids = format(control[0], control[1]);
            String name = ids.toString();
            for (int loop = 0; loop < LOOPS + 1; loop++) {
                seeds.add(seed(name + ", short header, loop " + loop, control,
                        QuicDatagramsTests.shortHeader(ids.newConnectionId(loop))));
            }
            seeds.add(seed(name + ", long header, loop 1", control,
                    QuicDatagramsTests.longHeader(ids.newConnectionId(1))));
        }
        QuicLbConnectionIds other = QuicLbConnectionIds.builder().serverIdLength(2).connectionIdLength(8).build();
        seeds.add(seed("another server's id", controls[0], QuicDatagramsTests.shortHeader(other.newConnectionId(0))));
        seeds.add(seed("a client's Initial, its own 8-octet id", controls[0],
                QuicDatagramsTests.longHeader(HexFormat.of().parseHex("8394c8f03e515708"))));
        seeds.add(seed("a lone octet", controls[1], new byte[] {0x40}));
        return seeds.stream();
    }

    private static Arguments seed(String name, byte[] control, byte[] datagram) {
        byte[] input = new byte[CONTROL + datagram.length];
        input[0] = control[0];
        input[1] = control[1];
        System.arraycopy(datagram, 0, input, CONTROL, datagram.length);
        return arguments(named(name, input));
    }
}
