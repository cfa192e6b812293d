package io.quicxdp.sample;

import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * The QUIC echo's TLS: the certificate chain and key of {@code sample.quic.certificate} and
 * {@code sample.quic.private-key}, or, with neither set, a self-signed certificate generated at start, for
 * trying the sample only (no client trusts it unless told to).
 *
 * @param sslContext the server's TLS context, offering ALPN {@value QuicEchoService#ALPN}
 * @param description where the certificate came from, for the log
 */
record QuicEchoCertificate(QuicSslContext sslContext, String description) {

    /** The subject of the generated certificate. */
    static final String GENERATED_SUBJECT = "CN=quic-xdp sample";

    /**
     * Loads the configured certificate, or generates one when none is configured.
     *
     * @throws QuicCertificateException when the files are not a PEM certificate chain and its key
     */
    static QuicEchoCertificate load(SampleProperties.Quic properties) {
        Path certificate = properties.getCertificate();
        Path privateKey = properties.getPrivateKey();
        if (certificate == null || privateKey == null) {
            return generate();
        }
        try {
            QuicSslContext context = QuicSslContextBuilder.forServer(privateKey.toFile(), null, certificate.toFile())
                .applicationProtocols(QuicEchoService.ALPN)
                .build();
            return new QuicEchoCertificate(context, "chain from " + certificate + " (sample.quic.certificate), key "
                    + "from " + privateKey + " (sample.quic.private-key)");
        }
        catch (RuntimeException ex) {
            throw new QuicCertificateException(certificate, privateKey, ex);
        }
    }

    private static QuicEchoCertificate generate() {
        X509Bundle bundle;
        try {
            // self-signed, so its own root (pkitesting builds those as authorities): a client can trust just this one
            bundle = new CertificateBuilder().subject(GENERATED_SUBJECT).setIsCertificateAuthority(true)
                .buildSelfSigned();
        }
        catch (Exception ex) {
            throw new IllegalStateException("Generating the QUIC echo's self-signed certificate failed: " + ex
                    + "; configure one with sample.quic.certificate and sample.quic.private-key", ex);
        }
        QuicSslContext context = QuicSslContextBuilder
            .forServer(bundle.getKeyPair().getPrivate(), null, bundle.getCertificate())
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
        return new QuicEchoCertificate(context, "self-signed " + GENERATED_SUBJECT + ", SHA-256 fingerprint "
                + fingerprint(bundle.getCertificate()) + ", generated at start for trying the sample only; "
                + "configure sample.quic.certificate and sample.quic.private-key for a real one");
    }

    private static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        }
        catch (CertificateEncodingException | NoSuchAlgorithmException ex) {
            throw new IllegalStateException("the generated certificate has no SHA-256 fingerprint", ex);
        }
    }
}
