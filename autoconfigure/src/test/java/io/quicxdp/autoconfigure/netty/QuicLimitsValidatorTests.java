package io.quicxdp.autoconfigure.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.autoconfigure.http3.XdpHttp3Properties;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.validation.BeanPropertyBindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;
import org.springframework.validation.Validator;

/**
 * The limits on new QUIC connections are checked alike under {@code quic.xdp.quic.*} and {@code quic.xdp.http3.*},
 * each mistake reported against its field with the message a failure analysis shows, naming the property.
 */
class QuicLimitsValidatorTests {

    @Test
    void limitsThatCannotBeAreNamedUnderTheQuicPrefix() {
        XdpQuicProperties properties = new XdpQuicProperties();
        properties.setMaxConnections(0);
        properties.setMaxHandshakes(0);
        properties.setHandshakeTimeout(Duration.ZERO);
        assertThat(rejected(properties)).containsExactly(
                "maxConnections: quic.xdp.quic.max-connections must be at least 1 (leave it unset for no limit)",
                "maxHandshakes: quic.xdp.quic.max-handshakes must be at least 1",
                "handshakeTimeout: quic.xdp.quic.handshake-timeout must be positive");
    }

    @Test
    void limitsThatCannotBeAreNamedUnderTheHttp3Prefix() {
        XdpHttp3Properties properties = new XdpHttp3Properties();
        properties.setMaxConnections(-1);
        properties.setMaxHandshakes(-1);
        properties.setHandshakeTimeout(Duration.ofSeconds(-1));
        assertThat(rejected(properties)).containsExactly(
                "maxConnections: quic.xdp.http3.max-connections must be at least 1 (leave it unset for no limit)",
                "maxHandshakes: quic.xdp.http3.max-handshakes must be at least 1",
                "handshakeTimeout: quic.xdp.http3.handshake-timeout must be positive");
    }

    @Test
    void theDefaultsAndOneOfEachPass() {
        assertThat(rejected(new XdpQuicProperties())).isEmpty();
        XdpHttp3Properties properties = new XdpHttp3Properties();
        properties.setMaxConnections(1);
        properties.setMaxHandshakes(1);
        properties.setHandshakeTimeout(Duration.ofMillis(1));
        assertThat(rejected(properties)).isEmpty();
    }

    private static List<String> rejected(Validator properties) {
        Errors errors = new BeanPropertyBindingResult(properties, "properties");
        properties.validate(properties, errors);
        return errors.getFieldErrors()
            .stream()
            .map((FieldError error) -> error.getField() + ": " + error.getDefaultMessage())
            .toList();
    }
}
