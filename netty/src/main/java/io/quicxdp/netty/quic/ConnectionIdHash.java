package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;

/**
 * The hash the QUIC handlers here file connection IDs by in their tables of fixed size: FNV-1a over the ID's
 * octets from a seed (random per process or per table, so that IDs chosen to fall into one place cannot be worked
 * out in advance), anything else mixed in the same way, then MurmurHash3's finalizer, so that the low bits that
 * pick a place depend on every bit above. Never 0, which the tables keep for an empty place. Allocates nothing.
 */
final class ConnectionIdHash {

    private static final int FNV_BASIS = 0x811c9dc5;

    private static final int FNV_PRIME = 0x01000193;

    private ConnectionIdHash() {
    }

    /** The octets of {@code buf} from {@code from}, {@code length} of them, folded into {@code seed}'s basis. */
    static int of(int seed, ByteBuf buf, int from, int length) {
        int hash = FNV_BASIS ^ seed;
        for (int i = 0; i < length; i++) {
            hash = (hash ^ buf.getUnsignedByte(from + i)) * FNV_PRIME;
        }
        return hash;
    }

    /** {@code value} folded into {@code hash}, as one more octet would be. */
    static int with(int hash, int value) {
        return (hash ^ value) * FNV_PRIME;
    }

    /** The finished hash, never 0. */
    static int finish(int hash) {
        hash ^= hash >>> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >>> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >>> 16;
        return (hash == 0) ? 1 : hash;
    }
}
