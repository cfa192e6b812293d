package io.quicxdp.autoconfigure;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The two questions the auto-configuration asks of {@code quic.xdp.enabled} and {@code quic.xdp.maps}:
 * is map mode on, and is it switched off while maps are configured.
 */
final class MapModeConditions {

    private MapModeConditions() {
    }

    private static @Nullable Boolean enabled(ConditionContext context) {
        return context.getEnvironment().getProperty("quic.xdp.enabled", Boolean.class);
    }

    /** Map mode is on: {@code quic.xdp.enabled=true}, or unset with at least one map configured. */
    static final class OnMapMode extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            ConditionMessage.Builder message = ConditionMessage.forCondition("XDP map mode");
            Boolean enabled = enabled(context);
            if (enabled != null) {
                return new ConditionOutcome(enabled, message.because("quic.xdp.enabled is " + enabled));
            }
            List<String> interfaces = XdpProperties.configuredInterfaces(context.getEnvironment());
            return interfaces.isEmpty() ? ConditionOutcome.noMatch(message.because("no quic.xdp.maps are configured"))
                    : ConditionOutcome.match(message.found("quic.xdp.maps for").items(interfaces));
        }
    }

    /** {@code quic.xdp.enabled=false} with maps configured: a contradiction that must fail start-up. */
    static final class OnDisabledWithMaps extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            ConditionMessage.Builder message = ConditionMessage.forCondition("XDP disabled with maps configured");
            if (!Boolean.FALSE.equals(enabled(context))) {
                return ConditionOutcome.noMatch(message.because("quic.xdp.enabled is not false"));
            }
            List<String> interfaces = XdpProperties.configuredInterfaces(context.getEnvironment());
            return interfaces.isEmpty() ? ConditionOutcome.noMatch(message.because("no quic.xdp.maps are configured"))
                    : ConditionOutcome.match(message.found("quic.xdp.maps for").items(interfaces));
        }
    }
}
