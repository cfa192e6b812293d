package com.example.consumer;

import io.quicxdp.datapath.XdpDatapath;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** A WebFlux application on the quic-xdp starters: a UDP echo on the datapath, and a page over HTTP/3. */
@SpringBootApplication
public class ConsumerApplication {

    public static void main(String[] args) {
        SpringApplication.run(ConsumerApplication.class, args);
    }

    @Bean
    RouterFunction<ServerResponse> hello() {
        return RouterFunctions.route()
            .GET("/hello", (request) -> ServerResponse.ok().bodyValue("hello from the consumer"))
            .build();
    }

    /** The UDP echo of README's Quick start, bound in the constructor so that no datagram finds no endpoint. */
    @Component
    static class Echo {

        Echo(XdpDatapath datapath, @Value("${consumer.echo.port:4433}") int port) {
            datapath.bind(port, (datagram) -> datagram.reply(datagram.payload()));
        }
    }
}
