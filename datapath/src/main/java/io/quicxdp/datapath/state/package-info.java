/**
 * What a datapath reports: {@link io.quicxdp.datapath.state.DatapathState} with its maps and sockets, map
 * inspections, and the counters' vocabulary ({@link io.quicxdp.datapath.state.DropReason},
 * {@link io.quicxdp.datapath.state.FrameAccounting}, {@link io.quicxdp.datapath.state.XdpStatistics}). Plain
 * immutable values at the bottom, read by the actuator and written by the engine.
 *
 * <p>May import: {@code config}.
 */
package io.quicxdp.datapath.state;
