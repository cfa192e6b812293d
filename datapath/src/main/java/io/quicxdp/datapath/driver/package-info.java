/**
 * The seam a transport drives the queues through, from threads it owns (an event loop):
 * {@link io.quicxdp.datapath.driver.QueueDriver}, one per queue, and
 * {@link io.quicxdp.datapath.driver.QueueWaiter}, where a driving thread sleeps. The datapath's own poll
 * threads use the same two.
 *
 * <p>May import: {@code internal.linux}, behind types that name only the JDK's. The API above implements it.
 */
package io.quicxdp.datapath.driver;
