package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.AbstractServerHttpRequest;
import org.springframework.http.server.reactive.SslInfo;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import reactor.core.publisher.Flux;

/**
 * A request received on an HTTP/3 request stream, as Spring's {@link org.springframework.http.server.reactive.ServerHttpRequest}:
 * its fields read in place, its body the stream's data, read as the subscriber asks for it.
 */
final class Http3ServerHttpRequest extends AbstractServerHttpRequest {

    private final Http3RequestStream stream;

    private final Http3Headers fields;

    private Http3ServerHttpRequest(Http3RequestStream stream, Http3Headers fields, HttpMethod method, URI uri) {
        super(method, uri, null, new HttpHeaders(new Http3HeadersAdapter(fields)));
        this.stream = stream;
        this.fields = fields;
    }

    /**
     * The request that {@code fields} make, Netty's codec having checked their pseudo-fields.
     *
     * @throws URISyntaxException if its target is not a URI
     */
    static Http3ServerHttpRequest of(Http3RequestStream stream, Http3Headers fields) throws URISyntaxException {
        CharSequence authority = fields.authority();
        if (authority == null) {
            authority = fields.get(HttpHeaderNames.HOST);
        }
        CharSequence path = fields.path();
        if (authority == null || path == null) {
            throw new URISyntaxException(String.valueOf(path), "no authority or no path");
        }
        StringBuilder uri = new StringBuilder(8 + authority.length() + path.length()).append(fields.scheme())
            .append("://")
            .append(authority);
        if (path.length() == 0 || path.charAt(0) != '/') {
            uri.append('/');
        }
        uri.append(path);
        return new Http3ServerHttpRequest(stream, fields, HttpMethod.valueOf(fields.method().toString()),
                new URI(uri.toString()));
    }

    private QuicChannel connection() {
        return this.stream.channel().parent();
    }

    @Override
    protected MultiValueMap<String, HttpCookie> initCookies() {
        MultiValueMap<String, HttpCookie> cookies = new LinkedMultiValueMap<>();
        // HTTP/3 may split them over several fields (RFC 9114, 4.2.1)
        for (CharSequence field : this.fields.getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(field.toString())) {
                cookies.add(cookie.name(), new HttpCookie(cookie.name(), cookie.value()));
            }
        }
        return cookies;
    }

    @Override
    public @Nullable InetSocketAddress getLocalAddress() {
        return inet(connection().localSocketAddress());
    }

    @Override
    public @Nullable InetSocketAddress getRemoteAddress() {
        return inet(connection().remoteSocketAddress());
    }

    private static @Nullable InetSocketAddress inet(@Nullable SocketAddress address) {
        return (address instanceof InetSocketAddress inet) ? inet : null;
    }

    @Override
    protected @Nullable SslInfo initSslInfo() {
        SSLEngine engine = connection().sslEngine();
        SSLSession session = (engine != null) ? engine.getSession() : null;
        if (session == null) {
            return null;
        }
        X509Certificate[] peer = new X509Certificate[0];
        // asked without client authentication, the session answers with an exception
        if (engine.getNeedClientAuth() || engine.getWantClientAuth()) {
            try {
                Certificate[] certificates = session.getPeerCertificates();
                peer = Arrays.stream(certificates).filter(X509Certificate.class::isInstance)
                    .map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
            }
            catch (SSLPeerUnverifiedException ex) {
                // the client sent none
            }
        }
        byte[] id = session.getId();
        return SslInfo.from(HexFormat.of().formatHex((id != null) ? id : new byte[0]), peer);
    }

    @Override
    public Flux<DataBuffer> getBody() {
        return this.stream.body();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getNativeRequest() {
        return (T) this.stream.channel();
    }

    @Override
    protected String initId() {
        QuicStreamChannel channel = this.stream.channel();
        return channel.parent().id().asShortText() + "-" + channel.streamId();
    }
}
