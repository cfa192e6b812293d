package io.quicxdp.sample;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The sample's page, {@code GET /}: says what the sample is and where to look. An ordinary WebFlux route, so
 * the TCP web server serves it, and with {@code quic.xdp.http3.enabled} the HTTP/3 server as well.
 */
final class SamplePage {

    /** The first line of the page, for whoever checks that it came back. */
    static final String TITLE = "quic-xdp sample";

    private SamplePage() {
    }

    /** The route to the page, which names the ports of {@code properties}. */
    static RouterFunction<ServerResponse> route(SampleProperties properties) {
        String page = TITLE + "\n\nA UDP echo on port " + properties.getEcho().getPort() + " and a QUIC echo (ALPN "
                + QuicEchoService.ALPN + ") on port " + properties.getQuic().getPort()
                + ", through AF_XDP sockets in XDP map mode. This page and the actuator are served over TCP and, "
                + "with quic.xdp.http3.enabled, over HTTP/3 on UDP through the same sockets.\n\n"
                + "/actuator/xdp: maps, sockets, counters and HTTP/3\n/actuator/health\n/actuator/prometheus\n";
        return RouterFunctions.route(RequestPredicates.GET("/"),
                (request) -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue(page));
    }
}
