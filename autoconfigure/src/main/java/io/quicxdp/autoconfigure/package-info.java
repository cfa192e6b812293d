/**
 * Spring Boot auto-configuration of the quic-xdp datapath in XDP map mode.
 *
 * <p>{@link io.quicxdp.autoconfigure.XdpAutoConfiguration} binds {@code quic.xdp.*} to
 * {@link io.quicxdp.autoconfigure.XdpProperties}, opens one raw-only
 * {@link io.quicxdp.datapath.XdpDatapath} during context refresh when maps are configured, and closes it
 * late in shutdown through {@link io.quicxdp.autoconfigure.XdpDatapathLifecycle}. Start-up failures are
 * explained by failure analyzers that name the property, interface, map, queue and fix.
 */
@NullMarked
package io.quicxdp.autoconfigure;

import org.jspecify.annotations.NullMarked;
