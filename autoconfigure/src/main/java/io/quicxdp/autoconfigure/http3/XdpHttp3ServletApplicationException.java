package io.quicxdp.autoconfigure.http3;

/** HTTP/3 is enabled in a servlet application, which it cannot serve: it serves reactive handlers. */
public class XdpHttp3ServletApplicationException extends XdpHttp3ConfigurationException {

    private static final long serialVersionUID = 1L;

    XdpHttp3ServletApplicationException() {
        super("quic.xdp.http3.enabled is true in a servlet application, but HTTP/3 through quic-xdp serves "
                + "reactive (WebFlux) applications only",
                "Set quic.xdp.http3.enabled=false, or build the application on WebFlux (spring-boot-starter-webflux, "
                        + "spring.main.web-application-type=reactive).");
    }
}
