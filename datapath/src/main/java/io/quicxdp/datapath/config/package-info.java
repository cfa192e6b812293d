/**
 * How a datapath is configured: {@link io.quicxdp.datapath.config.DatapathSettings} and the maps it opens
 * ({@link io.quicxdp.datapath.config.XdpMapConfig}, {@link io.quicxdp.datapath.config.MapSource}), plain
 * immutable values at the bottom that every layer reads.
 *
 * <p>May import: the JDK only.
 */
package io.quicxdp.datapath.config;
