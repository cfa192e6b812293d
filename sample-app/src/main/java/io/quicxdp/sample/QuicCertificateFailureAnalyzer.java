package io.quicxdp.sample;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a {@link QuicCertificateException}: what the two files must hold, or how to do without them. */
class QuicCertificateFailureAnalyzer extends AbstractFailureAnalyzer<QuicCertificateException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, QuicCertificateException cause) {
        return new FailureAnalysis("The QUIC echo could not load its certificate: " + cause.getMessage(),
                "Point sample.quic.certificate at a PEM file with the certificate chain, the server's own "
                        + "certificate first, and sample.quic.private-key at a PEM file with its unencrypted private "
                        + "key; or remove both, and the sample generates a self-signed certificate at start.",
                cause);
    }
}
