/** Netty event loops on the datapath's queues, and binding Netty pipelines on them. */
@NullMarked
package io.quicxdp.autoconfigure.netty;

import org.jspecify.annotations.NullMarked;
