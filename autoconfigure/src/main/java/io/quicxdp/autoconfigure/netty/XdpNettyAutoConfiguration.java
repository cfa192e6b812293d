package io.quicxdp.autoconfigure.netty;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.XdpDatapathSettingsCustomizer;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.netty.XdpIoHandlerFactory;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.QuicConnectionLimit;
import io.quicxdp.netty.quic.XdpQuicRouting;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration of the Netty transport on the XDP datapath, active when quic-xdp-netty is on the
 * class path (and {@code quic.xdp.netty.enabled} is not false): the datapath opens without poll threads,
 * Netty event loops drive its queues ({@code xdpEventLoopGroup}), and an {@link XdpChannelBinder} binds
 * Netty pipelines on its ports. Endpoints bound with plain {@code DatagramHandler}s are served by the same
 * loops. With Netty's QUIC codec on the class path, an {@link XdpQuicRouting} ({@code quic.xdp.quic.*}) gives QUIC
 * servers on the loops connection IDs that route, and hands datagrams between the loops.
 */
@AutoConfiguration(after = XdpAutoConfiguration.class)
@ConditionalOnClass({ XdpIoHandlerFactory.class, XdpDatapath.class })
@ConditionalOnProperty(prefix = "quic.xdp.netty", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(XdpNettyProperties.class)
public final class XdpNettyAutoConfiguration {

    /** First: the application's own customizers run after it (one that undoes it fails the event loops' bean). */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    XdpDatapathSettingsCustomizer xdpNettyDrivesTheQueues() {
        return (settings) -> settings.pollThreads(false);
    }

    @Bean(destroyMethod = "shutdownGracefully")
    @ConditionalOnBean(XdpDatapath.class)
    @ConditionalOnMissingBean(name = "xdpEventLoopGroup")
    MultiThreadIoEventLoopGroup xdpEventLoopGroup(XdpDatapath datapath) {
        XdpIoHandlerFactory loops;
        try {
            loops = XdpIoHandlerFactory.of(datapath);
        }
        catch (IllegalStateException ownThreads) {
            throw new IllegalStateException("The XdpDatapath polls its queues with its own threads, so the Netty "
                    + "event loops of quic-xdp-netty cannot drive them: open it with "
                    + "DatapathSettings.builder().pollThreads(false), or set quic.xdp.netty.enabled=false", ownThreads);
        }
        return loops.newGroup(new DefaultThreadFactory("quic-xdp-loop"));
    }

    @Bean
    @ConditionalOnBean(XdpDatapath.class)
    @ConditionalOnMissingBean
    XdpChannelBinder xdpChannelBinder(MultiThreadIoEventLoopGroup xdpEventLoopGroup,
            ObjectProvider<XdpQuicRouting> quic) {
        return new XdpChannelBinder(xdpEventLoopGroup, quic.getIfAvailable());
    }

    @Bean
    @ConditionalOnBean(XdpDatapath.class)
    XdpNettyLifecycle xdpNettyLifecycle(MultiThreadIoEventLoopGroup xdpEventLoopGroup, XdpChannelBinder binder) {
        return new XdpNettyLifecycle(xdpEventLoopGroup, binder);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.netty.handler.codec.quic.QuicConnectionIdGenerator")
    @EnableConfigurationProperties(XdpQuicProperties.class)
    static class QuicRoutingConfiguration {

        private static final Log logger = LogFactory.getLog(QuicRoutingConfiguration.class);

        @Bean
        @ConditionalOnBean(XdpDatapath.class)
        @ConditionalOnMissingBean
        XdpQuicRouting xdpQuicRouting(MultiThreadIoEventLoopGroup xdpEventLoopGroup, XdpQuicProperties properties) {
            QuicLbConnectionIds ids = QuicConnectionIdsMapper.connectionIds(properties);
            logger.info("QUIC connection ids: " + ids.connectionIdLength() + " octets, config rotation "
                    + ids.configRotation() + ", server id " + ids.serverIdHex()
                    + ((properties.getServerId() == null)
                            ? " (random for this process: set quic.xdp.quic.server-id behind a QUIC-LB load balancer)"
                            : ""));
            return XdpQuicRouting.create(ids, xdpEventLoopGroup, new QuicConnectionLimit(
                    (properties.getMaxConnections() != null) ? properties.getMaxConnections() : 0,
                    properties.getMaxHandshakes(), properties.getHandshakeTimeout()));
        }

        @Bean
        @ConditionalOnBean(XdpDatapath.class)
        @ConditionalOnMissingBean
        XdpQuicStatus xdpQuicStatus(XdpQuicRouting xdpQuicRouting, XdpQuicProperties properties) {
            boolean random = properties.getServerId() == null;
            return () -> {
                QuicLbConnectionIds ids = xdpQuicRouting.connectionIds();
                return new QuicRoutingState(ids.serverIdHex(), random, ids.connectionIdLength(), ids.configRotation(),
                        ids.lengthSelfDescription(), xdpQuicRouting.loops(), xdpQuicRouting.packetsHandedOver(),
                        xdpQuicRouting.handOversDropped(), xdpQuicRouting.foreignPackets(),
                        xdpQuicRouting.statelessResetsSent(), xdpQuicRouting.migrationsSeen(),
                        QuicLimitsState.of(xdpQuicRouting.connectionLimit()));
            };
        }
    }
}
