package io.quicxdp.bench.load;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A client's QUIC version 1 Initial packet protection (RFC 9001, sections 5.2 to 5.4): the keys derived from the
 * Destination Connection ID the client chose, AES-128-GCM over the payload, AES-128 header protection. Each
 * instance keeps its ciphers and MAC and derives new keys per packet; one thread only.
 */
final class InitialProtection {

    /** RFC 9001, section 5.2: the salt of version 1's initial secret. */
    private static final byte[] INITIAL_SALT = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");

    static final int TAG_LENGTH = 16;

    static final int SAMPLE_LENGTH = 16;

    private final Mac hmac;

    private final Cipher aead;

    private final Cipher headerMask;

    private final byte[] key = new byte[16];

    private final byte[] iv = new byte[12];

    private final byte[] hp = new byte[16];

    private final byte[] nonce = new byte[12];

    private final byte[] mask = new byte[16];

    InitialProtection() {
        try {
            this.hmac = Mac.getInstance("HmacSHA256");
            this.aead = Cipher.getInstance("AES/GCM/NoPadding");
            this.headerMask = Cipher.getInstance("AES/ECB/NoPadding");
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("this JDK lacks HmacSHA256 or AES: " + ex.getMessage(), ex);
        }
    }

    /** Derives the client's key, IV and header protection key from {@code dcid[offset, offset + length)}. */
    void deriveClientKeys(byte[] dcid, int offset, int length) throws GeneralSecurityException {
        hmac.init(new SecretKeySpec(INITIAL_SALT, "HmacSHA256"));
        hmac.update(dcid, offset, length);
        byte[] initial = hmac.doFinal();
        byte[] client = expandLabel(initial, "client in", 32);
        System.arraycopy(expandLabel(client, "quic key", 16), 0, key, 0, 16);
        System.arraycopy(expandLabel(client, "quic iv", 12), 0, iv, 0, 12);
        System.arraycopy(expandLabel(client, "quic hp", 16), 0, hp, 0, 16);
    }

    byte[] key() {
        return key.clone();
    }

    byte[] iv() {
        return iv.clone();
    }

    byte[] hp() {
        return hp.clone();
    }

    /**
     * Protects a packet in place: {@code packet[0, pnOffset + pnLength)} is its header with the packet number in
     * full, the {@code payloadLength} bytes after it the plaintext, replaced by the ciphertext and followed by the
     * tag; then the header is protected.
     *
     * @return the packet's length
     */
    int protect(byte[] packet, int pnOffset, int pnLength, long packetNumber, int payloadLength)
            throws GeneralSecurityException {
        int headerLength = pnOffset + pnLength;
        System.arraycopy(iv, 0, nonce, 0, 12);
        for (int i = 0; i < 8; i++) {
            nonce[11 - i] ^= (byte) (packetNumber >>> (8 * i));
        }
        aead.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        aead.updateAAD(packet, 0, headerLength);
        int sealed = aead.doFinal(packet, headerLength, payloadLength, packet, headerLength);
        headerMask.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
        headerMask.doFinal(packet, pnOffset + 4, SAMPLE_LENGTH, mask, 0);
        packet[0] ^= (byte) (mask[0] & 0x0f);
        for (int i = 0; i < pnLength; i++) {
            packet[pnOffset + i] ^= mask[1 + i];
        }
        return headerLength + sealed;
    }

    /** HKDF-Expand-Label (RFC 8446, section 7.1) with an empty context, for outputs of at most 32 bytes. */
    private byte[] expandLabel(byte[] secret, String label, int length) throws GeneralSecurityException {
        byte[] name = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
        hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
        hmac.update((byte) (length >>> 8));
        hmac.update((byte) length);
        hmac.update((byte) name.length);
        hmac.update(name);
        hmac.update((byte) 0);
        hmac.update((byte) 1);
        byte[] block = hmac.doFinal();
        byte[] out = new byte[length];
        System.arraycopy(block, 0, out, 0, length);
        return out;
    }

    static byte[] hex(String text) {
        return java.util.HexFormat.of().parseHex(text);
    }
}
