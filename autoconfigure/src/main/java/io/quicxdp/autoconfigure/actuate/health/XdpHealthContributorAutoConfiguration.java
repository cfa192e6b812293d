package io.quicxdp.autoconfigure.actuate.health;

import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.XdpProperties;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.MapState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code xdp} health contributor: one {@link XdpMapHealthIndicator} per
 * configured map, named by its interface, reporting fill-ring starvation past
 * {@code quic.xdp.health.fill-ring-starved-threshold}. Switched off with {@code management.health.xdp.enabled=false}.
 */
@AutoConfiguration(after = XdpAutoConfiguration.class)
@ConditionalOnClass({ XdpDatapath.class, HealthContributor.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(XdpDatapath.class)
public final class XdpHealthContributorAutoConfiguration {

    // on the method: the condition's class must not be loaded where the class condition has failed
    @Bean
    @ConditionalOnEnabledHealthIndicator("xdp")
    @ConditionalOnMissingBean(name = "xdpHealthContributor")
    HealthContributor xdpHealthContributor(XdpDatapath xdpDatapath, XdpProperties properties) {
        Duration starvedThreshold = properties.getHealth().getFillRingStarvedThreshold();
        Map<String, XdpMapHealthIndicator> indicators = new LinkedHashMap<>();
        for (MapState map : xdpDatapath.state().maps()) {
            indicators.put(map.interfaceName(),
                    new XdpMapHealthIndicator(xdpDatapath, map.interfaceName(), starvedThreshold));
        }
        return CompositeHealthContributor.fromMap(indicators);
    }
}
