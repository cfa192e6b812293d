package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import io.netty.handler.codec.quic.QuicSslContext;
import io.quicxdp.autoconfigure.http3.keys.KeyKind;
import io.quicxdp.autoconfigure.http3.keys.SharedKeys;
import io.quicxdp.autoconfigure.http3.keys.XdpHttp3Keys;
import java.time.Clock;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.Resource;

/**
 * The keys an HTTP/3 fleet shares ({@code quic.xdp.http3.session-ticket-keys}, {@code retry-token-keys},
 * {@code stateless-reset-key}), read from their files at start-up, which fails with a failure analysis when one
 * cannot be used, and read again while the application runs; the HTTP/3 server issues and accepts with those
 * configured ({@code xdpHttp3SharedKeys}), and its own random ones stand for the rest.
 */
@AutoConfiguration(before = XdpHttp3AutoConfiguration.class)
@ConditionalOnClass(QuicSslContext.class)
@ConditionalOnBooleanProperty("quic.xdp.http3.enabled")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@EnableConfigurationProperties(XdpHttp3Properties.class)
public final class XdpHttp3KeysAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    XdpHttp3Keys xdpHttp3Keys(XdpHttp3Properties http3) {
        return new XdpHttp3Keys(load(KeyKind.SESSION_TICKET, http3.getSessionTicketKeys()),
                load(KeyKind.RETRY_TOKEN, http3.getRetryTokenKeys()),
                load(KeyKind.STATELESS_RESET, http3.getStatelessResetKey()), http3.getKeyReloadInterval());
    }

    /**
     * After the routing's customizer, before the application's: session tickets and their rotation, Retry tokens
     * (with {@code quic.xdp.http3.retry}) and stateless-reset tokens from the configured keys.
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    XdpHttp3QuicCustomizer xdpHttp3SharedKeys(XdpHttp3Keys xdpHttp3Keys, XdpHttp3Properties http3) {
        return (quic) -> {
            xdpHttp3Keys.applySessionTicketKeys(quic.sslContext());
            SharedKeys retryTokens = xdpHttp3Keys.retryTokens();
            if (http3.isRetry() && retryTokens != null) {
                quic.tokenHandler(new KeyedRetryTokens(Clock.systemUTC(), retryTokens));
            }
            QuicResetTokenGenerator resetTokens = xdpHttp3Keys.resetTokenGenerator();
            if (resetTokens != null) {
                quic.resetTokenGenerator(resetTokens);
            }
        };
    }

    private static @Nullable SharedKeys load(KeyKind kind, @Nullable Resource file) {
        return (file != null) ? SharedKeys.load(kind, file) : null;
    }
}
