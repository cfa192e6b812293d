package io.quicxdp.datapath.state;

import java.util.List;

/**
 * A snapshot of a datapath: its maps and sockets.
 *
 * @param open whether the datapath is open
 * @param maps one entry per configured map
 * @param sockets one entry per interface queue
 */
public record DatapathState(boolean open, List<MapState> maps, List<SocketState> sockets) {
}
