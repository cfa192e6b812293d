package io.quicxdp.autoconfigure.netty;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of the Netty transport on the XDP datapath, when quic-xdp-netty is on the class path:
 * event loops that poll the queues instead of the datapath's own threads.
 */
@ConfigurationProperties("quic.xdp.netty")
public class XdpNettyProperties {

    /**
     * Whether Netty event loops drive the queues when quic-xdp-netty is on the class path. Without,
     * the datapath polls with its own threads and no Netty channel can be bound on it.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }
}
