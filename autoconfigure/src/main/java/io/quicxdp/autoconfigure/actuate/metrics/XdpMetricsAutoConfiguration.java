package io.quicxdp.autoconfigure.actuate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.datapath.XdpDatapath;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Auto-configuration of {@link XdpMetrics}, where Micrometer is present; Boot binds it to every registry. */
@AutoConfiguration(after = XdpAutoConfiguration.class)
@ConditionalOnClass({ XdpDatapath.class, MeterRegistry.class })
@ConditionalOnBean(XdpDatapath.class)
public final class XdpMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    XdpMetrics xdpMetrics(XdpDatapath xdpDatapath) {
        return new XdpMetrics(xdpDatapath);
    }
}
