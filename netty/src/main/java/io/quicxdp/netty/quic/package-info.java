/**
 * QUIC on the XDP transport's event loops: connection IDs in QUIC-LB's plaintext format that name the server and
 * the loop owning the connection ({@link io.quicxdp.netty.quic.QuicLbConnectionIds}), and the hand-over of a
 * datagram that arrives on another loop to that one ({@link io.quicxdp.netty.quic.XdpQuicRouting},
 * {@link io.quicxdp.netty.quic.XdpQuicDispatcher}). Needs Netty's QUIC codec on the class path.
 *
 * <p>May import: Netty, its QUIC codec, the transport ({@code io.quicxdp.netty}) and the datapath's {@code config}
 * package.
 */
package io.quicxdp.netty.quic;
