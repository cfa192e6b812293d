/**
 * Where a map comes from when it is not pinned, internal: the AF_XDP device plugin's hand-over and the quic-xdp
 * agent's protocol, which the agent module shares.
 *
 * <p>May import: {@code internal.linux}.
 */
package io.quicxdp.datapath.internal.source;
