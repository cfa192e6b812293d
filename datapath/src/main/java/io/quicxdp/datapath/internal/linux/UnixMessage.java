package io.quicxdp.datapath.internal.linux;

/**
 * One message received on a {@code SOCK_SEQPACKET} unix socket.
 *
 * @param length the bytes received into the caller's buffer; 0 when the peer closed the connection
 * @param fd the descriptor that came with it over {@code SCM_RIGHTS}, owned by the receiver from now on
 *     (opened close-on-exec), or -1 when none came
 */
public record UnixMessage(int length, int fd) {

    /** Whether the peer closed the connection instead of sending. */
    public boolean closed() {
        return length == 0 && fd < 0;
    }
}
