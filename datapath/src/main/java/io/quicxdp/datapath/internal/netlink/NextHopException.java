package io.quicxdp.datapath.internal.netlink;

import java.io.IOException;

/**
 * No next hop for a destination: its route leads nowhere a frame can be sent, or its neighbour did not
 * answer in time. The message names the address and the interface.
 */
public class NextHopException extends IOException {

    private static final long serialVersionUID = 1L;

    NextHopException(String message) {
        super(message);
    }
}
