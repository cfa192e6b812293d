package io.quicxdp.autoconfigure.http3.cost;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The WebFlux application of {@code benchmarks/webflux-cost.sh}, served over HTTP/3 through the starter with
 * the actuator on its class path, as an application would be: {@code GET /small} is a functional route
 * answering 100 bytes, {@code GET /param/{id}} an annotated controller method taking a path variable and a
 * header, answering the same 100 bytes. Its settings come from the command line ({@code --quic.xdp.maps[0]...}).
 * With {@code --cost.epoll.port=PORT --cost.epoll.key=KEY.pem --cost.epoll.certificate=CERT.pem} it also serves
 * the same handler over Reactor Netty's HTTP/3 on epoll, on that port.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class CostApplication {

    /** The body of every response: 100 bytes, as the raw server's file. */
    static final byte[] BODY = body();

    public static void main(String[] args) {
        new SpringApplicationBuilder(CostApplication.class).web(WebApplicationType.REACTIVE).run(args);
    }

    @Bean
    @ConditionalOnProperty("cost.epoll.port")
    EpollHttp3Server epollHttp3Server(ObjectProvider<HttpHandler> handler, Environment environment) {
        return new EpollHttp3Server(handler, environment.getRequiredProperty("cost.epoll.port", Integer.class),
                new File(environment.getRequiredProperty("cost.epoll.key")),
                new File(environment.getRequiredProperty("cost.epoll.certificate")));
    }

    @Bean
    RouterFunction<ServerResponse> small() {
        return RouterFunctions.route()
            .GET("/small", (request) -> ServerResponse.ok().bodyValue(BODY))
            .build();
    }

    /** A handler with parameters, resolved per request by WebFlux's argument resolvers (a member: a bean). */
    @RestController
    static class ParameterController {

        @GetMapping("/param/{id}")
        byte[] param(@PathVariable String id, @RequestHeader(name = "user-agent", required = false) String agent) {
            return BODY;
        }
    }

    private static byte[] body() {
        byte[] body = new byte[100];
        Arrays.fill(body, (byte) 'x');
        byte[] line = "quic-xdp webflux cost\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(line, 0, body, 0, line.length);
        body[99] = '\n';
        return body;
    }
}
