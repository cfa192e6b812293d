package io.quicxdp.bench.load;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.SplittableRandom;

/**
 * The datagrams of the handshake flood, written into a caller's buffer, one thread per instance:
 * <ul>
 * <li>{@link Kind#INITIAL}: a QUIC version 1 client Initial as a real client sends it, padded to 1200 bytes: a
 * TLS 1.3 ClientHello (ALPN h3 or the one asked for, an X25519 key share) in a CRYPTO frame, protected with the keys of a random
 * Destination Connection ID. A server that accepts it starts a handshake: keys, certificate, signature.
 * <li>{@link Kind#UNDECRYPTABLE}: the same long header, version 1, padded to 1200 bytes, with random bytes where
 * the protected payload goes: the server derives the keys and fails to open it.
 * <li>{@link Kind#GARBAGE}: random bytes, 1 to 1400 of them.
 * </ul>
 * The first two carry a Source Connection ID that names the datagram ({@link #scid}), so that the server's
 * answers, which carry it as their Destination Connection ID, can be told apart on the wire.
 */
final class InitialPackets {

    /** What a flood datagram is. */
    enum Kind {
        INITIAL, UNDECRYPTABLE, GARBAGE
    }

    /** The UDP payload of an Initial: the least a client may send (RFC 9000, section 14.1). */
    static final int INITIAL_SIZE = 1200;

    static final int MAX_GARBAGE = 1400;

    /** The length of our Source Connection IDs: two marker bytes, then the datagram's sequence number. */
    static final int SCID_LENGTH = 8;

    static final int SCID_MARKER = 0x7178;

    private static final int PN_LENGTH = 2;

    private static final int[] SIGNATURES = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        0x0807 };

    private static final byte[] SERVER_NAME = "localhost".getBytes(StandardCharsets.US_ASCII);

    private final InitialProtection protection = new InitialProtection();

    private final SplittableRandom random;

    /** The one application protocol the ClientHello offers. */
    private final byte[] alpn;

    InitialPackets(long seed) {
        this(seed, "h3");
    }

    InitialPackets(long seed, String alpn) {
        this.random = new SplittableRandom(seed);
        this.alpn = alpn.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes one datagram of {@code kind} numbered {@code sequence} into {@code out} (at least 1400 bytes).
     *
     * @return its length
     */
    int write(Kind kind, long sequence, byte[] out) throws GeneralSecurityException {
        return switch (kind) {
            case INITIAL -> initial(sequence, out, true);
            case UNDECRYPTABLE -> initial(sequence, out, false);
            case GARBAGE -> garbage(out);
        };
    }

    /** The sequence number named by the Source Connection ID at {@code offset}, or -1 when it is not ours. */
    static long sequenceOf(byte[] id, int offset, int length) {
        if (length != SCID_LENGTH || ((id[offset] & 0xff) << 8 | (id[offset + 1] & 0xff)) != SCID_MARKER) {
            return -1;
        }
        long sequence = 0;
        for (int i = 2; i < SCID_LENGTH; i++) {
            sequence = sequence << 8 | (id[offset + i] & 0xff);
        }
        return sequence;
    }

    private int initial(long sequence, byte[] out, boolean protect) throws GeneralSecurityException {
        int dcidLength = 8 + random.nextInt(13);
        int at = 0;
        out[at++] = (byte) (0xc0 | (PN_LENGTH - 1));
        out[at++] = 0;
        out[at++] = 0;
        out[at++] = 0;
        out[at++] = 1;
        out[at++] = (byte) dcidLength;
        int dcid = at;
        at = randomBytes(out, at, dcidLength);
        out[at++] = SCID_LENGTH;
        int scid = at;
        at = writeScid(out, at, sequence);
        out[at++] = 0;
        int lengthField = at;
        at += 2;
        int pnOffset = at;
        out[at++] = 0;
        out[at++] = 0;
        int payloadLength = INITIAL_SIZE - at - InitialProtection.TAG_LENGTH;
        int length = PN_LENGTH + payloadLength + InitialProtection.TAG_LENGTH;
        out[lengthField] = (byte) (0x40 | (length >>> 8));
        out[lengthField + 1] = (byte) length;
        if (!protect) {
            randomBytes(out, at, INITIAL_SIZE - at);
            return INITIAL_SIZE;
        }
        int end = cryptoFrame(out, at, out, scid);
        java.util.Arrays.fill(out, end, at + payloadLength, (byte) 0);
        protection.deriveClientKeys(out, dcid, dcidLength);
        return protection.protect(out, pnOffset, PN_LENGTH, 0, payloadLength);
    }

    private int garbage(byte[] out) {
        int length = 1 + random.nextInt(MAX_GARBAGE);
        randomBytes(out, 0, length);
        return length;
    }

    /** A CRYPTO frame at offset 0 holding a ClientHello whose transport parameters name the SCID at {@code scid}. */
    private int cryptoFrame(byte[] out, int at, byte[] packet, int scid) {
        out[at++] = 0x06;
        out[at++] = 0;
        int frameLength = at;
        at += 2;
        int hello = at;
        out[at++] = 0x01;
        at += 3;
        int body = at;
        out[at++] = 0x03;
        out[at++] = 0x03;
        at = randomBytes(out, at, 32);
        out[at++] = 0;
        at = u16(out, at, 6);
        at = u16(out, at, 0x1301);
        at = u16(out, at, 0x1302);
        at = u16(out, at, 0x1303);
        out[at++] = 1;
        out[at++] = 0;
        int extensions = at;
        at += 2;
        // server_name
        at = u16(out, at, 0x0000);
        at = u16(out, at, SERVER_NAME.length + 5);
        at = u16(out, at, SERVER_NAME.length + 3);
        out[at++] = 0;
        at = u16(out, at, SERVER_NAME.length);
        at = copy(SERVER_NAME, out, at);
        // supported_groups: x25519, secp256r1
        at = u16(out, at, 0x000a);
        at = u16(out, at, 6);
        at = u16(out, at, 4);
        at = u16(out, at, 0x001d);
        at = u16(out, at, 0x0017);
        // signature_algorithms: ECDSA, RSA-PSS and PKCS#1 with SHA-256 to 512, Ed25519, as browsers offer them
        at = u16(out, at, 0x000d);
        at = u16(out, at, 2 + 2 * SIGNATURES.length);
        at = u16(out, at, 2 * SIGNATURES.length);
        for (int signature : SIGNATURES) {
            at = u16(out, at, signature);
        }
        // supported_versions: TLS 1.3
        at = u16(out, at, 0x002b);
        at = u16(out, at, 3);
        out[at++] = 2;
        at = u16(out, at, 0x0304);
        // key_share: an X25519 share; any 32 bytes are a valid public key
        at = u16(out, at, 0x0033);
        at = u16(out, at, 38);
        at = u16(out, at, 36);
        at = u16(out, at, 0x001d);
        at = u16(out, at, 32);
        at = randomBytes(out, at, 32);
        // application_layer_protocol_negotiation: one protocol
        at = u16(out, at, 0x0010);
        at = u16(out, at, alpn.length + 3);
        at = u16(out, at, alpn.length + 1);
        out[at++] = (byte) alpn.length;
        at = copy(alpn, out, at);
        // quic_transport_parameters
        at = u16(out, at, 0x0039);
        int parameters = at;
        at += 2;
        at = parameter(out, at, 0x0f, packet, scid, SCID_LENGTH);
        at = varintParameter(out, at, 0x01, 30_000);
        at = varintParameter(out, at, 0x04, 1 << 20);
        at = varintParameter(out, at, 0x05, 1 << 16);
        at = varintParameter(out, at, 0x06, 1 << 16);
        at = varintParameter(out, at, 0x08, 16);
        at = varintParameter(out, at, 0x09, 16);
        u16(out, parameters, at - parameters - 2);
        u16(out, extensions, at - extensions - 2);
        int bodyLength = at - body;
        out[hello + 1] = (byte) (bodyLength >>> 16);
        out[hello + 2] = (byte) (bodyLength >>> 8);
        out[hello + 3] = (byte) bodyLength;
        u16(out, frameLength, 0x4000 | (at - hello));
        return at;
    }

    private int writeScid(byte[] out, int at, long sequence) {
        at = u16(out, at, SCID_MARKER);
        for (int i = SCID_LENGTH - 3; i >= 0; i--) {
            out[at++] = (byte) (sequence >>> (8 * i));
        }
        return at;
    }

    private int randomBytes(byte[] out, int at, int count) {
        int end = at + count;
        while (at + 8 <= end) {
            long bits = random.nextLong();
            for (int i = 0; i < 8; i++) {
                out[at++] = (byte) (bits >>> (8 * i));
            }
        }
        long bits = random.nextLong();
        while (at < end) {
            out[at++] = (byte) bits;
            bits >>>= 8;
        }
        return end;
    }

    private static int parameter(byte[] out, int at, int id, byte[] value, int offset, int length) {
        out[at++] = (byte) id;
        out[at++] = (byte) length;
        System.arraycopy(value, offset, out, at, length);
        return at + length;
    }

    /** A transport parameter whose value is a 4-byte varint (at most 2^30 - 1). */
    private static int varintParameter(byte[] out, int at, int id, int value) {
        out[at++] = (byte) id;
        out[at++] = 4;
        out[at++] = (byte) (0x80 | (value >>> 24));
        out[at++] = (byte) (value >>> 16);
        out[at++] = (byte) (value >>> 8);
        out[at++] = (byte) value;
        return at;
    }

    private static int u16(byte[] out, int at, int value) {
        out[at] = (byte) (value >>> 8);
        out[at + 1] = (byte) value;
        return at + 2;
    }

    private static int copy(byte[] from, byte[] out, int at) {
        System.arraycopy(from, 0, out, at, from.length);
        return at + from.length;
    }
}
