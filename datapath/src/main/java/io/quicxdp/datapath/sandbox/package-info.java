/**
 * What a demo or trial sandbox needs beside map mode: the reference XDP program with its pinned XSKMAP, standing
 * in for an operator's own, and entering a network namespace from a thread. Map mode never uses it.
 *
 * <p>May import: {@code internal.bpf} and {@code internal.linux}, behind types that name only the JDK's.
 */
package io.quicxdp.datapath.sandbox;
