package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.config.DatapathSettings;

/**
 * Callback to adjust the datapath settings in code after {@code quic.xdp.*} has been applied and before
 * the datapath opens. Customizers run in {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface XdpDatapathSettingsCustomizer {

    /**
     * Customizes the settings.
     *
     * @param builder the settings, holding the configured properties
     */
    void customize(DatapathSettings.Builder builder);
}
