package io.quicxdp.autoconfigure.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.XdpDatapathSettingsCustomizer;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.XdpDatagramChannel;
import io.quicxdp.netty.XdpIoHandlerFactory;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Netty transport in a Spring application: with quic-xdp-netty on the class path the datapath's queues
 * are driven by the event loops, a pipeline bound through {@link XdpChannelBinder} answers from the peer
 * namespace, and stopping closes the channels, then the loops, then the datapath. With Netty's QUIC codec, the
 * QUIC routing takes its connection IDs from {@code quic.xdp.quic.*}.
 */
class XdpNettyAutoConfigurationTests {

    private static final int PORT = TestPorts.ECHO;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(XdpAutoConfiguration.class, XdpNettyAutoConfiguration.class));

    @Test
    void withoutMapsThereAreNoEventLoops() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(MultiThreadIoEventLoopGroup.class);
            assertThat(context).doesNotHaveBean(XdpChannelBinder.class);
        });
    }

    @Test
    void withoutTheNettyModuleNothingOfItIsConfigured() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(XdpIoHandlerFactory.class))
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(XdpDatapathSettingsCustomizer.class)
                .doesNotHaveBean(XdpChannelBinder.class));
    }

    @Test
    void aPipelineBoundInOneCallAnswersOnEveryQueueAndStopsBeforeTheDatapath() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext context = application(fixture).run();
            XdpDatapath datapath = context.getBean(XdpDatapath.class);
            MultiThreadIoEventLoopGroup loops = context.getBean("xdpEventLoopGroup", MultiThreadIoEventLoopGroup.class);
            try {
                assertThat(datapath.settings().pollThreads()).as("the loops drive the queues").isFalse();
                List<Channel> channels = context.getBean(XdpChannelBinder.class).bind(PORT, new EchoInitializer());
                assertThat(channels).hasSize(2).allSatisfy((channel) -> assertThat(channel)
                    .isInstanceOf(XdpDatagramChannel.class));
                for (int source = 0; source < 8; source++) {
                    assertThat(echo(fixture, "hello " + source)).isEqualTo("hello " + source);
                }
            }
            finally {
                context.close();
            }
            assertThat(loops.isTerminated()).isTrue();
            assertThat(datapath.isOpen()).isFalse();
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
        }
    }

    @Test
    void quicConnectionIdsCarryTheConfiguredServerIdAndTheStateShowsIt() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            try (ConfigurableApplicationContext context = application(fixture)
                .properties("quic.xdp.quic.server-id=0x0A0b", "quic.xdp.quic.connection-id-length=16",
                        "quic.xdp.quic.config-rotation=2", "quic.xdp.quic.length-self-description=true")
                .run()) {
                XdpQuicRouting routing = context.getBean(XdpQuicRouting.class);
                assertThat(context.getBean(XdpChannelBinder.class).quicRouting()).isSameAs(routing);
                QuicLbConnectionIds ids = routing.connectionIds();
                assertThat(ids.serverIdHex()).isEqualTo("0a0b");
                assertThat(ids.connectionIdLength()).isEqualTo(16);
                assertThat(ids.configRotation()).isEqualTo(2);
                assertThat(ids.lengthSelfDescription()).isTrue();
                assertThat(routing.loops()).isEqualTo(2);
                byte[] id = ids.newConnectionId(1);
                assertThat(id[0] & 0xFF).as("rotation 2, 15 octets after the first").isEqualTo(2 << 5 | 15);
                assertThat(context.getBean(XdpQuicStatus.class).state())
                    .isEqualTo(new QuicRoutingState("0a0b", false, 16, 2, true, 2, 0, 0, 0, 0, 0,
                            new QuicLimitsState(0, 1000, 0, 0, 0, 0, 0, 0)));
            }
        }
    }

    @Test
    void withoutAServerIdTheProcessDrawsOneOfTheConfiguredLength() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            try (ConfigurableApplicationContext context = application(fixture)
                .properties("quic.xdp.quic.server-id-length=3").run()) {
                QuicRoutingState state = context.getBean(XdpQuicStatus.class).state();
                assertThat(state.serverIdRandom()).isTrue();
                assertThat(state.serverId()).hasSize(6);
                assertThat(state.connectionIdLength()).isEqualTo(20);
                assertThat(state.configRotation()).isZero();
            }
        }
    }

    @Test
    void withoutNettysQuicCodecTheBinderBindsNoQuicServer() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            this.contextRunner.withClassLoader(new FilteredClassLoader("io.netty.handler.codec.quic"))
                .withPropertyValues("quic.xdp.umem.frame-count=256",
                        "quic.xdp.maps[0].interface=" + fixture.appInterface(), "quic.xdp.maps[0].path=" + fixture.pin())
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(XdpChannelBinder.class)
                        .doesNotHaveBean(XdpQuicRouting.class).doesNotHaveBean(XdpQuicStatus.class);
                    assertThatThrownBy(() -> context.getBean(XdpChannelBinder.class).quicRouting())
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("netty-codec-classes-quic");
                });
        }
    }

    @Test
    void switchedOffTheDatapathPollsWithItsOwnThreads() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            try (ConfigurableApplicationContext context = application(fixture)
                .properties("quic.xdp.netty.enabled=false").run()) {
                assertThat(context.getBean(XdpDatapath.class).settings().pollThreads()).isTrue();
                assertThat(context.getBeansOfType(XdpChannelBinder.class)).isEmpty();
            }
        }
    }

    private static SpringApplicationBuilder application(XskMapFixture fixture) {
        return new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.NONE)
            .properties("spring.main.banner-mode=off", "quic.xdp.umem.frame-count=256",
                    "quic.xdp.maps[0].interface=" + fixture.appInterface(), "quic.xdp.maps[0].path=" + fixture.pin());
    }

    private static String echo(XskMapFixture fixture, String text) throws Exception {
        return fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.socket().setSoTimeout(5000);
                channel.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)),
                        new InetSocketAddress(fixture.net().appIpv4(), PORT));
                java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[64], 64);
                channel.socket().receive(in);
                return new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
            }
        });
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ XdpAutoConfiguration.class, XdpNettyAutoConfiguration.class })
    static class TestApplication {

        @Bean
        XdpDatapathSettingsCustomizer neighbourPatience() {
            return (settings) -> settings.neighbourTimeout(java.time.Duration.ofSeconds(10));
        }
    }

    static class EchoInitializer extends ChannelInitializer<Channel> {

        @Override
        protected void initChannel(Channel channel) {
            channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                    ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                }
            });
        }
    }
}
