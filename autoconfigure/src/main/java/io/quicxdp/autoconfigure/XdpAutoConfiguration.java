package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the raw-only {@link XdpDatapath} in XDP map mode.
 *
 * <p>Active when {@code quic.xdp.maps} configures a map (or {@code quic.xdp.enabled=true}); backs off
 * when the application defines its own {@link XdpDatapath}. The datapath opens while the context
 * refreshes: any failure fails the start, and there is no fallback to ordinary sockets.
 */
@AutoConfiguration
@ConditionalOnClass(XdpDatapath.class)
@EnableConfigurationProperties(XdpProperties.class)
@Import({ XdpAutoConfiguration.DatapathConfiguration.class, XdpAutoConfiguration.DisabledWithMapsConfiguration.class })
public final class XdpAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @Conditional(MapModeConditions.OnMapMode.class)
    @ConditionalOnMissingBean(XdpDatapath.class)
    static class DatapathConfiguration {

        // the lifecycle closes it in its shutdown phase; destroy closes it where the refresh failed first
        @Bean(destroyMethod = "close")
        XdpDatapath xdpDatapath(XdpProperties properties, ObjectProvider<XdpDatapathSettingsCustomizer> customizers) {
            DatapathSettings.Builder settings = DatapathSettingsMapper.settings(properties);
            customizers.orderedStream().forEach((customizer) -> customizer.customize(settings));
            return XdpDatapathLifecycle.open(DatapathSettingsMapper.maps(properties), build(settings));
        }

        private static DatapathSettings build(DatapathSettings.Builder settings) {
            try {
                return settings.build();
            }
            catch (IllegalArgumentException ex) {
                // quic.xdp.* was checked when it was bound: a customizer set this
                throw new IllegalArgumentException("An XdpDatapathSettingsCustomizer made the datapath settings invalid: "
                        + ex.getMessage(), ex);
            }
        }

        @Bean
        @ConditionalOnMissingBean
        XdpDatapathLifecycle xdpDatapathLifecycle(XdpDatapath xdpDatapath) {
            return new XdpDatapathLifecycle(xdpDatapath);
        }
    }

    /**
     * Fails the start when {@code quic.xdp.enabled=false} contradicts configured maps, before any bean is
     * created: a bean that needs the datapath would otherwise fail first, for want of one.
     */
    @Configuration(proxyBeanMethods = false)
    @Conditional(MapModeConditions.OnDisabledWithMaps.class)
    static class DisabledWithMapsConfiguration {

        @Bean
        static BeanFactoryPostProcessor xdpDisabledWithMapsRejection() {
            return (beanFactory) -> {
                Environment environment = beanFactory.getBean(Environment.class);
                throw new XdpDisabledWithMapsException(XdpProperties.configuredInterfaces(environment));
            };
        }
    }
}
