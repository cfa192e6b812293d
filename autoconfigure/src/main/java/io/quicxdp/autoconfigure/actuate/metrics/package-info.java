/** Micrometer meters over the datapath's socket and map counters. */
@NullMarked
package io.quicxdp.autoconfigure.actuate.metrics;

import org.jspecify.annotations.NullMarked;
