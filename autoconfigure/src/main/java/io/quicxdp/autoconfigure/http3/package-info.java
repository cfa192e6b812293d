/** HTTP/3 for reactive applications, served by Reactor Netty on the XDP transport's event loops. */
@NullMarked
package io.quicxdp.autoconfigure.http3;

import org.jspecify.annotations.NullMarked;
