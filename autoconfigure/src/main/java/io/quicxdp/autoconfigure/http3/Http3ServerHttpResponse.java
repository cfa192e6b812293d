package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.Http3Headers;
import java.util.List;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.AbstractServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The response on an HTTP/3 request stream, as Spring's {@link org.springframework.http.server.reactive.ServerHttpResponse}:
 * its status, headers and cookies go out as one HEADERS frame when the body starts, or with the end of a response
 * without a body; the body as DATA frames, as fast as the stream takes them.
 */
final class Http3ServerHttpResponse extends AbstractServerHttpResponse {

    private final Http3RequestStream stream;

    /** The HEADERS frame's fields, which Spring's headers write to. */
    private final Http3Headers fields;

    Http3ServerHttpResponse(Http3RequestStream stream, DataBufferFactory buffers) {
        this(stream, buffers, new DefaultHttp3Headers(false, 16));
    }

    private Http3ServerHttpResponse(Http3RequestStream stream, DataBufferFactory buffers, Http3Headers fields) {
        super(buffers, new HttpHeaders(new Http3HeadersAdapter(fields)));
        this.stream = stream;
        this.fields = fields;
    }

    @Override
    public HttpStatusCode getStatusCode() {
        HttpStatusCode status = super.getStatusCode();
        return (status != null) ? status : HttpStatus.OK;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getNativeResponse() {
        return (T) this.stream.channel();
    }

    @Override
    protected Mono<Void> writeWithInternal(Publisher<? extends DataBuffer> body) {
        return new Http3ResponseBody(this.stream, body);
    }

    @Override
    protected Mono<Void> writeAndFlushWithInternal(Publisher<? extends Publisher<? extends DataBuffer>> body) {
        // a QUIC stream sends what it is given without a flush
        return new Http3ResponseBody(this.stream, Flux.concat(body));
    }

    // status, headers and cookies are read when the HEADERS frame is made, once they are committed
    @Override
    protected void applyStatusCode() {
    }

    @Override
    protected void applyHeaders() {
    }

    @Override
    protected void applyCookies() {
    }

    /**
     * The HEADERS frame's fields, once committed: status, headers (without connection-specific ones), cookies.
     */
    Http3Headers fields() {
        Http3Headers fields = this.fields;
        fields.status(HttpResponseStatus.valueOf(getStatusCode().value()).codeAsText());
        Http3Fields.removeConnectionSpecific(fields);
        for (List<ResponseCookie> cookies : getCookies().values()) {
            for (ResponseCookie cookie : cookies) {
                fields.add(HttpHeaderNames.SET_COOKIE, cookie.toString());
            }
        }
        return fields;
    }
}
