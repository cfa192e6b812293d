package io.quicxdp.autoconfigure;

import java.util.List;

/**
 * {@code quic.xdp.enabled=false} was set while {@code quic.xdp.maps} configures maps. Map mode is
 * raw-only, so there is no datapath to fall back to: the configuration contradicts itself.
 */
public class XdpDisabledWithMapsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> interfaces;

    /**
     * Creates the exception.
     *
     * @param interfaces the interfaces that {@code quic.xdp.maps} configures
     */
    public XdpDisabledWithMapsException(List<String> interfaces) {
        super("XDP must be enabled when an XDP map is configured: quic.xdp.enabled is false, but quic.xdp.maps "
                + "configures " + interfaces);
        this.interfaces = List.copyOf(interfaces);
    }

    /** The interfaces that {@code quic.xdp.maps} configures. */
    public List<String> interfaces() {
        return this.interfaces;
    }
}
