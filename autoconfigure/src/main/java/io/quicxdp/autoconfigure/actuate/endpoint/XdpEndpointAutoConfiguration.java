package io.quicxdp.autoconfigure.actuate.endpoint;

import io.quicxdp.autoconfigure.XdpAutoConfiguration;
import io.quicxdp.autoconfigure.http3.XdpHttp3Status;
import io.quicxdp.autoconfigure.netty.XdpQuicStatus;
import io.quicxdp.datapath.XdpDatapath;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Auto-configuration of the {@link XdpEndpoint}, where Actuator is present and the endpoint available. */
@AutoConfiguration(after = XdpAutoConfiguration.class,
        afterName = { "io.quicxdp.autoconfigure.http3.XdpHttp3AutoConfiguration",
                "io.quicxdp.autoconfigure.netty.XdpNettyAutoConfiguration" })
@ConditionalOnClass({ XdpDatapath.class, Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(XdpDatapath.class)
public final class XdpEndpointAutoConfiguration {

    // on the method: the condition's class must not be loaded where the class condition has failed
    @Bean
    @ConditionalOnAvailableEndpoint
    @ConditionalOnMissingBean
    XdpEndpoint xdpEndpoint(XdpDatapath xdpDatapath, ObjectProvider<XdpHttp3Status> http3,
            ObjectProvider<XdpQuicStatus> quic) {
        return new XdpEndpoint(xdpDatapath, http3.getIfAvailable(), quic.getIfAvailable());
    }
}
