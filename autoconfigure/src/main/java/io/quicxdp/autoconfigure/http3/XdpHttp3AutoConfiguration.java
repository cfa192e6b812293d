package io.quicxdp.autoconfigure.http3;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import io.quicxdp.autoconfigure.netty.XdpNettyAutoConfiguration;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.netty.XdpIoHandlerFactory;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.security.SecureRandom;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.util.StringUtils;
import org.springframework.web.server.WebFilter;
import reactor.netty.http.server.HttpServerResponse;

/**
 * HTTP/3 for a reactive application, with {@code quic.xdp.http3.enabled=true}: the application's
 * {@link HttpHandler} served over Netty's QUIC and HTTP/3 codecs on the XDP event loops, beside the TCP web
 * server, with TLS from an SSL bundle; the TCP server's responses advertise it with {@code Alt-Svc}. A servlet
 * application with it enabled fails to start, as does one without an SSL bundle. {@link XdpHttp3QuicCustomizer}
 * beans adjust the QUIC side.
 */
@AutoConfiguration(after = XdpNettyAutoConfiguration.class)
@ConditionalOnClass({ Http3.class, XdpIoHandlerFactory.class, HttpHandler.class })
@ConditionalOnBooleanProperty("quic.xdp.http3.enabled")
@EnableConfigurationProperties(XdpHttp3Properties.class)
@Import({ XdpHttp3AutoConfiguration.ReactiveConfiguration.class, XdpHttp3AutoConfiguration.ServletConfiguration.class })
public final class XdpHttp3AutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnBean({ XdpDatapath.class, MultiThreadIoEventLoopGroup.class })
    static class ReactiveConfiguration {

        private static final String ALT_SVC = "Alt-Svc";

        @Bean
        @ConditionalOnMissingBean
        XdpHttp3Server xdpHttp3Server(MultiThreadIoEventLoopGroup xdpEventLoopGroup, ObjectProvider<HttpHandler> handler,
                ObjectProvider<SslBundles> sslBundles, XdpHttp3Properties http3, Environment environment,
                ObjectProvider<XdpHttp3QuicCustomizer> customizers) {
            boolean own = StringUtils.hasText(http3.getSsl().getBundle());
            String bundleName = own ? http3.getSsl().getBundle() : environment.getProperty("server.ssl.bundle");
            SslBundles bundles = sslBundles.getIfAvailable();
            if (!StringUtils.hasText(bundleName) || bundles == null) {
                throw new XdpHttp3SslBundleMissingException();
            }
            SslBundle bundle;
            try {
                bundle = bundles.getBundle(bundleName);
            }
            catch (NoSuchSslBundleException ex) {
                throw new XdpHttp3SslBundleUnknownException(own ? "quic.xdp.http3.ssl.bundle" : "server.ssl.bundle",
                        bundleName, bundles.getBundleNames(), ex);
            }
            // one Retry key for every loop: a token issued by one is good on another
            XdpHttp3Quic quic = new XdpHttp3Quic(tls(bundle, http3.isEarlyData()), xdpEventLoopGroup.executorCount(),
                    http3.isRetry() ? new KeyedRetryTokens(Clock.systemUTC()) : null);
            customizers.orderedStream().forEach((customizer) -> customizer.customize(quic));
            // the handler is taken at start: made now, its DispatcherHandler would miss every handler mapping that
            // needs this server, such as the actuator's (the xdp endpoint shows HTTP/3), and answer them 404
            return new XdpHttp3Server(xdpEventLoopGroup, handler::getObject, XdpHttp3Properties.port(environment),
                    http3.toSettings(environment), quic);
        }

        /** First, so that the application's customizers see (and may replace) the routing's hooks. */
        @Bean
        @Order(Ordered.HIGHEST_PRECEDENCE)
        @ConditionalOnBean(XdpQuicRouting.class)
        XdpHttp3QuicCustomizer xdpHttp3Routing(XdpQuicRouting xdpQuicRouting) {
            return new Http3Routing(xdpQuicRouting);
        }

        /** {@code Alt-Svc} on the Reactor Netty TCP server's responses only: over HTTP/3 it would say nothing. */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(NettyServerCustomizer.class)
        @ConditionalOnBooleanProperty(name = "quic.xdp.http3.alt-svc", matchIfMissing = true)
        static class NettyAltSvcConfiguration {

            @Bean
            NettyServerCustomizer xdpHttp3AltSvc(Environment environment) {
                String value = altSvc(environment);
                // each request's operations, before the handler runs
                return (server) -> server.doOnConnection((request) -> {
                    if (request instanceof HttpServerResponse response) {
                        response.addHeader(ALT_SVC, value);
                    }
                });
            }
        }

        /** {@code Alt-Svc} from a filter where the TCP server is another than Reactor Netty. */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnMissingClass("org.springframework.boot.reactor.netty.NettyServerCustomizer")
        @ConditionalOnBooleanProperty(name = "quic.xdp.http3.alt-svc", matchIfMissing = true)
        static class FilterAltSvcConfiguration {

            @Bean
            WebFilter xdpHttp3AltSvc(Environment environment) {
                String value = altSvc(environment);
                return (exchange, chain) -> {
                    exchange.getResponse().getHeaders().add(ALT_SVC, value);
                    return chain.filter(exchange);
                };
            }
        }

        private static String altSvc(Environment environment) {
            return "h3=\":" + XdpHttp3Properties.port(environment) + "\"; ma=86400";
        }

        /**
         * The server's QUIC TLS from the bundle, with session-ticket keys made at random for this process, so
         * that a returning client resumes its session instead of a full handshake (and, with early data on,
         * sends its first requests in 0-RTT).
         */
        private static QuicSslContext tls(SslBundle bundle, boolean earlyData) {
            // the key travels to BoringSSL as PKCS#8, so the key manager's password does not apply
            QuicSslContext tls = QuicSslContextBuilder.forServer(bundle.getManagers().getKeyManagerFactory(), null)
                .applicationProtocols(Http3.supportedApplicationProtocols())
                .earlyData(earlyData)
                .build();
            SecureRandom random = new SecureRandom();
            byte[] name = new byte[SslSessionTicketKey.NAME_SIZE];
            byte[] hmacKey = new byte[SslSessionTicketKey.HMAC_KEY_SIZE];
            byte[] aesKey = new byte[SslSessionTicketKey.AES_KEY_SIZE];
            random.nextBytes(name);
            random.nextBytes(hmacKey);
            random.nextBytes(aesKey);
            tls.sessionContext().setTicketKeys(new SslSessionTicketKey(name, hmacKey, aesKey));
            return tls;
        }
    }

    /** Fails the start of a servlet application that enables HTTP/3, before its beans are made. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    static class ServletConfiguration {

        @Bean
        static BeanFactoryPostProcessor xdpHttp3ServletRejection() {
            return (beanFactory) -> {
                throw new XdpHttp3ServletApplicationException();
            };
        }
    }
}
