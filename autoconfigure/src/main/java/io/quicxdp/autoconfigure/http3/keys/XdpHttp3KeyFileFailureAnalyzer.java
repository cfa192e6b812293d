package io.quicxdp.autoconfigure.http3.keys;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a key file that cannot be used: the property, the file, what is wrong, and the format it takes. */
class XdpHttp3KeyFileFailureAnalyzer extends AbstractFailureAnalyzer<XdpHttp3KeyFileException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, XdpHttp3KeyFileException cause) {
        return new FailureAnalysis(cause.getMessage() + ".", cause.action(), cause);
    }
}
