package io.quicxdp.autoconfigure.http3;

import java.util.List;

/** HTTP/3 names an SSL bundle that is not configured. */
public class XdpHttp3SslBundleUnknownException extends XdpHttp3ConfigurationException {

    private static final long serialVersionUID = 1L;

    XdpHttp3SslBundleUnknownException(String property, String name, List<String> configured, Throwable cause) {
        super(property + " names the SSL bundle '" + name + "', which is not configured (configured: "
                + (configured.isEmpty() ? "none" : String.join(", ", configured)) + ")",
                "Configure the bundle with the server's key and certificate (spring.ssl.bundle.pem." + name
                        + ".keystore.certificate and .private-key), or name a configured one in " + property + ".");
        initCause(cause);
    }
}
