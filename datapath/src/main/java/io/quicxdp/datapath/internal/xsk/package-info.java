/**
 * AF_XDP sockets, internal: {@link io.quicxdp.datapath.internal.xsk.XdpSocket} with its UMEM and four rings, the
 * rings' acquire/release protocol, and the receive frames' accounting.
 *
 * <p>May import: {@code config}, {@code state} and {@code internal.linux}.
 */
package io.quicxdp.datapath.internal.xsk;
