package io.quicxdp.sample;

import io.quicxdp.autoconfigure.XdpDatapathLifecycle;
import io.quicxdp.autoconfigure.XdpProperties;
import io.quicxdp.autoconfigure.http3.XdpHttp3Properties;
import io.quicxdp.autoconfigure.http3.XdpHttp3Server;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.SocketState;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.validation.BeanPropertyBindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.ObjectError;

/**
 * The zero-setup demo: when no {@code quic.xdp.maps} are configured, builds a {@link DemoSandbox} before the
 * auto-configuration binds {@code quic.xdp.*}, points map mode at the sandbox's XSKMAP, sends a demo burst
 * and fetches the page over HTTP/3 once the application is ready, and removes the sandbox when the application
 * stops or fails to start.
 *
 * <p>Registered in {@code META-INF/spring.factories}, so that it sees the environment before any bean
 * exists. With maps configured it does nothing: the sample is then pure map mode.
 */
class SandboxListener implements ApplicationListener<SpringApplicationEvent> {

    /** The property source that points map mode at the sandbox. */
    static final String PROPERTY_SOURCE = "quicXdpSampleSandbox";

    private static final Log logger = LogFactory.getLog(SandboxListener.class);

    private @Nullable DemoSandbox sandbox;

    private @Nullable SampleProperties properties;

    @Override
    public void onApplicationEvent(SpringApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
            buildSandboxIfNoMap(prepared.getEnvironment());
        }
        else if (event instanceof ApplicationPreparedEvent prepared) {
            register(prepared.getApplicationContext());
        }
        else if (event instanceof ApplicationReadyEvent ready) {
            demo(ready.getApplicationContext());
        }
        else if (event instanceof ApplicationFailedEvent failed) {
            removeAfterFailure(failed.getApplicationContext());
        }
    }

    private void buildSandboxIfNoMap(ConfigurableEnvironment environment) {
        if (!XdpProperties.configuredInterfaces(environment).isEmpty()) {
            return;
        }
        Binder binder = Binder.get(environment);
        SampleProperties sample = binder.bindOrCreate("sample", SampleProperties.class);
        validate(sample);
        if (Boolean.FALSE.equals(binder.bind("quic.xdp.enabled", Boolean.class).orElse(null))) {
            throw new SandboxException("quic.xdp.enabled is false, and the sample echoes through the XDP datapath "
                    + "only (map mode has no ordinary-socket fallback).",
                    "Remove quic.xdp.enabled=false, and configure a map (--quic.xdp.maps[0].interface=IF "
                            + "--quic.xdp.maps[0].path=PIN) or let the sample build its sandbox.");
        }
        if (!sample.getSandbox().isEnabled()) {
            throw new SandboxException("no quic.xdp.maps are configured and sample.sandbox.enabled is false, so "
                    + "there is no XSKMAP to serve.",
                    "Configure the map your XDP program redirects into: --quic.xdp.maps[0].interface=IF "
                            + "--quic.xdp.maps[0].path=PIN, or remove sample.sandbox.enabled=false.");
        }
        logger.info("No quic.xdp.maps are configured: building a sandbox to run map mode against (the zero-setup "
                + "demo; configure a map, or sample.sandbox.enabled=false, to leave it out)");
        DemoSandbox built = DemoSandbox.create(sample.getEcho().getPort(), sample.getQuic().getPort(),
                http3Port(environment), sample.getSandbox().getQueues());
        this.sandbox = built;
        this.properties = sample;
        environment.getPropertySources()
            .addFirst(new MapPropertySource(PROPERTY_SOURCE, Map.of("quic.xdp.maps[0].interface",
                    built.appInterface(), "quic.xdp.maps[0].path", built.mapPin().toString())));
        logger.info("Sandbox: map mode runs with quic.xdp.maps[0].interface=" + built.appInterface()
                + " and quic.xdp.maps[0].path=" + built.mapPin());
    }

    /**
     * The UDP port HTTP/3 serves, which the sandbox redirects too: {@code quic.xdp.http3.port}, else the number of
     * {@code server.port}, as the HTTP/3 auto-configuration picks it; {@code null} with HTTP/3 off.
     */
    private static @Nullable Integer http3Port(ConfigurableEnvironment environment) {
        if (!Binder.get(environment).bind("quic.xdp.http3.enabled", Boolean.class).orElse(false)) {
            return null;
        }
        int port = XdpHttp3Properties.port(environment);
        if (port < 1 || port > 65535) {
            // server.port=0 picks a free TCP port at random, which has no UDP counterpart to redirect beforehand
            throw new SandboxException("HTTP/3 is on (quic.xdp.http3.enabled) on UDP port " + port
                    + ", from server.port, and the sandbox redirects ports from 1 to 65535 only.",
                    "Set quic.xdp.http3.port to the UDP port for HTTP/3, or quic.xdp.http3.enabled=false.");
        }
        return port;
    }

    /** Whether {@code quic.xdp.maps} has an entry; a malformed one counts, for the auto-configuration to report. */
    private static void validate(SampleProperties sample) {
        Errors errors = new BeanPropertyBindingResult(sample, "sample");
        sample.validate(sample, errors);
        if (errors.hasErrors()) {
            throw new SandboxException(errors.getAllErrors()
                .stream()
                .map(ObjectError::getDefaultMessage)
                .collect(Collectors.joining("; ")) + ".", "Fix the property.");
        }
    }

    private void register(ConfigurableApplicationContext context) {
        DemoSandbox built = this.sandbox;
        if (built != null) {
            context.getBeanFactory().registerSingleton("quicXdpSampleSandbox", built);
            context.getBeanFactory().registerSingleton("quicXdpSampleSandboxLifecycle", new RemoveOnStop(built));
        }
    }

    private void demo(ConfigurableApplicationContext context) {
        DemoSandbox built = this.sandbox;
        SampleProperties sample = this.properties;
        if (built == null || sample == null) {
            return;
        }
        DemoSandbox.Burst burst;
        try {
            burst = built.sendBurst(sample.getSandbox().getBurstDatagrams(), sample.getSandbox().getBurstTimeout());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return;
        }
        catch (RuntimeException ex) {
            logger.warn("Demo burst from the sandbox peer failed: " + ex.getMessage());
            return;
        }
        for (DemoSandbox.FamilyBurst family : burst.families()) {
            String line = "Demo burst over " + family.family() + ": " + family.echoed() + " of " + family.sent()
                    + " datagrams sent from the sandbox peer to " + family.target() + " came back in "
                    + family.elapsed().toMillis() + " ms";
            if (family.example() != null) {
                logger.info(line + ", for example \"" + family.example() + "\"");
            }
            else {
                logger.warn(line + "; the drop counters of /actuator/xdp say why");
            }
        }
        long partial = context.getBean(XdpDatapath.class)
            .state()
            .sockets()
            .stream()
            .mapToLong(SocketState::rxPartialChecksum)
            .sum();
        // only the default policy counts them; under strict the burst's warning points at the drops instead
        if (partial > 0) {
            logger.info("The sandbox peer sends with veth's TX checksum offload on, as a container next door does: "
                    + partial + " datagrams arrived with a partial UDP checksum and were accepted under "
                    + "quic.xdp.udp-checksum=accept-partial (rxPartialChecksum in /actuator/xdp)");
        }
        XdpHttp3Server http3 = context.getBeanProvider(XdpHttp3Server.class).getIfAvailable();
        if (http3 != null) {
            fetchPageOverHttp3(built, http3.port());
        }
        String port = context.getEnvironment().getProperty("local.server.port", "8080");
        logger.info("Look at http://localhost:" + port + "/actuator/xdp (maps, sockets, counters), /actuator/health "
                + "and /actuator/prometheus. Send your own datagrams from the peer: ip netns exec " + built.namespace()
                + " nc -u " + built.appIpv4().getHostAddress() + " " + sample.getEcho().getPort() + "; a QUIC client "
                + "there, with ALPN " + QuicEchoService.ALPN + ", reaches the QUIC echo on port "
                + sample.getQuic().getPort() + ((http3 != null) ? "; HTTP/3: ip netns exec " + built.namespace()
                        + " gtlsclient " + built.appIpv4().getHostAddress() + " " + http3.port() + " https://"
                        + built.appIpv4().getHostAddress() + ":" + http3.port() + "/" : "")
                + ". Serving until stopped (Ctrl-C or SIGTERM); the sandbox is removed "
                + "on exit");
    }

    /** Best effort: the sample starts without gtlsclient too, and says how to get it. */
    private static void fetchPageOverHttp3(DemoSandbox built, int port) {
        if (!DemoSandbox.hasHttp3Client()) {
            logger.info("No demo page over HTTP/3: the gtlsclient command is missing (apt-get install ngtcp2-client). "
                    + "HTTP/3 serves on UDP port " + port + " all the same");
            return;
        }
        DemoSandbox.Http3Fetch fetch;
        try {
            fetch = built.fetchOverHttp3("/");
        }
        catch (RuntimeException ex) {
            logger.warn("Demo page over HTTP/3 from the sandbox peer failed: " + ex.getMessage());
            return;
        }
        String line = "Demo page over HTTP/3: GET " + fetch.target() + " with gtlsclient from the sandbox peer came "
                + "back with status " + ((fetch.status() != null) ? fetch.status() : "none") + ", "
                + fetch.body().length + " bytes in " + fetch.elapsed().toMillis() + " ms";
        if (fetch.succeeded()) {
            logger.info(line + ", \"" + fetch.firstLine() + "\"");
        }
        else {
            List<String> lines = fetch.output().lines().toList();
            logger.warn(line + "; /actuator/xdp (http3 and the drop counters) says more. gtlsclient's last lines:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size())));
        }
    }

    private void removeAfterFailure(@Nullable ConfigurableApplicationContext context) {
        DemoSandbox built = this.sandbox;
        if (built == null) {
            return;
        }
        if (context != null) {
            // the datapath closes with the context, before its interface and map go away
            context.close();
        }
        built.close();
    }

    /** Removes the sandbox once the datapath has closed: it stops in the phase after the datapath's. */
    private static final class RemoveOnStop implements SmartLifecycle {

        private final DemoSandbox sandbox;

        private volatile boolean running;

        RemoveOnStop(DemoSandbox sandbox) {
            this.sandbox = sandbox;
        }

        @Override
        public void start() {
            this.running = true;
        }

        @Override
        public void stop() {
            this.running = false;
            this.sandbox.close();
        }

        @Override
        public boolean isRunning() {
            return this.running;
        }

        @Override
        public int getPhase() {
            return XdpDatapathLifecycle.PHASE - 1;
        }
    }
}
