package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What {@link OneFinPerResponse} hands Netty's HTTP/3 codec, once the first response has told whether Reactor
 * Netty shuts the output itself (the application tests check the wire and the exceptions end to end). The
 * stream the first check looks at stands in for a QUIC stream channel: only its output's state matters here.
 */
class OneFinPerResponseTests {

    private final OneFinPerResponse handler = new OneFinPerResponse();

    private final EmbeddedChannel channel = new EmbeddedChannel(this.handler);

    private final AtomicInteger shutdowns = new AtomicInteger();

    @Test
    void whereReactorNettyShutsTheOutputTheCodecGetsPlainParts() {
        this.handler.check(stream(true), done());
        assertThat(this.shutdowns).hasValue(0);

        this.channel.writeOutbound(new DefaultLastHttpContent(Unpooled.copiedBuffer("tail", StandardCharsets.UTF_8)));
        HttpContent part = this.channel.readOutbound();
        assertThat(part).isNotInstanceOf(LastHttpContent.class);
        assertThat(part.content().toString(StandardCharsets.UTF_8)).isEqualTo("tail");
        part.release();

        this.channel.writeOutbound(full("whole body"));
        HttpResponse head = this.channel.readOutbound();
        assertThat(head).isNotInstanceOf(HttpContent.class);
        assertThat(head.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(head.headers().get("x-kept")).isEqualTo("yes");
        HttpContent body = this.channel.readOutbound();
        assertThat(body).isInstanceOf(DefaultHttpContent.class).isNotInstanceOf(LastHttpContent.class);
        assertThat(body.content().toString(StandardCharsets.UTF_8)).isEqualTo("whole body");
        body.release();

        this.channel.writeOutbound(full(""));
        assertThat((Object) this.channel.readOutbound()).isNotInstanceOf(HttpContent.class);
        assertThat((Object) this.channel.readOutbound()).as("no body part for an empty body").isNull();
    }

    @Test
    void trailersAndContinuePassUnchanged() {
        this.handler.check(stream(true), done());
        LastHttpContent trailers = new DefaultLastHttpContent();
        trailers.trailingHeaders().set("x-checksum", "1");
        this.channel.writeOutbound(trailers);
        assertThat((Object) this.channel.readOutbound()).isSameAs(trailers);
        FullHttpResponse proceed = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE);
        this.channel.writeOutbound(proceed);
        assertThat((Object) this.channel.readOutbound()).isSameAs(proceed);
    }

    @Test
    void whereNothingShutTheOutputItShutsItAndThenPassesEveryPartUnchanged() {
        this.handler.check(stream(false), done());
        assertThat(this.shutdowns).hasValue(1);

        FullHttpResponse response = full("whole body");
        this.channel.writeOutbound(response);
        assertThat((Object) this.channel.readOutbound()).isSameAs(response);
        response.release();
    }

    private ChannelPromise done() {
        return this.channel.newPromise().setSuccess();
    }

    private static FullHttpResponse full(String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set("x-kept", "yes");
        return response;
    }

    /** A stream whose output is shut, or not; shutting it counts. */
    private QuicStreamChannel stream(boolean outputShut) {
        return (QuicStreamChannel) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { QuicStreamChannel.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "isOutputShutdown" -> outputShut;
                    case "shutdownOutput" -> {
                        this.shutdowns.incrementAndGet();
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
