package io.quicxdp.sample;

import java.nio.file.Path;

/** The files of {@code sample.quic.certificate} and {@code sample.quic.private-key} could not be loaded. */
class QuicCertificateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    QuicCertificateException(Path certificate, Path privateKey, RuntimeException cause) {
        super("sample.quic.certificate (" + certificate + ") and sample.quic.private-key (" + privateKey
                + ") are not a PEM certificate chain and its private key: " + cause.getMessage(), cause);
    }
}
