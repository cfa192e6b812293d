/**
 * The quic-xdp sample application: a UDP echo and a QUIC echo (on the Netty transport) in XDP map mode, and a
 * zero-setup sandbox that gives them an XSKMAP to run against when none is configured.
 */
@NullMarked
package io.quicxdp.sample;

import org.jspecify.annotations.NullMarked;
