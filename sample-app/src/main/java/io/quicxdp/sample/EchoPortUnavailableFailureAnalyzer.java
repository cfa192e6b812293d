package io.quicxdp.sample;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains an {@link EchoPortUnavailableException}: who may hold the port, and how to pick another. */
class EchoPortUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<EchoPortUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, EchoPortUnavailableException cause) {
        int port = cause.port();
        return new FailureAnalysis(cause.getMessage() + ". The datapath also holds each port it serves with an "
                + "ordinary kernel socket (quic.xdp.port-reservation), so that what the XDP program passes to the "
                + "kernel finds a socket; another process on this host already has UDP port " + port + ".",
                "Stop the process holding it (ss -ulpn 'sport = :" + port + "' names it), or serve another port: "
                        + "--" + cause.property() + "=N, with your XDP program redirecting that port.",
                cause);
    }
}
