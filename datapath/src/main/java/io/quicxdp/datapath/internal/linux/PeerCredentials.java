package io.quicxdp.datapath.internal.linux;

/**
 * Who is at the other end of a unix socket, as the kernel recorded it when the connection was made
 * ({@code SO_PEERCRED}): it cannot be forged by the peer.
 *
 * @param pid the peer's process id, in the reader's pid namespace (0 when it has none there)
 * @param uid the peer's effective user id
 * @param gid the peer's effective group id
 */
public record PeerCredentials(int pid, int uid, int gid) {
}
