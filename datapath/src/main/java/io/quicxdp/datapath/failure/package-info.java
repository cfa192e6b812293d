/**
 * Why a datapath could not start or go on: {@link io.quicxdp.datapath.failure.XdpDatapathException} and one
 * subclass per failure, each naming the interface, map and queue involved and, in {@code action()}, the fix.
 *
 * <p>May import: {@code config}, and {@code internal.linux} for the names of errno values.
 */
package io.quicxdp.datapath.failure;
