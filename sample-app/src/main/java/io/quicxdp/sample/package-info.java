/**
 * The quic-xdp sample application: a UDP echo service in XDP map mode, and a zero-setup sandbox that gives
 * it an XSKMAP to run against when none is configured.
 */
@NullMarked
package io.quicxdp.sample;

import org.jspecify.annotations.NullMarked;
