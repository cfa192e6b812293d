/**
 * A Netty 4.2 transport on the XDP datapath: {@link io.quicxdp.netty.XdpIoHandlerFactory} makes one event loop per
 * queue id, each driving its queues through the datapath's {@code driver} seam, and
 * {@link io.quicxdp.netty.XdpDatagramChannel} reads and writes datagrams in the queues' UMEM frames.
 *
 * <p>May import: Netty and the datapath's API ({@code io.quicxdp.datapath}, its {@code config}, {@code state} and
 * {@code driver}); never {@code io.quicxdp.datapath.internal}.
 */
package io.quicxdp.netty;
