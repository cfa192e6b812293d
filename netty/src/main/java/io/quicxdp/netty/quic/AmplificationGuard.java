package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * QUIC's anti-amplification limit (RFC 9000, section 8.1) on the wire, right in front of one event loop's QUIC
 * codec: before a client's address is validated, the datagrams written to it carry at most three times the bytes
 * received from it. quiche keeps to it for what it sends of its own accord, but goes on sending probes of its first
 * flight (PTO) to a client that does not answer, past three times: a handshake flood with spoofed sources turns the
 * server into an amplifier. This guard holds those datagrams back.
 *
 * <ul>
 * <li>A client is its connection ID (the Source Connection ID of what it sends) at its address: the limit is the
 * address's, and one address's bytes never make another's budget. A datagram read that begins with a version 1
 * Initial of at least 1200 bytes (smaller ones the codec discards) adds its length to the client's budget. So does a
 * datagram that begins with its 0-RTT data.</li>
 * <li>A client takes an entry when the codec first answers it: the datagram written whose first packet has a long
 * header for its ID (its Destination Connection ID). Until then its budget waits in a small table of its own, where
 * a newer client may take its place: such a client starts with the 1200 bytes its Initial had at least. Initials
 * the codec drops (undecryptable, or shed) take no entry, so a flood of them cannot push out the clients being
 * answered.</li>
 * <li>A datagram written to a client (the Destination Connection ID of its first packet, and the recipient) that
 * would take what was
 * sent to it past three times its budget is released instead of written, its promise completed, and counted
 * ({@link QuicConnectionLimit#amplificationDropped()}); a segmented datagram goes or stays as a whole.</li>
 * <li>The client's address is validated, its entry dropped and its ID remembered as validated, by a Handshake
 * packet in a datagram it sends whose Destination Connection ID is the one the server chose (which a client at a
 * spoofed address never sees).</li>
 * <li>A Retry passes and makes no entry: it is smaller than the Initial it answers, and a flood answered with
 * Retries then takes no place from the clients being answered with handshakes.</li>
 * </ul>
 *
 * <p>A datagram that begins with a short header is looked up only while clients wait for validation, under each
 * length their IDs have of at least {@value #MIN_SHORT_HEADER_ID} octets: quiche sends some of its probes as 1-RTT
 * packets alone, and with no client waiting an established connection's datagram costs nothing more.
 *
 * <p>Its limits: a client that chooses an ID shorter than {@value #MIN_SHORT_HEADER_ID} octets is held on long
 * headers only (behind a short header its ID would match the first octets of others'), and clients that choose
 * an empty ID share one budget. An entry stays until its client is validated or, at {@code capacity} entries,
 * until it is the oldest and a new client is answered: a handshake that timed out keeps what is left of its budget
 * for its close. A client forgotten before it was validated is marked
 * so, and answered again it starts with no budget, only what it sends from then on. The pending, validated and
 * forgotten clients are kept in tables of fixed size, each client in one place chosen by hash, where a newer one may
 * take an older one's place (a client is told by its ID and address, never by its hash alone): a forgotten client
 * whose place is taken starts again with 1200 bytes; a validated client whose server still writes long headers to
 * it gets an entry again, with 1200 bytes of budget, until its next Handshake packet. The hash is seeded at random
 * per guard, so that IDs chosen to fall into one place cannot be worked out in advance.
 *
 * <p>One per channel, confined to its event loop; its table is made once, and a datagram costs no allocation.
 */
final class AmplificationGuard extends ChannelDuplexHandler {

    /** The factor of RFC 9000, section 8.1. */
    static final int FACTOR = 3;

    /** The smallest datagram a client may carry an Initial in (RFC 9000, section 14.1). */
    static final int MIN_INITIAL_DATAGRAM = 1200;

    /** The longest connection ID of QUIC version 1. */
    static final int MAX_ID = 20;

    /** The shortest client ID looked for behind a short header: too many to guess an established client's by. */
    static final int MIN_SHORT_HEADER_ID = 8;

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

    private final int capacity;

    private final int seed;

    /** The entries, in slots of a ring kept in the order they were made. */
    private final Clients entries;

    private final byte[] serverIds;

    private final byte[] serverIdLengths;

    private final long[] received;

    private final long[] sent;

    private final boolean[] isLive;

    private int head;

    /** Live entries, in all and by the length of their client's ID. */
    private int live;

    private final int[] liveByIdLength = new int[MAX_ID + 1];

    private int count;

    /** Open addressing over the entries: a slot plus one, 0 for none; linear probing, deletion by shifting. */
    private final int[] index;

    private final int mask;

    // each client in the one place its hash names, a newer one taking an older one's place: the budgets of clients
    // not answered yet (in pendingBytes), the clients validated, and those forgotten before they were
    private final Clients pending;

    private final long[] pendingBytes;

    private final Clients validated;

    private final Clients forgotten;

    private final int placeMask;

    AmplificationGuard(int capacity, LongAdder dropped, LongAdder bytesDropped) {
        this(capacity, dropped, bytesDropped, ThreadLocalRandom.current().nextInt());
    }

    AmplificationGuard(int capacity, LongAdder dropped, LongAdder bytesDropped, int seed) {
        this.capacity = capacity;
        this.dropped = dropped;
        this.bytesDropped = bytesDropped;
        this.seed = seed;
        this.entries = new Clients(capacity);
        this.serverIds = new byte[capacity * MAX_ID];
        this.serverIdLengths = new byte[capacity];
        this.received = new long[capacity];
        this.sent = new long[capacity];
        this.isLive = new boolean[capacity];
        int size = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        this.index = new int[size];
        this.mask = size - 1;
        int places = size / 2;
        this.pending = new Clients(places);
        this.pendingBytes = new long[places];
        this.validated = new Clients(places);
        this.forgotten = new Clients(places);
        this.placeMask = places - 1;
    }

    /** Clients whose address is not validated yet. */
    int entries() {
        return this.live;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            received(packet.content(), packet.sender());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof DatagramPacket packet && !allowed(packet.content(), packet.recipient())) {
            this.dropped.increment();
            this.bytesDropped.add(packet.content().readableBytes());
            packet.release();
            // as if sent: to the codec it is a datagram lost on the way, which it would not hear of either
            promise.trySuccess();
            return;
        }
        ctx.write(msg, promise);
    }

    /** Accounts for a datagram read from {@code sender}; never throws, whatever it holds. */
    private void received(ByteBuf datagram, InetSocketAddress sender) {
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
            int hash = hash(datagram, scidLengthAt + 1, scidLength, sender);
            int slot = find(hash, datagram, scidLengthAt + 1, scidLength, sender);
            if (type == HANDSHAKE) {
                if (slot >= 0 && sameId(this.serverIds, this.serverIdLengths, slot, datagram, at + DCID_AT,
                        dcidLength)) {
                    validated(slot);
                }
                return;
            }
            if (type == ZERO_RTT) {
                // the client's early data counts as quiche counts it: a budget smaller than quiche's would cut
                // the 0.5-RTT answers it sends within its own
                if (packets == 0) {
                    addReceived(slot, hash, datagram, scidLengthAt + 1, scidLength, sender,
                            end - datagram.readerIndex(), false);
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
            if (packets == 0 && end - datagram.readerIndex() >= MIN_INITIAL_DATAGRAM) {
                addReceived(slot, hash, datagram, scidLengthAt + 1, scidLength, sender, end - datagram.readerIndex(),
                        true);
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

    /**
     * Whether a datagram may be written to {@code recipient}; accounts for it if so. Never throws, whatever it holds.
     */
    private boolean allowed(ByteBuf datagram, InetSocketAddress recipient) {
        int at = datagram.readerIndex();
        int length = datagram.readableBytes();
        if (length > 0 && (datagram.getUnsignedByte(at) & LONG_HEADER) == 0) {
            return this.live == 0 || shortHeaderAllowed(datagram, at, length, recipient);
        }
        if (length < DCID_AT || datagram.getInt(at + 1) != 1) {
            return true;
        }
        int dcidLength = datagram.getUnsignedByte(at + DCID_AT - 1);
        int scidLengthAt = at + DCID_AT + dcidLength;
        if (dcidLength > MAX_ID || length <= DCID_AT + dcidLength) {
            return true;
        }
        int hash = hash(datagram, at + DCID_AT, dcidLength, recipient);
        int slot = find(hash, datagram, at + DCID_AT, dcidLength, recipient);
        if (slot < 0) {
            if ((datagram.getUnsignedByte(at) & TYPE_MASK) == RETRY) {
                return true;
            }
            if (this.validated.holds(hash & this.placeMask, hash, datagram, at + DCID_AT, dcidLength, recipient)) {
                return true;
            }
            slot = add(datagram, at + DCID_AT, dcidLength, recipient, hash);
        }
        if (!withinBudget(slot, length)) {
            return false;
        }
        int scidLength = datagram.getUnsignedByte(scidLengthAt);
        if (this.serverIdLengths[slot] < 0 && scidLength <= MAX_ID
                && scidLengthAt + 1 + scidLength <= datagram.writerIndex()) {
            datagram.getBytes(scidLengthAt + 1, this.serverIds, slot * MAX_ID, scidLength);
            this.serverIdLengths[slot] = (byte) scidLength;
        }
        return true;
    }

    /**
     * A datagram that begins with a short header, while clients wait for validation: quiche sends some of its
     * probes to them as 1-RTT packets alone. Its Destination Connection ID has no length on the wire, so each
     * length the waiting clients' IDs have is tried, from {@value #MIN_SHORT_HEADER_ID} octets: a shorter ID would
     * match the first octets of established clients' IDs, whose datagrams it would then hold.
     */
    private boolean shortHeaderAllowed(ByteBuf datagram, int at, int length, InetSocketAddress recipient) {
        for (int idLength = MIN_SHORT_HEADER_ID; idLength <= MAX_ID && idLength < length; idLength++) {
            if (this.liveByIdLength[idLength] > 0) {
                int slot = find(hash(datagram, at + 1, idLength, recipient), datagram, at + 1, idLength, recipient);
                if (slot >= 0) {
                    return withinBudget(slot, length);
                }
            }
        }
        return true;
    }

    /** Whether {@code length} more bytes to the client of {@code slot} stay within three times its budget. */
    private boolean withinBudget(int slot, int length) {
        if (this.sent[slot] + length > FACTOR * this.received[slot]) {
            return false;
        }
        this.sent[slot] += length;
        return true;
    }

    /** The slot of the live entry for the client at {@code from} and {@code address}, of {@code hash}, or -1. */
    private int find(int hash, ByteBuf buf, int from, int length, InetSocketAddress address) {
        for (int i = hash & this.mask; this.index[i] != 0; i = (i + 1) & this.mask) {
            int slot = this.index[i] - 1;
            if (this.entries.holds(slot, hash, buf, from, length, address)) {
                return slot;
            }
        }
        return -1;
    }

    /**
     * Makes the entry of a client the codec answers, with the budget its datagrams made so far (at least the 1200
     * bytes of the Initial it is answered for), first letting go of the oldest when full.
     */
    private int add(ByteBuf buf, int from, int length, InetSocketAddress address, int hash) {
        while (this.count > 0 && (!this.isLive[this.head] || this.count == this.capacity)) {
            if (this.isLive[this.head]) {
                // forgotten before it proved its address: answered again, it starts with what it sends from now
                this.forgotten.copy(this.entries.hashes[this.head] & this.placeMask, this.entries, this.head);
                remove(this.head);
            }
            this.head = (this.head + 1) % this.capacity;
            this.count--;
        }
        int slot = (this.head + this.count) % this.capacity;
        this.count++;
        this.entries.put(slot, hash, buf, from, length, address);
        // unknown until the server's first answer: no Handshake packet validates before it
        this.serverIdLengths[slot] = -1;
        int place = hash & this.placeMask;
        long budget = 0;
        if (this.pending.holds(place, hash, buf, from, length, address)) {
            budget = this.pendingBytes[place];
            this.pending.clear(place);
        }
        if (this.forgotten.holds(place, hash, buf, from, length, address)) {
            this.forgotten.clear(place);
            this.received[slot] = budget;
        }
        else {
            this.received[slot] = Math.max(MIN_INITIAL_DATAGRAM, budget);
        }
        this.sent[slot] = 0;
        this.isLive[slot] = true;
        this.live++;
        this.liveByIdLength[length]++;
        int i = hash & this.mask;
        while (this.index[i] != 0) {
            i = (i + 1) & this.mask;
        }
        this.index[i] = slot + 1;
        return slot;
    }

    /**
     * Adds a datagram's bytes to its client's budget: in its entry, or, for a client not answered yet, in the
     * pending table, where {@code initial} datagrams start a budget and others only add to one.
     */
    private void addReceived(int slot, int hash, ByteBuf buf, int from, int length, InetSocketAddress address,
            int bytes, boolean initial) {
        if (slot >= 0) {
            this.received[slot] += bytes;
            return;
        }
        int place = hash & this.placeMask;
        if (this.pending.holds(place, hash, buf, from, length, address)) {
            this.pendingBytes[place] += bytes;
        }
        else if (initial) {
            this.pending.put(place, hash, buf, from, length, address);
            this.pendingBytes[place] = bytes;
        }
    }

    /** The client of {@code slot} proved its address: no limit any more. */
    private void validated(int slot) {
        this.validated.copy(this.entries.hashes[slot] & this.placeMask, this.entries, slot);
        remove(slot);
    }

    /** Drops a live entry from the index; its slot stays in the ring until the head passes it. */
    private void remove(int slot) {
        this.isLive[slot] = false;
        this.live--;
        this.liveByIdLength[this.entries.lengths[slot]]--;
        int i = this.entries.hashes[slot] & this.mask;
        while (this.index[i] != slot + 1) {
            i = (i + 1) & this.mask;
        }
        // shift back the entries behind it that would no longer be found past the hole
        for (int j = (i + 1) & this.mask; this.index[j] != 0; j = (j + 1) & this.mask) {
            int home = this.entries.hashes[this.index[j] - 1] & this.mask;
            if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
                this.index[i] = this.index[j];
                i = j;
            }
        }
        this.index[i] = 0;
        // the address is not held past the entry's life
        this.entries.addresses[slot] = null;
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

    /** The hash of a client, never 0: its ID from this guard's seed, with its address ({@link ConnectionIdHash}). */
    int hash(ByteBuf buf, int from, int length, InetSocketAddress address) {
        return ConnectionIdHash.finish(ConnectionIdHash.with(ConnectionIdHash.of(this.seed, buf, from, length),
                Objects.hashCode(address)));
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

    /**
     * Clients by place: each place holds one client's ID, address and hash, or none (hash 0). The entries' ring is
     * one, and so is each table where a client has the place its hash names.
     */
    static final class Clients {

        final byte[] ids;

        final byte[] lengths;

        final InetSocketAddress[] addresses;

        final int[] hashes;

        Clients(int places) {
            this.ids = new byte[places * MAX_ID];
            this.lengths = new byte[places];
            this.addresses = new InetSocketAddress[places];
            this.hashes = new int[places];
        }

        /** Whether {@code place} holds the client of {@code hash} whose ID is at {@code from}, at {@code address}. */
        boolean holds(int place, int hash, ByteBuf buf, int from, int length, InetSocketAddress address) {
            return this.hashes[place] == hash && sameId(this.ids, this.lengths, place, buf, from, length)
                    && Objects.equals(this.addresses[place], address);
        }

        void put(int place, int hash, ByteBuf buf, int from, int length, InetSocketAddress address) {
            buf.getBytes(from, this.ids, place * MAX_ID, length);
            this.lengths[place] = (byte) length;
            this.addresses[place] = address;
            this.hashes[place] = hash;
        }

        /** Puts the client at {@code slot} of {@code other} into {@code place}. */
        void copy(int place, Clients other, int slot) {
            System.arraycopy(other.ids, slot * MAX_ID, this.ids, place * MAX_ID, MAX_ID);
            this.lengths[place] = other.lengths[slot];
            this.addresses[place] = other.addresses[slot];
            this.hashes[place] = other.hashes[slot];
        }

        void clear(int place) {
            this.hashes[place] = 0;
            this.addresses[place] = null;
        }
    }
}
