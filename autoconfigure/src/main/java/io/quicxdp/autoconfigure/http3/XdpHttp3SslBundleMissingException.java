package io.quicxdp.autoconfigure.http3;

/** HTTP/3 is enabled but names no SSL bundle, and the web server has none either: QUIC needs TLS. */
public class XdpHttp3SslBundleMissingException extends XdpHttp3ConfigurationException {

    private static final long serialVersionUID = 1L;

    XdpHttp3SslBundleMissingException() {
        super("quic.xdp.http3.enabled is true, but neither quic.xdp.http3.ssl.bundle nor server.ssl.bundle names "
                + "an SSL bundle, and HTTP/3 runs only over TLS",
                "Configure an SSL bundle with the server's key and certificate (spring.ssl.bundle.pem.NAME.keystore."
                        + "certificate and .private-key) and name it in quic.xdp.http3.ssl.bundle (or server.ssl.bundle), "
                        + "or set quic.xdp.http3.enabled=false.");
    }
}
