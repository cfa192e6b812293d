/**
 * JMH microbenchmarks of the hot path's pieces (frames, checksums, rings, the endpoint lookup, the Netty
 * transport), each measuring time and allocation per operation.
 *
 * <p>May import: the datapath and the Netty transport, internals included, and the datapath's test-jar seams
 * ({@code MemoryDatapath}, {@code MemoryKernel}, {@code MemoryRings}, {@code DemuxTable}); none of them reaches
 * package-private code.
 */
package io.quicxdp.microbench;
