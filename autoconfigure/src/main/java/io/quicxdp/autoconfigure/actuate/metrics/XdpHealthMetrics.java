package io.quicxdp.autoconfigure.actuate.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * A gauge of each map's health, as the {@code xdp} health contributor judges it: {@code quic.xdp.map.health}
 * with tag {@code interface}, 1 while the map is UP and 0 otherwise, so that an alert can fire on it. Each
 * read runs the map's health check, as a request to {@code /actuator/health} does.
 */
public class XdpHealthMetrics implements MeterBinder {

    private final List<String> interfaceNames;

    private final HealthContributor xdpHealth;

    /**
     * Creates the gauges' source.
     *
     * @param interfaceNames the interfaces of the configured maps
     * @param xdpHealth the {@code xdp} health contributor: one indicator per map, named by its interface
     */
    public XdpHealthMetrics(List<String> interfaceNames, HealthContributor xdpHealth) {
        this.interfaceNames = List.copyOf(interfaceNames);
        this.xdpHealth = xdpHealth;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String name : this.interfaceNames) {
            Gauge.builder("quic.xdp.map.health", this, (metrics) -> metrics.up(name))
                .tags("interface", name)
                .description("1 while the map's xdp health is UP, 0 otherwise")
                .register(registry);
        }
    }

    private double up(String interfaceName) {
        if (this.xdpHealth instanceof CompositeHealthContributor maps
                && maps.getContributor(interfaceName) instanceof HealthIndicator map) {
            return Status.UP.equals(map.health(false).getStatus()) ? 1 : 0;
        }
        return 0;
    }
}
