package io.quicxdp.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration of the sample: the UDP echo, the QUIC echo and the zero-setup sandbox.
 *
 * <p>The sandbox reads these properties before the application context exists, so they validate
 * themselves through {@link #validate(Object, Errors)} both there and when they are bound as a bean.
 */
@ConfigurationProperties("sample")
public class SampleProperties implements Validator {

    private final Echo echo = new Echo();

    private final Quic quic = new Quic();

    private final Sandbox sandbox = new Sandbox();

    public Echo getEcho() {
        return this.echo;
    }

    public Quic getQuic() {
        return this.quic;
    }

    public Sandbox getSandbox() {
        return this.sandbox;
    }

    @Override
    public boolean supports(Class<?> type) {
        return SampleProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        if (this.echo.port < 1 || this.echo.port > 65535) {
            errors.rejectValue("echo.port", "invalid",
                    "sample.echo.port must be a UDP port from 1 to 65535, the port the XDP program redirects");
        }
        if (this.quic.port < 1 || this.quic.port > 65535) {
            errors.rejectValue("quic.port", "invalid",
                    "sample.quic.port must be a UDP port from 1 to 65535, the port the XDP program redirects");
        }
        else if (this.quic.port == this.echo.port) {
            errors.rejectValue("quic.port", "invalid", "sample.quic.port must differ from sample.echo.port ("
                    + this.echo.port + "): each echo serves a port of its own");
        }
        if ((this.quic.certificate == null) != (this.quic.privateKey == null)) {
            errors.rejectValue((this.quic.certificate == null) ? "quic.certificate" : "quic.privateKey", "invalid",
                    "sample.quic.certificate and sample.quic.private-key must be set together, or neither for a "
                            + "generated self-signed certificate");
        }
        rejectUnreadable(errors, "quic.certificate", "sample.quic.certificate", this.quic.certificate);
        rejectUnreadable(errors, "quic.privateKey", "sample.quic.private-key", this.quic.privateKey);
        if (this.sandbox.queues < 1 || this.sandbox.queues > 16) {
            errors.rejectValue("sandbox.queues", "invalid", "sample.sandbox.queues must be from 1 to 16");
        }
        if (this.sandbox.burstDatagrams < 1 || this.sandbox.burstDatagrams > 256) {
            errors.rejectValue("sandbox.burstDatagrams", "invalid",
                    "sample.sandbox.burst-datagrams must be from 1 to 256");
        }
        if (this.sandbox.burstTimeout.isNegative() || this.sandbox.burstTimeout.isZero()
                || this.sandbox.burstTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
            errors.rejectValue("sandbox.burstTimeout", "invalid",
                    "sample.sandbox.burst-timeout must be more than 0 and at most 30s");
        }
    }

    private static void rejectUnreadable(Errors errors, String field, String property, @Nullable Path file) {
        if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
            errors.rejectValue(field, "invalid",
                    property + " must name a readable PEM file; " + file.toAbsolutePath() + " is not one");
        }
    }

    /** The echo service. */
    public static class Echo {

        /** UDP port of the echo, served on every address (IPv4 and IPv6) and every configured queue. */
        private int port = 4433;

        public int getPort() {
            return this.port;
        }

        public void setPort(int port) {
            this.port = port;
        }
    }

    /** The QUIC echo, on the Netty transport. */
    public static class Quic {

        /**
         * UDP port of the QUIC echo (ALPN quic-xdp-echo), served on every address (IPv4 and IPv6) and every
         * configured queue.
         */
        private int port = 4434;

        /**
         * PEM file with the certificate chain of the QUIC echo and of HTTP/3 (SSL bundle "sample"), the
         * server's own certificate first. Unset means a self-signed certificate generated at start, for trying
         * the sample only.
         */
        private @Nullable Path certificate;

        /** PEM file with the certificate's private key, unencrypted. Set together with the certificate. */
        private @Nullable Path privateKey;

        public int getPort() {
            return this.port;
        }

        public void setPort(int port) {
            this.port = port;
        }

        public @Nullable Path getCertificate() {
            return this.certificate;
        }

        public void setCertificate(@Nullable Path certificate) {
            this.certificate = certificate;
        }

        public @Nullable Path getPrivateKey() {
            return this.privateKey;
        }

        public void setPrivateKey(@Nullable Path privateKey) {
            this.privateKey = privateKey;
        }
    }

    /** The zero-setup demo, used only while no quic.xdp.maps are configured. */
    public static class Sandbox {

        /**
         * Whether to build a sandbox (network namespace, veth pair, reference XDP program, pinned XSKMAP) and
         * run map mode against it when no quic.xdp.maps are configured. Needs root.
         */
        private boolean enabled = true;

        /** Receive queues of the sandbox's veth pair: the sample opens one AF_XDP socket on each. */
        private int queues = 2;

        /** Datagrams the demo burst sends from the sandbox peer over IPv4, and as many over IPv6. */
        private int burstDatagrams = 8;

        /** The longest the demo burst waits for its echoes, per address family. */
        private Duration burstTimeout = Duration.ofSeconds(3);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getQueues() {
            return this.queues;
        }

        public void setQueues(int queues) {
            this.queues = queues;
        }

        public int getBurstDatagrams() {
            return this.burstDatagrams;
        }

        public void setBurstDatagrams(int burstDatagrams) {
            this.burstDatagrams = burstDatagrams;
        }

        public Duration getBurstTimeout() {
            return this.burstTimeout;
        }

        public void setBurstTimeout(Duration burstTimeout) {
            this.burstTimeout = burstTimeout;
        }
    }
}
