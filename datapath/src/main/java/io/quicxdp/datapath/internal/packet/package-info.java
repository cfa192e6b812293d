/**
 * Frames as bytes, internal: Ethernet, IPv4, IPv6 and UDP flyweights that parse and write in place, and their
 * checksums. Nothing here allocates per packet.
 *
 * <p>May import: {@code config} and {@code state}.
 */
package io.quicxdp.datapath.internal.packet;
