package io.quicxdp.bench.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The WebFlux application of the QUIC matrix: one functional route per file of {@code bench.htdocs},
 * {@code GET /NAME} answering 200 with the file's bytes and their length, 404 otherwise, as
 * {@link Http3FileServer} does. Each file is read once into a pooled direct buffer and every response writes
 * a retained duplicate of it, without a copy. With {@code bench.http3=epoll} the same handler is also served
 * by {@link ReactorHttp3Server}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class WebFluxBenchApplication {

    @Bean
    Htdocs htdocs(@Value("${bench.htdocs}") Path directory) throws IOException {
        return Htdocs.load(directory);
    }

    @Bean
    RouterFunction<ServerResponse> routes(Htdocs htdocs) {
        RouterFunctions.Builder routes = RouterFunctions.route();
        for (ServedFile file : htdocs.files) {
            routes.GET("/" + file.name, request -> ServerResponse.ok()
                    .contentLength(file.body.readableBytes())
                    .body(file.inserter));
        }
        return routes.build();
    }

    @Bean
    @ConditionalOnProperty(name = "bench.http3", havingValue = "epoll")
    ReactorHttp3Server reactorHttp3Server(ObjectProvider<HttpHandler> handler, SslBundles bundles,
            @Value("${server.port}") int port) {
        return new ReactorHttp3Server(handler::getObject, bundles.getBundle("bench"), port);
    }

    /** The files served, released when the context closes. */
    static final class Htdocs implements AutoCloseable {

        final List<ServedFile> files;

        private Htdocs(List<ServedFile> files) {
            this.files = files;
        }

        static Htdocs load(Path directory) throws IOException {
            List<ServedFile> files = new ArrayList<>();
            List<Path> regular;
            try (Stream<Path> listing = Files.list(directory)) {
                regular = listing.filter(Files::isRegularFile).toList();
            }
            for (Path path : regular) {
                byte[] bytes = Files.readAllBytes(path);
                ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length, bytes.length).writeBytes(bytes);
                files.add(new ServedFile(path.getFileName().toString(), body));
            }
            return new Htdocs(files);
        }

        @Override
        public void close() {
            files.forEach(file -> file.body.release());
        }
    }

    /** One file: its name, its bytes, and the body inserter that writes them. */
    static final class ServedFile {

        final String name;

        final ByteBuf body;

        final BodyInserter<DataBuffer, ReactiveHttpOutputMessage> inserter;

        ServedFile(String name, ByteBuf body) {
            this.name = name;
            this.body = body;
            // Reactor Netty's responses take Netty buffers: a duplicate of the file's goes out without a copy
            this.inserter = (message, context) -> message.writeWith(Mono.fromSupplier(() ->
                    ((NettyDataBufferFactory) message.bufferFactory()).wrap(body.retainedDuplicate())));
        }
    }
}
