/** Micrometer meters over the datapath's sockets and maps, and over the QUIC connections' routing. */
@NullMarked
package io.quicxdp.autoconfigure.actuate.metrics;

import org.jspecify.annotations.NullMarked;
