/** HTTP/3 for reactive applications, over Netty's QUIC and HTTP/3 codecs on the XDP transport's event loops. */
@NullMarked
package io.quicxdp.autoconfigure.http3;

import org.jspecify.annotations.NullMarked;
