package io.quicxdp.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains {@link XdpDisabledWithMapsException}: both properties, and the two ways out. */
class XdpDisabledWithMapsFailureAnalyzer extends AbstractFailureAnalyzer<XdpDisabledWithMapsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, XdpDisabledWithMapsException cause) {
        return new FailureAnalysis("XDP must be enabled when an XDP map is configured. quic.xdp.enabled is false, "
                + "but quic.xdp.maps configures " + cause.interfaces()
                + ", and the XDP map-mode datapath has no ordinary-socket fallback.",
                "Either remove quic.xdp.enabled (or set it to true) to serve the configured maps, or remove the "
                        + "quic.xdp.maps entries to run without the XDP datapath.",
                cause);
    }
}
