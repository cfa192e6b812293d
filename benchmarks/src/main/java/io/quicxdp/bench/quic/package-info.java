/**
 * The QUIC benchmarks' two processes: the HTTP/3 server on each transport and the load generator, with what
 * they measure (latency histograms, window statistics).
 *
 * <p>May import: the datapath's API, the Netty transport and Netty's QUIC and HTTP/3 codecs.
 */
package io.quicxdp.bench.quic;
