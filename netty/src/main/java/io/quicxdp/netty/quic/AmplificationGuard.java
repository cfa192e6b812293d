package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * QUIC's anti-amplification limit (RFC 9000, section 8.1) on the wire, right in front of one event loop's QUIC
 * codec: before a client's address is validated, the datagrams written to it carry at most three times the bytes
 * received from it. quiche keeps to it for what it sends of its own accord, but goes on sending probes of its first
 * flight (PTO) to a client that does not answer, past three times: a handshake flood with spoofed sources turns the
 * server into an amplifier. This guard holds those datagrams back.
 *
 * <ul>
 * <li>A datagram read that begins with a version 1 Initial of at least 1200 bytes (smaller ones the codec discards)
 * adds its length to the budget of the client's connection ID, its Source Connection ID; the first makes the
 * entry. A datagram that begins with a 0-RTT packet adds to the budget of its client's entry.</li>
 * <li>A datagram written whose first packet has a long header is for the client whose ID is its Destination
 * Connection ID: past three times that client's budget, it is released instead of written, its promise completed,
 * and counted ({@link QuicConnectionLimit#amplificationDropped()}); a segmented datagram goes or stays as a
 * whole.</li>
 * <li>The client's address is validated, and its entry dropped, by a Handshake packet in a datagram it sends whose
 * Destination Connection ID is the one the server chose (which a client at a spoofed address never sees), or by an
 * Initial with a token after the server sent it a Retry (the codec checks the token). An Initial with a token from
 * a client without an entry makes none: the codec answers only a valid token.</li>
 * </ul>
 *
 * Its limits: datagrams that begin with a short header pass without a look-up, which costs nothing per packet of
 * an established connection; before validation quiche coalesces what it sends in 1-RTT packets behind the long
 * headers of its handshake, so a datagram of short headers alone to an unvalidated client is not one quiche writes
 * in practice. Clients that choose an empty connection ID share one budget. An entry lives as long as a
 * handshake may ({@code handshakeTimeout}); at most {@code capacity} are kept, the oldest forgotten first, and a
 * client without an entry is taken as validated, so a flood large enough to push a client's entry out within its
 * handshake lifts the limit for that client.
 *
 * <p>One per channel, confined to its event loop; its table is made once, and a datagram costs no allocation.
 */
final class AmplificationGuard extends ChannelDuplexHandler {

    /** The factor of RFC 9000, section 8.1. */
    static final int FACTOR = 3;

    /** The smallest datagram a client may carry an Initial in (RFC 9000, section 14.1). */
    static final int MIN_INITIAL_DATAGRAM = 1200;

    /** The longest connection ID of QUIC version 1. */
    private static final int MAX_ID = 20;

    private static final int LONG_HEADER = 0x80;

    private static final int TYPE_MASK = 0x30;

    private static final int INITIAL = 0x00;

    private static final int ZERO_RTT = 0x10;

    private static final int HANDSHAKE = 0x20;

    private static final int RETRY = 0x30;

    /** First octet, version, destination ID length. */
    private static final int DCID_AT = 6;

    private final LongAdder dropped;

    private final LongAdder bytesDropped;

    private final long lifetimeNanos;

    private final LongSupplier clock;

    private final int capacity;

    // the entries, in slots of a ring kept in the order they were made
    private final byte[] clientIds;

    private final byte[] clientIdLengths;

    private final byte[] serverIds;

    private final byte[] serverIdLengths;

    private final long[] received;

    private final long[] sent;

    private final long[] born;

    private final boolean[] retried;

    private final boolean[] live;

    private final int[] hashes;

    private int head;

    private int count;

    /** Open addressing over the client IDs: a slot plus one, 0 for none; linear probing, deletion by shifting. */
    private final int[] index;

    private final int mask;

    AmplificationGuard(int capacity, long lifetimeNanos, LongSupplier clock, LongAdder dropped,
            LongAdder bytesDropped) {
        this.capacity = capacity;
        this.lifetimeNanos = lifetimeNanos;
        this.clock = clock;
        this.dropped = dropped;
        this.bytesDropped = bytesDropped;
        this.clientIds = new byte[capacity * MAX_ID];
        this.clientIdLengths = new byte[capacity];
        this.serverIds = new byte[capacity * MAX_ID];
        this.serverIdLengths = new byte[capacity];
        this.received = new long[capacity];
        this.sent = new long[capacity];
        this.born = new long[capacity];
        this.retried = new boolean[capacity];
        this.live = new boolean[capacity];
        this.hashes = new int[capacity];
        int size = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        this.index = new int[size];
        this.mask = size - 1;
    }

    /** Clients whose address is not validated yet. */
    int entries() {
        int entries = 0;
        for (int i = 0; i < this.count; i++) {
            if (this.live[(this.head + i) % this.capacity]) {
                entries++;
            }
        }
        return entries;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            received(packet.content());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof DatagramPacket packet && !allowed(packet.content())) {
            this.dropped.increment();
            this.bytesDropped.add(packet.content().readableBytes());
            packet.release();
            // as if sent: to the codec it is a datagram lost on the way, which it would not hear of either
            promise.trySuccess();
            return;
        }
        ctx.write(msg, promise);
    }

    /** Accounts for a datagram read; never throws, whatever it holds. */
    void received(ByteBuf datagram) {
        int at = datagram.readerIndex();
        int end = datagram.writerIndex();
        // each coalesced packet of the datagram: a client's Handshake often follows its Initial's acknowledgement
        for (int packets = 0; packets < 4 && at < end; packets++) {
            int first = datagram.getUnsignedByte(at);
            if ((first & LONG_HEADER) == 0 || end - at < DCID_AT + 1 || datagram.getInt(at + 1) != 1) {
                return;
            }
            int dcidLength = datagram.getUnsignedByte(at + DCID_AT - 1);
            int scidLengthAt = at + DCID_AT + dcidLength;
            if (dcidLength > MAX_ID || scidLengthAt >= end) {
                return;
            }
            int scidLength = datagram.getUnsignedByte(scidLengthAt);
            int after = scidLengthAt + 1 + scidLength;
            if (scidLength > MAX_ID || after > end) {
                return;
            }
            int type = first & TYPE_MASK;
            int slot = find(datagram, scidLengthAt + 1, scidLength);
            if (type == HANDSHAKE) {
                if (slot >= 0 && sameId(this.serverIds, this.serverIdLengths, slot, datagram, at + DCID_AT,
                        dcidLength)) {
                    remove(slot);
                }
                return;
            }
            if (type == ZERO_RTT) {
                // the client's early data counts as quiche counts it: a budget smaller than quiche's would cut
                // the 0.5-RTT answers it sends within its own
                if (packets == 0 && slot >= 0) {
                    this.received[slot] += end - datagram.readerIndex();
                }
                return;
            }
            if (type != INITIAL) {
                return;
            }
            long token = varint(datagram, after, end);
            if (token < 0) {
                return;
            }
            if (token > 0 && slot >= 0 && this.retried[slot]) {
                remove(slot);
                return;
            }
            // with a token and no entry, only a token the codec finds valid gets an answer: nothing to limit
            if (packets == 0 && end - datagram.readerIndex() >= MIN_INITIAL_DATAGRAM && (slot >= 0 || token == 0)) {
                if (slot < 0) {
                    slot = add(datagram, scidLengthAt + 1, scidLength);
                }
                this.received[slot] += end - datagram.readerIndex();
            }
            long lengthAt = after + varintLength(datagram.getUnsignedByte(after)) + token;
            long length = (lengthAt < end) ? varint(datagram, (int) lengthAt, end) : -1;
            if (length < 0) {
                return;
            }
            long next = lengthAt + varintLength(datagram.getUnsignedByte((int) lengthAt)) + length;
            if (next >= end) {
                return;
            }
            at = (int) next;
        }
    }

    /** Whether a datagram may be written; accounts for it if so. Never throws, whatever it holds. */
    boolean allowed(ByteBuf datagram) {
        int at = datagram.readerIndex();
        int length = datagram.readableBytes();
        if (length < DCID_AT || (datagram.getUnsignedByte(at) & LONG_HEADER) == 0 || datagram.getInt(at + 1) != 1) {
            return true;
        }
        int dcidLength = datagram.getUnsignedByte(at + DCID_AT - 1);
        int scidLengthAt = at + DCID_AT + dcidLength;
        if (dcidLength > MAX_ID || length <= DCID_AT + dcidLength) {
            return true;
        }
        int slot = find(datagram, at + DCID_AT, dcidLength);
        if (slot < 0) {
            return true;
        }
        if (this.sent[slot] + length > FACTOR * this.received[slot]) {
            return false;
        }
        this.sent[slot] += length;
        if ((datagram.getUnsignedByte(at) & TYPE_MASK) == RETRY) {
            this.retried[slot] = true;
        }
        int scidLength = datagram.getUnsignedByte(scidLengthAt);
        if (this.serverIdLengths[slot] < 0 && scidLength <= MAX_ID
                && scidLengthAt + 1 + scidLength <= datagram.writerIndex()) {
            datagram.getBytes(scidLengthAt + 1, this.serverIds, slot * MAX_ID, scidLength);
            this.serverIdLengths[slot] = (byte) scidLength;
        }
        return true;
    }

    /** The slot of the live entry for the ID at {@code from}, or -1. */
    private int find(ByteBuf buf, int from, int length) {
        int hash = hash(buf, from, length);
        for (int i = hash & this.mask; this.index[i] != 0; i = (i + 1) & this.mask) {
            int slot = this.index[i] - 1;
            if (this.hashes[slot] == hash && sameId(this.clientIds, this.clientIdLengths, slot, buf, from, length)) {
                return slot;
            }
        }
        return -1;
    }

    /** Makes an entry, first letting go of the expired ones and, when full, of the oldest. */
    private int add(ByteBuf buf, int from, int length) {
        long now = this.clock.getAsLong();
        while (this.count > 0 && (!this.live[this.head] || now - this.born[this.head] > this.lifetimeNanos
                || this.count == this.capacity)) {
            if (this.live[this.head]) {
                remove(this.head);
            }
            this.head = (this.head + 1) % this.capacity;
            this.count--;
        }
        int slot = (this.head + this.count) % this.capacity;
        this.count++;
        buf.getBytes(from, this.clientIds, slot * MAX_ID, length);
        this.clientIdLengths[slot] = (byte) length;
        // unknown until the server's first answer: no Handshake packet validates before it
        this.serverIdLengths[slot] = -1;
        this.received[slot] = 0;
        this.sent[slot] = 0;
        this.born[slot] = now;
        this.retried[slot] = false;
        this.live[slot] = true;
        int hash = hash(buf, from, length);
        this.hashes[slot] = hash;
        int i = hash & this.mask;
        while (this.index[i] != 0) {
            i = (i + 1) & this.mask;
        }
        this.index[i] = slot + 1;
        return slot;
    }

    /** Drops a live entry from the index; its slot stays in the ring until the head passes it. */
    private void remove(int slot) {
        this.live[slot] = false;
        int i = this.hashes[slot] & this.mask;
        while (this.index[i] != slot + 1) {
            i = (i + 1) & this.mask;
        }
        // shift back the entries behind it that would no longer be found past the hole
        for (int j = (i + 1) & this.mask; this.index[j] != 0; j = (j + 1) & this.mask) {
            int home = this.hashes[this.index[j] - 1] & this.mask;
            if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
                this.index[i] = this.index[j];
                i = j;
            }
        }
        this.index[i] = 0;
    }

    private static boolean sameId(byte[] ids, byte[] lengths, int slot, ByteBuf buf, int from, int length) {
        if (lengths[slot] != length) {
            return false;
        }
        int base = slot * MAX_ID;
        for (int i = 0; i < length; i++) {
            if (ids[base + i] != buf.getByte(from + i)) {
                return false;
            }
        }
        return true;
    }

    private static int hash(ByteBuf buf, int from, int length) {
        int hash = 0x811c9dc5;
        for (int i = 0; i < length; i++) {
            hash = (hash ^ buf.getByte(from + i)) * 0x01000193;
        }
        return hash ^ (hash >>> 16);
    }

    private static int varintLength(int first) {
        return 1 << (first >>> 6);
    }

    /** The variable-length integer at {@code at} (RFC 9000, section 16), or -1 where it does not fit. */
    private static long varint(ByteBuf buf, int at, int end) {
        if (at >= end) {
            return -1;
        }
        int first = buf.getUnsignedByte(at);
        int length = varintLength(first);
        if (at + length > end) {
            return -1;
        }
        long value = first & 0x3f;
        for (int i = 1; i < length; i++) {
            value = (value << 8) | buf.getUnsignedByte(at + i);
        }
        return (value > Integer.MAX_VALUE) ? -1 : value;
    }
}
