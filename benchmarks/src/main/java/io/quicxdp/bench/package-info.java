/**
 * The end-to-end benchmarks that {@code benchmarks/run.sh} drives: receivers on the datapath, on Netty's epoll
 * transport and on NIO, the generators' runners, and the Markdown reports.
 *
 * <p>May import: the datapath's API and the Netty transport; the reference XDP program from
 * {@code io.quicxdp.datapath.internal.bpf} for the benchmark's own namespace.
 */
package io.quicxdp.bench;
