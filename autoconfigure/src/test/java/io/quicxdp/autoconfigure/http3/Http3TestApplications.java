package io.quicxdp.autoconfigure.http3;

import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel tests' applications with HTTP/3 through the starter are started with. */
final class Http3TestApplications {

    private Http3TestApplications() {
    }

    /**
     * The properties of an application on one XSKMAP with HTTP/3 on {@code port}, its TLS from {@code certificate},
     * whose PEM files are written into {@code directory}: a random TCP port, no banner, {@code frames} UMEM frames.
     */
    static String[] properties(String interfaceName, Path pin, int port, int frames, X509Bundle certificate,
            Path directory) throws IOException {
        Path cert = Files.writeString(directory.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(directory.resolve("key.pem"), certificate.getPrivateKeyPEM());
        return new String[] { "spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=" + frames,
                "quic.xdp.neighbour-timeout=10s", "quic.xdp.maps[0].interface=" + interfaceName,
                "quic.xdp.maps[0].path=" + pin, "quic.xdp.http3.enabled=true", "quic.xdp.http3.port=" + port,
                "quic.xdp.http3.ssl.bundle=h3", "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key };
    }
}
