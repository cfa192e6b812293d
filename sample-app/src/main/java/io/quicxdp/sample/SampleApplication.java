package io.quicxdp.sample;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quicxdp.autoconfigure.netty.XdpChannelBinder;
import io.quicxdp.datapath.XdpDatapath;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A UDP echo and a QUIC echo in XDP map mode, the QUIC echo on the Netty transport, and a WebFlux page
 * ({@link SamplePage}) beside the actuator, served over TCP and over HTTP/3 through the datapath. The QUIC echo
 * and HTTP/3 share one certificate ({@link QuicEchoCertificate}), registered as an SSL bundle.
 *
 * <p>With {@code quic.xdp.maps} configured, it echoes what the operator's own XDP program redirects into
 * those maps, and never loads or changes an XDP program. With none configured, {@link SandboxListener}
 * first builds a sandbox with its own veth pair, XDP program and XSKMAP, and points map mode at it.
 */
@SpringBootApplication(proxyBeanMethods = false)
@EnableConfigurationProperties(SampleProperties.class)
public class SampleApplication {

    @Bean
    EchoService echoService(XdpDatapath datapath, SampleProperties properties) {
        return new EchoService(datapath, properties.getEcho().getPort());
    }

    @Bean
    MeterBinder echoMetrics(EchoService echo) {
        return (registry) -> {
            FunctionCounter.builder("sample.echo.datagrams", echo, EchoService::echoed)
                .description("UDP datagrams the echo sent back")
                .tag("result", "echoed")
                .register(registry);
            FunctionCounter.builder("sample.echo.datagrams", echo, EchoService::backPressure)
                .description("UDP datagrams the echo could not send back: every TX frame was in use")
                .tag("result", "back_pressure")
                .register(registry);
        };
    }

    @Bean
    QuicEchoCertificate sampleCertificate(SampleProperties properties) {
        return QuicEchoCertificate.load(properties.getQuic());
    }

    /** The certificate as the SSL bundle that {@code quic.xdp.http3.ssl.bundle} names in application.yml. */
    @Bean
    SslBundleRegistrar sampleSslBundle(QuicEchoCertificate certificate) {
        return (registry) -> registry.registerBundle(QuicEchoCertificate.BUNDLE, certificate.sslBundle());
    }

    @Bean
    QuicEchoService quicEchoService(XdpDatapath datapath, ObjectProvider<XdpChannelBinder> binder,
            SampleProperties properties, QuicEchoCertificate certificate) {
        return new QuicEchoService(datapath, binder.getIfAvailable(), properties.getQuic(), certificate);
    }

    @Bean
    MeterBinder quicEchoMetrics(QuicEchoService quic) {
        return (registry) -> {
            FunctionCounter.builder("sample.quic.connections", quic, QuicEchoService::connections)
                .description("QUIC connections to the echo whose handshake completed")
                .register(registry);
            FunctionCounter.builder("sample.quic.streams", quic, QuicEchoService::streams)
                .description("Bidirectional streams that peers opened on the QUIC echo")
                .register(registry);
            FunctionCounter.builder("sample.quic.echoed", quic, QuicEchoService::echoedBytes)
                .description("Stream bytes the QUIC echo read and wrote back")
                .baseUnit("bytes")
                .register(registry);
        };
    }

    @Bean
    RouterFunction<ServerResponse> samplePage(SampleProperties properties) {
        return SamplePage.route(properties);
    }

    public static void main(String[] args) {
        TerminationSignal.exitNormallyOnSigterm();
        SpringApplication.run(SampleApplication.class, args);
    }
}
