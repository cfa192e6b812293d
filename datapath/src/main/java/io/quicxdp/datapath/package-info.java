/**
 * The datapath's API, the top layer: {@link io.quicxdp.datapath.XdpDatapath} (open, bind, connect, state,
 * close), {@link io.quicxdp.datapath.UdpEndpoint}, {@link io.quicxdp.datapath.UdpPeer},
 * {@link io.quicxdp.datapath.DatagramHandler} and {@link io.quicxdp.datapath.ReceivedDatagram}; and,
 * package-private beside it, the UDP layer: the endpoint table and each queue's demultiplexer (the one
 * {@code FrameSink} the engine hands frames up to), peers' routes, port reservations, and the poll threads that
 * drive the queues through the {@code driver} seam.
 *
 * <p>May import: {@code config}, {@code state}, {@code failure}, {@code driver} and {@code internal.*}. Nothing
 * below imports it.
 */
package io.quicxdp.datapath;
