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
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

/**
 * The sample's TLS, for the QUIC echo and for HTTP/3: the certificate chain and key of
 * {@code sample.quic.certificate} and {@code sample.quic.private-key}, or, with neither set, a self-signed
 * certificate generated at start, for trying the sample only (no client trusts it unless told to).
 *
 * @param sslBundle the chain and key as an SSL bundle, which the sample registers as {@value #BUNDLE}
 * @param description where the certificate came from, for the log
 */
record QuicEchoCertificate(SslBundle sslBundle, String description) {

    /** The name of the SSL bundle that HTTP/3 uses ({@code quic.xdp.http3.ssl.bundle}). */
    static final String BUNDLE = "sample";

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
        SslBundle bundle = bundle(PemSslStoreDetails.forCertificates("file:" + certificate.toAbsolutePath())
            .withPrivateKey("file:" + privateKey.toAbsolutePath()));
        try {
            // reads and parses both files now, so that bad ones fail the start naming the properties
            bundle.getManagers().getKeyManagerFactory();
        }
        catch (RuntimeException ex) {
            throw new QuicCertificateException(certificate, privateKey, ex);
        }
        return new QuicEchoCertificate(bundle, "chain from " + certificate + " (sample.quic.certificate), key from "
                + privateKey + " (sample.quic.private-key)");
    }

    private static QuicEchoCertificate generate() {
        X509Bundle generated;
        try {
            // self-signed, so its own root (pkitesting builds those as authorities): a client can trust just this one
            generated = new CertificateBuilder().subject(GENERATED_SUBJECT).setIsCertificateAuthority(true)
                .buildSelfSigned();
        }
        catch (Exception ex) {
            throw new IllegalStateException("Generating the sample's self-signed certificate failed: " + ex
                    + "; configure one with sample.quic.certificate and sample.quic.private-key", ex);
        }
        SslBundle bundle = bundle(PemSslStoreDetails.forCertificates(generated.getCertificatePEM())
            .withPrivateKey(generated.getPrivateKeyPEM()));
        return new QuicEchoCertificate(bundle, "self-signed " + GENERATED_SUBJECT + ", SHA-256 fingerprint "
                + fingerprint(generated.getCertificate()) + ", generated at start for trying the sample only; "
                + "configure sample.quic.certificate and sample.quic.private-key for a real one");
    }

    private static SslBundle bundle(PemSslStoreDetails keyStore) {
        return SslBundle.of(new PemSslStoreBundle(keyStore, null));
    }

    /** The QUIC echo's server context, offering ALPN {@value QuicEchoService#ALPN}; needs Netty's QUIC library. */
    QuicSslContext sslContext() {
        // the key travels to BoringSSL as PKCS#8, so the key manager's password does not apply
        return QuicSslContextBuilder.forServer(this.sslBundle.getManagers().getKeyManagerFactory(), null)
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
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
