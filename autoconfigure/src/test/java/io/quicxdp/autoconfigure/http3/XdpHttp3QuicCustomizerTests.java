package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The QUIC hooks of the HTTP/3 server, used as the next pieces will: a customizer bean gives every event loop's codec
 * connection IDs that name the loop, puts a handler in front of each codec that reads the IDs of the packets that
 * come in, and sets a token handler of its own. A client through the XSKs then talks to IDs of the loops' making.
 */
class XdpHttp3QuicCustomizerTests {

    private static final int PORT = TestPorts.ECHO;

    /** The first byte of every connection ID the server issues: this plus the loop's number. */
    private static final int MARK = 0x50;

    private static final int ID_LENGTH = 8;

    private static final Set<Integer> seenIds = ConcurrentHashMap.newKeySet();

    @TempDir
    Path certificates;

    @Test
    void connectionIdsChannelStepsAndTokensComeFromTheCustomizer() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext application = application(fixture);
            try (RawHttp3Client client = RawHttp3Client.connect(fixture.net(), fixture.net().appIpv4(), PORT)) {
                assertThat(client.send(client.fields("GET", "/page"), new byte[0]).status()).isEqualTo(200);
                assertThat(seenIds).as("first bytes of the connection IDs that short-header packets came to")
                    .isNotEmpty()
                    .allSatisfy((first) -> assertThat(first).isBetween(MARK, MARK + 1));
                assertThat(application.getBean(XdpHttp3Server.class).state().retriesSent())
                    .as("the customizer's token handler sent the client a Retry").isPositive();
            }
            finally {
                application.close();
            }
        }
    }

    private ConfigurableApplicationContext application(XskMapFixture fixture) throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        return new SpringApplicationBuilder(Customized.class).web(WebApplicationType.REACTIVE)
            .properties(Http3TestApplications.properties(fixture.appInterface(), fixture.pin(), PORT, 1024,
                    certificate, this.certificates))
            .run();
    }

    /** IDs of {@link #ID_LENGTH} bytes, the first saying which loop issued them, the rest random. */
    private static QuicConnectionIdGenerator loopIds(int loop) {
        return new QuicConnectionIdGenerator() {
            @Override
            public ByteBuffer newId(int length) {
                byte[] id = new byte[length];
                ThreadLocalRandom.current().nextBytes(id);
                id[0] = (byte) (MARK + loop);
                return ByteBuffer.wrap(id);
            }

            @Override
            public ByteBuffer newId(ByteBuffer input, int length) {
                return newId(length);
            }

            @Override
            public int maxConnectionIdLength() {
                return 20;
            }

            @Override
            public boolean isIdempotent() {
                return false;
            }
        };
    }

    /** Notes the first byte of the destination connection ID of every short-header packet, then passes it on. */
    @ChannelHandler.Sharable
    private static final class IdReader extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf packet = ((DatagramPacket) msg).content();
            if (packet.readableBytes() > 1 + ID_LENGTH && (packet.getByte(packet.readerIndex()) & 0x80) == 0) {
                seenIds.add(packet.getUnsignedByte(packet.readerIndex() + 1) & 0xff);
            }
            ctx.fireChannelRead(msg);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Customized {

        @Bean
        XdpHttp3QuicCustomizer loopsInTheirIds() {
            IdReader reader = new IdReader();
            return (quic) -> quic.connectionIds(ID_LENGTH, XdpHttp3QuicCustomizerTests::loopIds)
                .channelStep((loop, channel) -> channel.pipeline().addBefore(XdpHttp3Quic.CODEC, "ids", reader))
                .tokenHandler(new KeyedRetryTokens(Clock.systemUTC()));
        }

        @Bean
        RouterFunction<ServerResponse> page() {
            return RouterFunctions.route().GET("/page", (request) -> ServerResponse.ok().bodyValue("a page")).build();
        }
    }
}
