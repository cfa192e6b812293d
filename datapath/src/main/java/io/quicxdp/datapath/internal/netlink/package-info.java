/**
 * Route netlink, internal: links, routes and neighbours
 * ({@link io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket}) and the kernel's announcements of their
 * changes ({@link io.quicxdp.datapath.internal.netlink.RoutingChanges}).
 *
 * <p>May import: {@code internal.linux}.
 */
package io.quicxdp.datapath.internal.netlink;
