package io.quicxdp.autoconfigure.netty;

/**
 * The QUIC connection IDs issued on the event loops and what the hand-over between loops has done, read without
 * stopping it. Counters count from the start, over every QUIC port bound through the {@link XdpChannelBinder}.
 *
 * @param serverId the server ID in every connection ID, in hexadecimal ({@code quic.xdp.quic.server-id})
 * @param serverIdRandom whether the server ID was drawn at random for this process, none being configured
 * @param connectionIdLength the length of every connection ID in octets
 * @param configRotation the config rotation codepoint, 0 to 6
 * @param lengthSelfDescription whether the first octet says the length of the rest
 * @param loops the event loops, whose index each connection ID carries after the server ID
 * @param packetsHandedOver datagrams received on one loop and read by the codec of the loop that owns their
 *     connection
 * @param handOversDropped datagrams for another loop dropped instead (its channel closed, or too many waiting)
 * @param foreignPackets short-header datagrams whose destination ID this server did not issue, dropped
 * @param statelessResetsSent of those, the ones answered with a stateless reset (with a shared reset key)
 * @param migrationsSeen connections whose peer moved to a new address
 * @param limits the connections and handshakes refused or shed past {@code quic.xdp.quic.max-connections} and
 *     {@code max-handshakes}, over the connections set up by {@code XdpQuicRouting.connectionHandler}
 */
public record QuicRoutingState(String serverId, boolean serverIdRandom, int connectionIdLength, int configRotation,
        boolean lengthSelfDescription, int loops, long packetsHandedOver, long handOversDropped, long foreignPackets,
        long statelessResetsSent, long migrationsSeen, QuicLimitsState limits) {
}
