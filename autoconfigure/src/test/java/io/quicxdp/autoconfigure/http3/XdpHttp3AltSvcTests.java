package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/**
 * Which way the TCP server's responses get {@code Alt-Svc}: a customizer of Reactor Netty's TCP server, which
 * leaves the HTTP/3 server's responses alone (the application tests check both over the wire), or, with another
 * TCP server, a filter. The HTTP/3 server's own conditions (a datapath, a reactive application) are the
 * application tests'.
 */
class XdpHttp3AltSvcTests {

    private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
        .withUserConfiguration(XdpHttp3AutoConfiguration.ReactiveConfiguration.NettyAltSvcConfiguration.class,
                XdpHttp3AutoConfiguration.ReactiveConfiguration.FilterAltSvcConfiguration.class)
        .withPropertyValues("server.port=8443");

    @Test
    void withReactorNettyTheTcpServerIsCustomizedAndNoFilterRuns() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(NettyServerCustomizer.class);
            assertThat(context).doesNotHaveBean(WebFilter.class);
        });
    }

    @Test
    void withAnotherTcpServerAFilterAddsIt() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(NettyServerCustomizer.class)).run((context) -> {
            assertThat(context).hasSingleBean(WebFilter.class);
            MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
            context.getBean(WebFilter.class).filter(exchange, (filtered) -> Mono.empty()).block();
            assertThat(exchange.getResponse().getHeaders().getFirst("Alt-Svc")).isEqualTo("h3=\":8443\"; ma=86400");
        });
    }

    @Test
    void turnedOffNeitherIsThere() {
        this.contextRunner.withPropertyValues("quic.xdp.http3.alt-svc=false").run((context) -> {
            assertThat(context).doesNotHaveBean(NettyServerCustomizer.class);
            assertThat(context).doesNotHaveBean(WebFilter.class);
        });
    }
}
