package io.quicxdp.sample;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a {@link SandboxException}: what the sandbox needed, and the two ways on (root, or a map). */
class SandboxFailureAnalyzer extends AbstractFailureAnalyzer<SandboxException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SandboxException cause) {
        return new FailureAnalysis("The sample's zero-setup sandbox could not be built: " + cause.getMessage(),
                cause.action(), cause);
    }
}
