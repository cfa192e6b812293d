package io.quicxdp.autoconfigure.http3;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Says what to do when HTTP/3 is enabled where it cannot run: no SSL bundle, or a servlet application. */
class XdpHttp3FailureAnalyzer extends AbstractFailureAnalyzer<XdpHttp3ConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, XdpHttp3ConfigurationException cause) {
        return new FailureAnalysis(cause.getMessage() + ".", cause.action(), cause);
    }
}
