package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Explains every typed start-up failure of the datapath: what happened, to which interface, map and
 * queue, with the kernel's errno and the {@code quic.xdp.maps[i]} entry that configured it, and the
 * datapath's advice on the fix as the action.
 */
class XdpDatapathFailureAnalyzer extends AbstractFailureAnalyzer<XdpDatapathException> {

    private final Environment environment;

    XdpDatapathFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, XdpDatapathException cause) {
        StringBuilder description = new StringBuilder("The XDP map-mode datapath could not start: ")
            .append(cause.getMessage())
            .append(System.lineSeparator());
        String entry = configuredAt(cause.interfaceName());
        if (cause.interfaceName() != null) {
            line(description, "Interface", cause.interfaceName() + property(entry, "interface"));
        }
        if (cause.mapPath() != null) {
            line(description, "XSKMAP", cause.mapPath() + property(entry, "path"));
        }
        if (cause instanceof MapSourceUnavailableException unavailable) {
            line(description, "Socket",
                    unavailable.source().path() + property(entry, unavailable.source().kind().key()));
        }
        if (cause.queueId() != null) {
            line(description, "Queue", cause.queueId() + " (the key in the XSKMAP)");
        }
        if (cause.errno() != 0) {
            line(description, "Error", cause.errnoName() + " (errno " + cause.errno() + ")");
        }
        line(description, "Left behind", "nothing: every socket inserted so far was removed from its map again");
        return new FailureAnalysis(description.toString(), cause.action(), cause);
    }

    /** The {@code quic.xdp.maps[i]} entry naming {@code interfaceName}, or {@code null}. */
    private String configuredAt(String interfaceName) {
        if (interfaceName == null) {
            return null;
        }
        int index = XdpProperties.configuredInterfaces(this.environment).indexOf(interfaceName);
        return (index >= 0) ? "quic.xdp.maps[" + index + "]" : null;
    }

    private static String property(String entry, String name) {
        return (entry != null) ? " (" + entry + "." + name + ")" : "";
    }

    private static void line(StringBuilder description, String label, Object value) {
        description.append(String.format("%n    %s: %s", label, value));
    }
}
