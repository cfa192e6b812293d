/**
 * BPF objects, internal: maps ({@link io.quicxdp.datapath.internal.bpf.BpfMap}), the read-only probe that
 * looks into XSKMAP slots, and the reference XDP program for tests and sandboxes (never used by map mode).
 *
 * <p>May import: {@code internal.linux}.
 */
package io.quicxdp.datapath.internal.bpf;
