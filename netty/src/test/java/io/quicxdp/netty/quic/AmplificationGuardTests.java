package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.quicxdp.netty.XdpSegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the {@link AmplificationGuard} lets the codec send to a client before its address is validated, on
 * datagrams made by hand; that it holds with quiche and the kernel is {@code HandshakeFloodTests}' measure.
 */
class AmplificationGuardTests {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.18.0.2", 40000);

    private static final InetSocketAddress OTHER_CLIENT = new InetSocketAddress("198.18.0.3", 40000);

    private static final InetSocketAddress SERVER = new InetSocketAddress("198.18.0.1", 443);

    private static final byte[] X = {1, 2, 3, 4, 5, 6, 7, 8};

    private static final byte[] Y = {9, 9, 9, 9, 9, 9, 9, 9};

    private static final byte[] OURS = {0x0a, 1, 2, 3, 4, 5, 6, 7};

    private static final int INITIAL = 0xc3;

    private static final int ZERO_RTT = 0xd3;

    private static final int HANDSHAKE = 0xe3;

    private static final int RETRY = 0xf0;

    private final LongAdder dropped = new LongAdder();

    private final LongAdder bytesDropped = new LongAdder();

    private final AmplificationGuard guard = new AmplificationGuard(4, dropped, bytesDropped, 23);

    private final EmbeddedChannel channel = new EmbeddedChannel(guard);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void anInitialOf1200AllowsThreeTimesItBackAndTheRestIsDropped() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1000))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 201))).as("3601 bytes").isFalse();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 200))).as("3600 bytes").isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isFalse();
        assertThat(dropped.sum()).isEqualTo(2);
        assertThat(bytesDropped.sum()).isEqualTo(201 + 1200);
    }

    @Test
    void anotherInitialOfTheClientAddsToItsBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600))).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isFalse();
        receive(longHeader(INITIAL, OURS, X, 0, 1250));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 151))).isFalse();
    }

    @Test
    void earlyDataOfAKnownClientAddsToItsBudget() {
        receive(longHeader(ZERO_RTT, OURS, Y, 0, 1200));
        assertThat(guard.entries()).as("no entry from early data alone").isZero();
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        receive(longHeader(ZERO_RTT, OURS, X, 0, 600));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 5400))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1))).isFalse();
    }

    @Test
    void eachClientHasItsOwnBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        receive(longHeader(INITIAL, OURS, Y, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600))).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1))).isFalse();
        assertThat(send(longHeader(INITIAL, Y, OURS, 0, 3600))).isTrue();
    }

    @Test
    void aHandshakePacketToTheServersIdLiftsTheLimit() {
        receive(longHeader(INITIAL, new byte[] {7, 7, 7, 7, 7, 7, 7, 7}, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600))).isTrue();
        receive(longHeader(HANDSHAKE, new byte[] {7, 7, 7, 7, 7, 7, 7, 7}, X, 0, 100));
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).as("not to the ID the server chose").isFalse();
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100));
        assertThat(guard.entries()).isZero();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).isTrue();
    }

    @Test
    void aHandshakePacketBeforeTheServerAnsweredLiftsNothing() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        receive(longHeader(HANDSHAKE, new byte[0], X, 0, 100));
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100));
        assertThat(guard.entries()).as("no entry before the server answers").isZero();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3601))).isFalse();
        assertThat(guard.entries()).isOne();
    }

    @Test
    void aHandshakeCoalescedBehindAnInitialLiftsTheLimit() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600))).isTrue();
        ByteBuf initial = longHeader(INITIAL, OURS, X, 0, 300);
        receive(Unpooled.wrappedBuffer(initial, longHeader(HANDSHAKE, OURS, X, 0, 900)));
        assertThat(guard.entries()).isZero();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).isTrue();
    }

    @Test
    void aRetryMakesNoEntryAndTheInitialWithItsTokenAddsToTheBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(RETRY, X, OURS, -1, 100))).isTrue();
        assertThat(guard.entries()).isZero();
        receive(longHeader(INITIAL, OURS, X, 40, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 7200))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1))).isFalse();
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100));
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1200))).isTrue();
    }

    @Test
    void aFloodAnsweredWithRetriesTakesNoPlaceFromTheClientsBeingAnswered() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3000))).isTrue();
        for (int client = 0; client < 100; client++) {
            byte[] id = {(byte) client, 7, 7, 7};
            receive(longHeader(INITIAL, OURS, id, 0, 1200));
            assertThat(send(longHeader(RETRY, id, OURS, -1, 100))).isTrue();
        }
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 601))).as("still limited").isFalse();
    }

    @Test
    void anInitialWithATokenIsHeldLikeAnyOther() {
        receive(longHeader(INITIAL, OURS, X, 40, 1200));
        assertThat(guard.entries()).isZero();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3601))).isFalse();
    }

    @Test
    void initialsInDatagramsSmallerThan1200BytesMakeNoBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1199));
        receive(longHeader(INITIAL, OURS, X, 0, 1300));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3900))).isTrue();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 1))).isFalse();
    }

    @Test
    void aClientAnsweredWithoutAnInitialSeenHasTheBudgetOfTheLeastInitial() {
        assertThat(send(longHeader(INITIAL, Y, OURS, 0, 3600))).isTrue();
        assertThat(send(longHeader(INITIAL, Y, OURS, 0, 1))).isFalse();
    }

    @Test
    void aFloodOfInitialsTheCodecDropsTakesNoPlaceFromTheClientsBeingAnswered() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3000))).isTrue();
        for (int client = 0; client < 100; client++) {
            receive(longHeader(INITIAL, OURS, new byte[] {(byte) client, 5, 5, 5}, 0, 1200));
        }
        assertThat(guard.entries()).isOne();
        assertThat(send(longHeader(HANDSHAKE, X, OURS, 0, 601))).as("still limited").isFalse();
    }

    @Test
    void shortHeadersPassUntouchedWhileNoClientWaits() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        send(longHeader(INITIAL, X, OURS, 0, 1000));
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100));
        assertThat(guard.entries()).isZero();
        DatagramPacket packet = new DatagramPacket(shortHeader(X, 1400), CLIENT, SERVER);
        assertThat(channel.writeOutbound(packet)).isTrue();
        assertThat((Object) channel.readOutbound()).isSameAs(packet);
        packet.release();
        assertThat(dropped.sum()).isZero();
    }

    @Test
    void shortHeadersToAWaitingClientCountAgainstItsBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 2400))).isTrue();
        assertThat(send(shortHeader(Y, 1400))).as("another client").isTrue();
        assertThat(send(shortHeader(X, 1200))).isTrue();
        assertThat(send(shortHeader(X, 1))).isFalse();
    }

    @Test
    void shortHeadersAreNotMatchedToIdsShorterThanEightOctets() {
        byte[] shortId = {X[0], X[1], X[2]};
        receive(longHeader(INITIAL, OURS, shortId, 0, 1200));
        assertThat(send(longHeader(INITIAL, shortId, OURS, 0, 3600))).isTrue();
        assertThat(send(shortHeader(X, 1400))).as("an established client whose ID begins alike").isTrue();
        assertThat(send(longHeader(HANDSHAKE, shortId, OURS, 0, 1))).isFalse();
    }

    @Test
    void aSegmentedDatagramGoesOrStaysAsAWhole() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        ByteBuf three = Unpooled.wrappedBuffer(longHeader(INITIAL, X, OURS, 0, 1200),
                longHeader(HANDSHAKE, X, OURS, 0, 1200), longHeader(HANDSHAKE, X, OURS, 0, 1200));
        ByteBuf one = longHeader(HANDSHAKE, X, OURS, 0, 1200);
        XdpSegmentedDatagramPacket segmented = new XdpSegmentedDatagramPacket(one, 1200, CLIENT);
        assertThat(channel.writeOutbound(new XdpSegmentedDatagramPacket(three, 1200, CLIENT))).isTrue();
        ((DatagramPacket) channel.readOutbound()).release();
        assertThat(channel.writeOutbound(segmented)).isFalse();
        assertThat(segmented.refCnt()).as("released").isZero();
        assertThat(bytesDropped.sum()).isEqualTo(1200);
    }

    @Test
    void aClientStaysUntilValidatedSoThatItsCloseGoesWithinWhatIsLeft() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200));
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3500))).isTrue();
        for (int client = 0; client < 3; client++) {
            byte[] id = {(byte) client, 1, 2, 3};
            receive(longHeader(INITIAL, OURS, id, 0, 1200));
            assertThat(send(longHeader(INITIAL, id, OURS, 0, 100))).isTrue();
        }
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 101))).as("a close past what is left").isFalse();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 100))).as("a close within it").isTrue();
    }

    @Test
    void theTableKeepsTheNewestUpToItsCapacityAndTheOthersStartAgainWithNoBudget() {
        for (int client = 0; client < 100; client++) {
            byte[] id = {(byte) client, 1, 2, 3};
            receive(longHeader(INITIAL, OURS, id, 0, 1200));
            assertThat(send(longHeader(INITIAL, id, OURS, 0, 100))).isTrue();
            assertThat(guard.entries()).isLessThanOrEqualTo(4);
        }
        assertThat(send(longHeader(INITIAL, new byte[] {99, 1, 2, 3}, OURS, 0, 3501))).isFalse();
        assertThat(send(longHeader(INITIAL, new byte[] {96, 1, 2, 3}, OURS, 0, 3500))).isTrue();
        assertThat(send(longHeader(INITIAL, new byte[] {95, 1, 2, 3}, OURS, 0, 1))).as("forgotten").isFalse();
    }

    @Test
    void validatingAndForgettingInAnyOrderKeepsTheOthersFound() {
        Random random = new Random(23);
        byte[][] clients = new byte[4][];
        for (int round = 0; round < 2000; round++) {
            byte[] id = new byte[1 + random.nextInt(20)];
            random.nextBytes(id);
            int at = round % 4;
            clients[at] = id;
            receive(longHeader(INITIAL, OURS, id, 0, 1200));
            if (random.nextBoolean()) {
                byte[] other = clients[random.nextInt(4)];
                if (other != null && other != id) {
                    send(longHeader(INITIAL, other, OURS, 0, 10));
                    receive(longHeader(HANDSHAKE, OURS, other, 0, 100));
                }
            }
            assertThat(send(longHeader(INITIAL, id, OURS, 0, 3601))).isFalse();
        }
    }

    @Test
    void oneAddressesBytesNeverMakeAnothersBudget() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200), CLIENT);
        receive(longHeader(INITIAL, OURS, X, 0, 1200), CLIENT);
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3601), OTHER_CLIENT)).as("the same ID elsewhere").isFalse();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600), OTHER_CLIENT)).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 7200), CLIENT)).isTrue();
        receive(longHeader(INITIAL, OURS, X, 0, 1200), OTHER_CLIENT);
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1), CLIENT)).isFalse();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3600), OTHER_CLIENT)).isTrue();
    }

    @Test
    void aHandshakePacketValidatesItsOwnAddressOnly() {
        receive(longHeader(INITIAL, OURS, X, 0, 1200), CLIENT);
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 1200), CLIENT)).isTrue();
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100), OTHER_CLIENT);
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 2401), CLIENT)).as("validated from elsewhere").isFalse();
        receive(longHeader(HANDSHAKE, OURS, X, 0, 100), CLIENT);
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 9000), CLIENT)).isTrue();
        assertThat(send(longHeader(INITIAL, X, OURS, 0, 3601), OTHER_CLIENT)).as("not validated there").isFalse();
    }

    @Test
    void clientsWhoseHashesMatchKeepTheirOwnBudgetsAndValidation() {
        byte[][] twins = twins();
        byte[] flooded = twins[0];
        byte[] answered = twins[1];
        receive(longHeader(INITIAL, OURS, flooded, 0, 1200));
        receive(longHeader(INITIAL, OURS, answered, 0, 1200));
        assertThat(send(longHeader(INITIAL, answered, OURS, 0, 3601))).as("another's pending budget").isFalse();
        assertThat(send(longHeader(INITIAL, answered, OURS, 0, 3600))).isTrue();
        assertThat(send(longHeader(INITIAL, flooded, OURS, 0, 1200))).isTrue();
        receive(longHeader(HANDSHAKE, OURS, flooded, 0, 100));
        assertThat(send(longHeader(INITIAL, flooded, OURS, 0, 9000))).as("validated").isTrue();
        assertThat(send(longHeader(INITIAL, answered, OURS, 0, 1))).as("another's validation").isFalse();
    }

    /** Two client IDs that this guard hashes alike at {@code CLIENT}: a birthday search, some 80,000 hashes. */
    private byte[][] twins() {
        Random random = new Random(5);
        Map<Integer, byte[]> seen = new HashMap<>();
        ByteBuf buf = Unpooled.buffer(8);
        while (true) {
            byte[] id = new byte[8];
            random.nextBytes(id);
            int hash = guard.hash(buf.clear().writeBytes(id), 0, id.length, CLIENT);
            byte[] twin = seen.putIfAbsent(hash, id);
            if (twin != null && !Arrays.equals(twin, id)) {
                buf.release();
                return new byte[][] {twin, id};
            }
        }
    }

    @Test
    void malformedAndTruncatedLongHeadersPassAndNeverThrow() {
        Random random = new Random(8);
        ByteBuf full = longHeader(INITIAL, OURS, X, 300, 1300);
        assertThatNoException().isThrownBy(() -> {
            for (int length = 0; length < full.readableBytes(); length += 1 + length / 8) {
                receive(full.retainedSlice(0, length));
                send(Unpooled.copiedBuffer(full.slice(0, length)));
            }
            for (int i = 0; i < 2000; i++) {
                byte[] bytes = new byte[random.nextInt(1400)];
                random.nextBytes(bytes);
                if (bytes.length > 0) {
                    bytes[0] |= (byte) 0x80;
                }
                if (bytes.length > 4) {
                    bytes[4] = 1;
                    bytes[1] = bytes[2] = bytes[3] = 0;
                }
                receive(Unpooled.wrappedBuffer(bytes));
                send(Unpooled.wrappedBuffer(bytes.clone()));
            }
        });
        full.release();
    }

    private void receive(ByteBuf datagram) {
        receive(datagram, CLIENT);
    }

    private void receive(ByteBuf datagram, InetSocketAddress client) {
        DatagramPacket packet = new DatagramPacket(datagram, SERVER, client);
        channel.writeInbound(packet);
        assertThat((Object) channel.readInbound()).isSameAs(packet);
        packet.release();
    }

    /** Whether the guard let the datagram go. */
    private boolean send(ByteBuf datagram) {
        return send(datagram, CLIENT);
    }

    /** Whether the guard let the datagram to {@code client} go. */
    private boolean send(ByteBuf datagram, InetSocketAddress client) {
        DatagramPacket packet = new DatagramPacket(datagram, client, SERVER);
        boolean written = channel.writeOutbound(packet);
        if (written) {
            assertThat((Object) channel.readOutbound()).isSameAs(packet);
            packet.release();
        }
        else {
            assertThat(packet.refCnt()).as("released").isZero();
        }
        return written;
    }

    /** A datagram of {@code size} bytes that begins with a 1-RTT packet to {@code dcid}. */
    private static ByteBuf shortHeader(byte[] dcid, int size) {
        ByteBuf packet = Unpooled.buffer(size).writeByte(0x43).writeBytes(dcid);
        return packet.writeZero(Math.max(0, size - packet.writerIndex()));
    }

    /**
     * A datagram of {@code size} bytes that begins with a version 1 long header of the given first octet: an Initial
     * with a token of {@code token} bytes, any other type without token ({@code token} -1: no token field at all, as
     * a Retry), then the length and padding.
     */
    private static ByteBuf longHeader(int first, byte[] dcid, byte[] scid, int token, int size) {
        ByteBuf packet = Unpooled.buffer(size).writeByte(first).writeInt(1);
        packet.writeByte(dcid.length).writeBytes(dcid).writeByte(scid.length).writeBytes(scid);
        if ((first & 0x30) == 0) {
            packet.writeByte(0x40 | (token >> 8)).writeByte(token).writeZero(token);
        }
        if (token >= 0 && (first & 0x30) != 0x30) {
            packet.writeShort(0x4000 | Math.max(0, size - packet.writerIndex() - 2));
        }
        return packet.writeZero(Math.max(0, size - packet.writerIndex()));
    }
}
