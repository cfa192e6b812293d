package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stateless resets (RFC 9000, 10.3) for short-header packets whose destination connection ID this server did not
 * issue: the packet a client recognizes as the end of its connection, because it ends in the reset token the
 * client was given with that ID. Only a token from the key the ID's issuer used is recognized, so this takes the
 * fleet's shared key ({@code quic.xdp.http3.stateless-reset-key}); with a key of its own, a server's resets would
 * be ignored.
 *
 * <p>Each reset is one octet smaller than the packet that caused it, and at most {@value #MAX_LENGTH} octets: it
 * never amplifies, and two endpoints cannot reset each other in a loop. A packet of {@value #MIN_LENGTH} octets or
 * fewer gets none: a reset cannot be smaller and still hold the fixed bits, 38 unpredictable bits and the token.
 * At most {@code perSecond} resets are made in each second of the monotonic clock, over every loop, so a flood of
 * strangers' packets costs a bounded number of sends.
 */
public final class StatelessResets {

    /** The smallest reset: the first octet and 4 more unpredictable octets, then the 16-octet token. */
    public static final int MIN_LENGTH = 21;

    /** The largest reset sent: as long as a short-header packet with a 20-octet ID and a small payload. */
    public static final int MAX_LENGTH = 43;

    private static final int TOKEN_LENGTH = 16;

    /** Header form 0 (short), fixed bit 1; the rest of the first octet is unpredictable. */
    private static final int SHORT_HEADER_FIXED_BIT = 0x40;

    private final QuicResetTokenGenerator tokens;

    private final int perSecond;

    private final AtomicLong second = new AtomicLong(Long.MIN_VALUE);

    private final AtomicInteger madeThisSecond = new AtomicInteger();

    private StatelessResets(QuicResetTokenGenerator tokens, int perSecond) {
        this.tokens = tokens;
        this.perSecond = perSecond;
    }

    /**
     * Resets whose tokens {@code tokens} makes from the connection ID, at most {@code perSecond} a second.
     *
     * @throws IllegalArgumentException if {@code perSecond} is not positive
     */
    public static StatelessResets create(QuicResetTokenGenerator tokens, int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("stateless resets per second must be positive, not " + perSecond);
        }
        return new StatelessResets(tokens, perSecond);
    }

    /**
     * The reset for the short-header packet in {@code packet}'s readable bytes, whose destination connection ID has
     * {@code idLength} octets; or {@code null} when none may be sent (the packet is too small to answer, or this
     * second's resets are made). The caller owns the buffer it returns.
     */
    ByteBuf resetFor(ByteBuf packet, int idLength, ByteBufAllocator allocator) {
        int length = Math.min(packet.readableBytes() - 1, MAX_LENGTH);
        if (length < MIN_LENGTH || packet.readableBytes() < 1 + idLength || !take()) {
            return null;
        }
        ByteBuffer id = ByteBuffer.allocate(idLength);
        packet.getBytes(packet.readerIndex() + 1, id);
        id.flip();
        ByteBuffer token = tokens.newResetToken(id);
        if (token.remaining() != TOKEN_LENGTH) {
            throw new IllegalStateException("a stateless-reset token has " + TOKEN_LENGTH + " octets, not "
                    + token.remaining());
        }
        ByteBuf reset = allocator.directBuffer(length);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        reset.writeByte(SHORT_HEADER_FIXED_BIT | random.nextInt(SHORT_HEADER_FIXED_BIT));
        for (int i = 1; i < length - TOKEN_LENGTH; i++) {
            reset.writeByte(random.nextInt(256));
        }
        reset.writeBytes(token);
        return reset;
    }

    /** Whether one more reset may be made this second. */
    private boolean take() {
        long now = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime());
        long current = second.get();
        if (now != current && second.compareAndSet(current, now)) {
            madeThisSecond.set(0);
        }
        return madeThisSecond.incrementAndGet() <= perSecond;
    }

    @Override
    public String toString() {
        return "StatelessResets[at most " + perSecond + " a second]";
    }
}
