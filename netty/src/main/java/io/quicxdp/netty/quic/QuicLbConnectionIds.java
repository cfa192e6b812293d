package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quicxdp.datapath.config.InvalidSettingException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Connection IDs in QUIC-LB's plaintext format (draft-ietf-quic-load-balancers, without a key) that also name
 * the event loop, that is the queue, that owns the connection. An ID of {@link #connectionIdLength()} octets is:
 *
 * <pre>
 *  octet 0          config rotation (3 bits) | the length of the rest (5 bits) if self-described, else random
 *  octets 1..s      the server ID (s = 1..14 octets)
 *  octet s + 1      the event loop's index, 0..255: the first octet of QUIC-LB's nonce
 *  the rest         random, at least 4 octets
 * </pre>
 *
 * A QUIC-LB load balancer configured with the rotation and the server ID's length routes on octets 1..s and
 * takes the loop's octet for part of the nonce; within the host, {@link XdpQuicDispatcher} routes on it. Without
 * a key the server ID can be read by anyone on the path, as the draft says of its plaintext algorithm.
 *
 * <p>Decoding ({@link #loopOf}) allocates nothing and throws nothing: an ID of another length, rotation or server
 * ID, or a range outside the buffer, is {@link #NOT_OURS}. Instances are immutable and thread-safe.
 */
public final class QuicLbConnectionIds {

    /** What {@link #loopOf} answers for an ID this server did not issue, or bytes that are no ID at all. */
    public static final int NOT_OURS = -1;

    /** QUIC version 1's limit on a connection ID's length. */
    public static final int MAX_CONNECTION_ID_LENGTH = 20;

    /** QUIC-LB's codepoint for unroutable connection IDs, which a server with a configuration never issues. */
    public static final int UNROUTABLE_CONFIG_ROTATION = 0b111;

    /** The random octets every ID keeps at least: QUIC-LB's smallest nonce, the loop's octet aside. */
    public static final int MIN_RANDOM_OCTETS = 4;

    /** The event loops one octet can name. */
    public static final int MAX_LOOPS = 256;

    /** The first octet, the loop's octet and the random octets: what an ID holds besides the server ID. */
    private static final int OVERHEAD = 2 + MIN_RANDOM_OCTETS;

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String HMAC = "HmacSHA256";

    private final int configRotation;

    private final byte[] serverId;

    private final int connectionIdLength;

    private final boolean lengthSelfDescription;

    /** Keys the IDs derived from a client's first destination ID, so that they look random to anyone else. */
    private final SecretKeySpec derivationKey;

    private QuicLbConnectionIds(Builder builder, byte[] serverId) {
        this.configRotation = builder.configRotation;
        this.serverId = serverId;
        this.connectionIdLength = builder.connectionIdLength;
        this.lengthSelfDescription = builder.lengthSelfDescription;
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        this.derivationKey = new SecretKeySpec(key, HMAC);
    }

    /** A builder with the defaults: rotation 0, a random server ID of 2 octets, IDs of 20 octets, random bits. */
    public static Builder builder() {
        return new Builder();
    }

    /** The config rotation codepoint in the first octet's three high bits, 0 to 6. */
    public int configRotation() {
        return configRotation;
    }

    /** The server ID, a copy. */
    public byte[] serverId() {
        return serverId.clone();
    }

    /** The server ID in hexadecimal, as {@code quic.xdp.quic.server-id} spells it. */
    public String serverIdHex() {
        return HexFormat.of().formatHex(serverId);
    }

    /** The length of every ID, in octets. */
    public int connectionIdLength() {
        return connectionIdLength;
    }

    /** Whether the first octet's five low bits hold the length of the rest of the ID (else they are random). */
    public boolean lengthSelfDescription() {
        return lengthSelfDescription;
    }

    /** The random octets at the end of every ID. */
    public int randomOctets() {
        return connectionIdLength - serverId.length - 2;
    }

    /** A new ID for a connection owned by {@code loop}, random apart from the routing fields. */
    public byte[] newConnectionId(int loop) {
        byte[] entropy = new byte[randomOctets() + 1];
        RANDOM.nextBytes(entropy);
        return encode(loop, entropy);
    }

    /**
     * The ID for {@code loop} that {@code input} determines: the same input gives the same ID, and without the
     * process's key nobody can tell how. What {@link QuicConnectionIdGenerator} calls idempotent.
     */
    byte[] derivedConnectionId(int loop, ByteBuffer input) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(derivationKey);
            mac.update(input.duplicate());
            // 32 octets: at least the 19 a 20-octet ID with a one-octet server ID needs
            return encode(loop, mac.doFinal());
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("the JDK's " + HMAC + " is required", ex);
        }
    }

    /** The ID for {@code loop}, its first octet's free bits and its random octets taken from {@code entropy}. */
    private byte[] encode(int loop, byte[] entropy) {
        checkLoop(loop);
        byte[] id = new byte[connectionIdLength];
        int low = lengthSelfDescription ? connectionIdLength - 1 : entropy[0] & 0x1F;
        id[0] = (byte) (configRotation << 5 | low);
        System.arraycopy(serverId, 0, id, 1, serverId.length);
        id[1 + serverId.length] = (byte) loop;
        System.arraycopy(entropy, 1, id, 2 + serverId.length, randomOctets());
        return id;
    }

    /**
     * The event loop named by the ID of {@code length} octets at {@code index} of {@code buffer}, or
     * {@link #NOT_OURS} when those octets are not an ID this configuration issues: another length, config
     * rotation or server ID, a self-described length that disagrees, or a range outside the buffer's capacity.
     */
    public int loopOf(ByteBuf buffer, int index, int length) {
        if (length != connectionIdLength || index < 0 || index > buffer.capacity() - length) {
            return NOT_OURS;
        }
        int first = buffer.getUnsignedByte(index);
        if (first >>> 5 != configRotation || lengthSelfDescription && (first & 0x1F) != length - 1) {
            return NOT_OURS;
        }
        for (int i = 0; i < serverId.length; i++) {
            if (buffer.getByte(index + 1 + i) != serverId[i]) {
                return NOT_OURS;
            }
        }
        return buffer.getUnsignedByte(index + 1 + serverId.length);
    }

    /**
     * The event loop named by {@code id}, or {@link #NOT_OURS}; see {@link #loopOf(ByteBuf, int, int)}, which the
     * receive path uses: this one wraps the array, for tools and tests.
     */
    public int loopOf(byte[] id) {
        return loopOf(Unpooled.wrappedBuffer(id), 0, id.length);
    }

    /**
     * The generator for the QUIC codec of {@code loop}: every ID it makes names that loop. Give it to the codec's
     * builder with {@code localConnectionIdLength(connectionIdLength())}.
     */
    public QuicConnectionIdGenerator generator(int loop) {
        checkLoop(loop);
        return new QuicLbConnectionIdGenerator(this, loop);
    }

    private static void checkLoop(int loop) {
        if (loop < 0 || loop >= MAX_LOOPS) {
            throw new IllegalArgumentException("an event loop index must be from 0 to " + (MAX_LOOPS - 1) + ", not "
                    + loop);
        }
    }

    @Override
    public String toString() {
        return "QuicLbConnectionIds[rotation " + configRotation + ", server id " + serverIdHex() + ", "
                + connectionIdLength + " octets" + (lengthSelfDescription ? ", length self-described" : "") + "]";
    }

    /**
     * The settings of {@link QuicLbConnectionIds}. {@link #build()} checks them together and throws an
     * {@link InvalidSettingException} naming the setting (its method here) and what it must be.
     */
    public static final class Builder {

        private int configRotation;

        private byte[] serverId;

        private Integer serverIdLength;

        private int connectionIdLength = MAX_CONNECTION_ID_LENGTH;

        private boolean lengthSelfDescription;

        private Builder() {
        }

        /** The config rotation codepoint, 0 to 6 (7 is reserved for unroutable IDs); default 0. */
        public Builder configRotation(int configRotation) {
            this.configRotation = configRotation;
            return this;
        }

        /** The server ID, as the load balancer knows it; default a random one of {@link #serverIdLength} octets. */
        public Builder serverId(byte[] serverId) {
            this.serverId = serverId.clone();
            return this;
        }

        /** The server ID's length in octets, 1 to 14; default the configured server ID's, else 2. */
        public Builder serverIdLength(int serverIdLength) {
            this.serverIdLength = serverIdLength;
            return this;
        }

        /** The IDs' length in octets, at most 20 and at least the server ID's plus 6; default 20. */
        public Builder connectionIdLength(int connectionIdLength) {
            this.connectionIdLength = connectionIdLength;
            return this;
        }

        /** Whether the first octet's five low bits say the length of the rest, QUIC-LB's option; default false. */
        public Builder lengthSelfDescription(boolean lengthSelfDescription) {
            this.lengthSelfDescription = lengthSelfDescription;
            return this;
        }

        /** The format, checked. */
        public QuicLbConnectionIds build() {
            if (configRotation == UNROUTABLE_CONFIG_ROTATION) {
                throw new InvalidSettingException("configRotation", "must be from 0 to 6, not 7: 0b111 is "
                        + "QUIC-LB's codepoint for unroutable connection IDs, which a configured server never issues");
            }
            if (configRotation < 0 || configRotation > 6) {
                throw new InvalidSettingException("configRotation", "must be from 0 to 6 (three bits, 7 being "
                        + "reserved), not " + configRotation);
            }
            if (connectionIdLength > MAX_CONNECTION_ID_LENGTH) {
                throw new InvalidSettingException("connectionIdLength", "must be at most " + MAX_CONNECTION_ID_LENGTH
                        + " octets, QUIC version 1's limit, not " + connectionIdLength);
            }
            int maxServerIdLength = MAX_CONNECTION_ID_LENGTH - OVERHEAD;
            if (serverId != null && serverIdLength != null && serverId.length != serverIdLength) {
                throw new InvalidSettingException("serverIdLength", "is " + serverIdLength + " but the server ID "
                        + "has " + serverId.length + " octets: leave the length unset, or give a server ID of "
                        + serverIdLength + " octets (leading zeros count)");
            }
            int length = serverId != null ? serverId.length : serverIdLength != null ? serverIdLength : 2;
            String setting = serverId != null ? "serverId" : "serverIdLength";
            if (length < 1 || length > maxServerIdLength) {
                throw new InvalidSettingException(setting, "must be from 1 to " + maxServerIdLength + " octets, not "
                        + length + ": QUIC-LB allows 15, and the event loop's octet takes one");
            }
            if (connectionIdLength < length + OVERHEAD) {
                throw new InvalidSettingException("connectionIdLength", "must be at least " + (length + OVERHEAD)
                        + " octets with a server ID of " + length + ", not " + connectionIdLength + ": the first "
                        + "octet, the server ID, one octet for the event loop and at least " + MIN_RANDOM_OCTETS
                        + " random octets; lengthen the IDs or shorten the server ID");
            }
            byte[] id = serverId;
            if (id == null) {
                id = new byte[length];
                RANDOM.nextBytes(id);
            }
            return new QuicLbConnectionIds(this, id);
        }
    }
}
