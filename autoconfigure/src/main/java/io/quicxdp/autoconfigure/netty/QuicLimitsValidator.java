package io.quicxdp.autoconfigure.netty;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.validation.Errors;

/**
 * What the limits on new QUIC connections must be ({@code max-connections}, {@code max-handshakes},
 * {@code handshake-timeout}), the same under {@code quic.xdp.quic.*} and {@code quic.xdp.http3.*}: each mistake
 * reported against its property, named under the prefix it was set with.
 */
public final class QuicLimitsValidator {

    private QuicLimitsValidator() {
    }

    /**
     * Rejects in {@code errors} the limits that cannot be: properties {@code maxConnections},
     * {@code maxHandshakes} and {@code handshakeTimeout}, named {@code prefix} (such as {@code quic.xdp.quic.})
     * and their dashed names in the messages.
     */
    public static void validate(String prefix, @Nullable Integer maxConnections, int maxHandshakes,
            Duration handshakeTimeout, Errors errors) {
        if (maxConnections != null && maxConnections < 1) {
            errors.rejectValue("maxConnections", "invalid",
                    prefix + "max-connections must be at least 1 (leave it unset for no limit)");
        }
        if (maxHandshakes < 1) {
            errors.rejectValue("maxHandshakes", "invalid", prefix + "max-handshakes must be at least 1");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            errors.rejectValue("handshakeTimeout", "invalid", prefix + "handshake-timeout must be positive");
        }
    }
}
