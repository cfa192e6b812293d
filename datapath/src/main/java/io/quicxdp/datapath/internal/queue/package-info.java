/**
 * The queue engine, internal: one interface queue's socket and turn
 * ({@link io.quicxdp.datapath.internal.queue.Queue}), its sending side
 * ({@link io.quicxdp.datapath.internal.queue.Transmitter}), and the one call it makes upward,
 * {@link io.quicxdp.datapath.internal.queue.FrameSink}. It knows frames and rings, never endpoints.
 *
 * <p>May import: {@code config}, {@code state}, {@code internal.xsk}, {@code internal.packet} and
 * {@code internal.linux}.
 */
package io.quicxdp.datapath.internal.queue;
