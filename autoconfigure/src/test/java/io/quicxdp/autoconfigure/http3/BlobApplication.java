package io.quicxdp.autoconfigure.http3;

import java.util.Random;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;

/** A WebFlux application that serves one blob of 4 MiB, the same in every run, at {@code /blob}. */
@SpringBootConfiguration
@EnableAutoConfiguration
class BlobApplication {

    static final String PATH = "blob";

    static final byte[] BLOB = new byte[4 << 20];

    static {
        new Random(21).nextBytes(BLOB);
    }

    @Bean
    RouterFunction<ServerResponse> blob() {
        return RouterFunctions.route()
            .GET("/" + PATH, (request) -> ServerResponse.ok()
                .body(Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(BLOB)), DataBuffer.class))
            .build();
    }
}
