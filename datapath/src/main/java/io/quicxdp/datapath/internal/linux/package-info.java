/**
 * The only native code, internal: system calls through JNA behind small Java types (sockets, memory maps,
 * {@code bpf(2)}, eventfd and {@code poll(2)}), results as {@code -errno} or
 * {@link io.quicxdp.datapath.internal.linux.NativeIoException}. Nothing above it sees a JNA type.
 *
 * <p>May import: JNA and the JDK only.
 */
package io.quicxdp.datapath.internal.linux;
