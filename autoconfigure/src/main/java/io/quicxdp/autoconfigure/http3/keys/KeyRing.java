package io.quicxdp.autoconfigure.http3.keys;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keys of one kind at one moment: the first issues (tokens, tickets), every one is accepted. Immutable; a
 * rotation replaces the whole ring.
 */
public final class KeyRing {

    private static final String HMAC = "HmacSHA256";

    private final List<byte[]> keys;

    /** Each thread's HMACs, one per key, made when first used: a MAC is not safe for two threads. */
    private final ThreadLocal<Mac[]> macs;

    KeyRing(List<byte[]> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a key ring needs at least one key");
        }
        List<byte[]> copies = new ArrayList<>(keys.size());
        keys.forEach((key) -> copies.add(key.clone()));
        this.keys = List.copyOf(copies);
        this.macs = ThreadLocal.withInitial(() -> new Mac[this.keys.size()]);
    }

    /** One key of {@code kind} made at random: good for this process only. */
    public static KeyRing random(KeyKind kind) {
        byte[] key = new byte[kind.length()];
        new SecureRandom().nextBytes(key);
        return new KeyRing(List.of(key));
    }

    /** How many keys: at least one. */
    public int size() {
        return this.keys.size();
    }

    /** Key {@code index}, a copy; key 0 issues. */
    public byte[] key(int index) {
        return this.keys.get(index).clone();
    }

    /**
     * This thread's HMAC-SHA256 keyed with key {@code index}, ready for input (a MAC resets itself when it
     * finishes): made once per thread and key, then reused without allocating.
     */
    public Mac hmac(int index) {
        Mac[] mine = this.macs.get();
        Mac mac = mine[index];
        if (mac == null) {
            try {
                mac = Mac.getInstance(HMAC);
                mac.init(new SecretKeySpec(this.keys.get(index), HMAC));
            }
            catch (GeneralSecurityException ex) {
                throw new IllegalStateException(HMAC + " is not available", ex);
            }
            mine[index] = mac;
        }
        return mac;
    }

    /**
     * A short name for key {@code index} that gives nothing of it away: the first 4 bytes of its SHA-256, in
     * hex. Instances that share a key show the same fingerprint.
     */
    public String fingerprint(int index) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(this.keys.get(index));
            return HexFormat.of().formatHex(digest, 0, 4);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("SHA-256 is not available", ex);
        }
    }

    /** The fingerprints of every key, the issuing one first. */
    public List<String> fingerprints() {
        List<String> fingerprints = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) {
            fingerprints.add(fingerprint(i));
        }
        return fingerprints;
    }
}
