/**
 * The load generators of the reliability runs (docs/reliability.md): many HTTP/3 connections held open
 * ({@link io.quicxdp.bench.load.ConnectionLoad}), the handshake flood ({@link io.quicxdp.bench.load.InitialFlood}) and
 * what the server sent back to it, read on the wire ({@link io.quicxdp.bench.load.AmplificationMeter}); each also
 * a process for the scripts beside benchmarks/soak.sh, and used in-process by the sample's tests.
 *
 * <p>May import: Netty's QUIC and HTTP/3 codecs, the benchmarks' latency histogram, the datapath test-jar's
 * {@code PeerCapture}.
 */
package io.quicxdp.bench.load;
