package io.quicxdp.autoconfigure.actuate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.http3.XdpHttp3Status;
import io.quicxdp.autoconfigure.netty.XdpQuicStatus;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.MapState;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of {@link XdpMetrics} where Micrometer is present and a registry exists, of
 * {@link XdpHealthMetrics} where the {@code xdp} health contributor exists too, and of {@link XdpQuicMetrics} where
 * QUIC connections are routed across the event loops; Boot binds them to every registry.
 */
@AutoConfiguration(after = XdpAutoConfiguration.class,
        afterName = { "io.quicxdp.autoconfigure.http3.XdpHttp3AutoConfiguration",
                "io.quicxdp.autoconfigure.netty.XdpNettyAutoConfiguration",
                "io.quicxdp.autoconfigure.actuate.health.XdpHealthContributorAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass({ XdpDatapath.class, MeterRegistry.class })
@ConditionalOnBean({ XdpDatapath.class, MeterRegistry.class })
public final class XdpMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    XdpMetrics xdpMetrics(XdpDatapath xdpDatapath, ObjectProvider<XdpHttp3Status> http3) {
        return new XdpMetrics(xdpDatapath, http3.getIfAvailable());
    }

    @Bean
    @ConditionalOnBean(XdpQuicStatus.class)
    @ConditionalOnMissingBean
    XdpQuicMetrics xdpQuicMetrics(XdpQuicStatus xdpQuicStatus) {
        return new XdpQuicMetrics(xdpQuicStatus);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthContributor.class)
    static class HealthMetricsConfiguration {

        @Bean
        @ConditionalOnBean(name = "xdpHealthContributor")
        @ConditionalOnMissingBean
        XdpHealthMetrics xdpHealthMetrics(XdpDatapath xdpDatapath,
                @Qualifier("xdpHealthContributor") HealthContributor xdpHealthContributor) {
            return new XdpHealthMetrics(xdpDatapath.state().maps().stream().map(MapState::interfaceName).toList(),
                    xdpHealthContributor);
        }
    }
}
