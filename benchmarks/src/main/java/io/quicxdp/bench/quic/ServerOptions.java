package io.quicxdp.bench.quic;

import io.quicxdp.datapath.config.TxPath;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@link QuicServerMain}, checked: a missing or misplaced flag fails with a message that
 * names it and says what to give.
 *
 * @param transport {@code xdp}, {@code epoll} or {@code nio}
 * @param port the UDP port served, on every address of both families
 * @param htdocs the directory whose regular files are served
 * @param key the server's private key (PEM)
 * @param cert the server's certificate chain (PEM)
 * @param interfaceName for {@code xdp}: the interface whose XDP program redirects the port; otherwise null
 * @param pin for {@code xdp}: the bpffs path of the XSKMAP that program redirects into; otherwise null
 * @param txPath for {@code xdp}: how the codec's batches leave ({@link TxPath}); otherwise null
 */
record ServerOptions(String transport, int port, Path htdocs, Path key, Path cert, String interfaceName, Path pin,
        TxPath txPath) {

    static final String USAGE = "usage: QuicServerMain --transport xdp|epoll|nio --port PORT --htdocs DIR "
            + "--key KEY.pem --cert CERT.pem [--interface IF --pin XSKMAP_PIN [--tx-path xdp|kernel-gso|auto]]";

    private static final List<String> TRANSPORTS = List.of("xdp", "epoll", "nio");

    private static final Set<String> FLAGS = Set.of("--transport", "--port", "--htdocs", "--key", "--cert",
            "--interface", "--pin", "--tx-path");

    /**
     * Parses {@code args}.
     *
     * @throws IllegalArgumentException naming the flag at fault and the fix
     */
    static ServerOptions parse(String... args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            String flag = args[i];
            if (!FLAGS.contains(flag)) {
                throw new IllegalArgumentException("unknown argument '" + flag + "'; " + USAGE);
            }
            if (i + 1 == args.length || FLAGS.contains(args[i + 1])) {
                throw new IllegalArgumentException(flag + " needs a value; " + USAGE);
            }
            if (values.put(flag, args[i + 1]) != null) {
                throw new IllegalArgumentException(flag + " is given twice; give it once");
            }
        }
        String transport = required(values, "--transport");
        if (!TRANSPORTS.contains(transport)) {
            throw new IllegalArgumentException("--transport must be one of " + TRANSPORTS + ", not '" + transport + "'");
        }
        int port = port(required(values, "--port"));
        String interfaceName = values.get("--interface");
        String pin = values.get("--pin");
        String txPath = values.get("--tx-path");
        if (transport.equals("xdp")) {
            if (interfaceName == null || pin == null) {
                throw new IllegalArgumentException("--transport xdp needs --interface (the interface whose XDP "
                        + "program redirects the port) and --pin (the bpffs path of its XSKMAP)");
            }
            if (!Path.of(pin).isAbsolute()) {
                throw new IllegalArgumentException("--pin must be an absolute bpffs path, such as /sys/fs/bpf/xsks, "
                        + "not '" + pin + "'");
            }
        }
        else if (interfaceName != null || pin != null || txPath != null) {
            throw new IllegalArgumentException("--interface, --pin and --tx-path apply to --transport xdp only; drop "
                    + "them for " + transport);
        }
        return new ServerOptions(transport, port, Path.of(required(values, "--htdocs")),
                Path.of(required(values, "--key")), Path.of(required(values, "--cert")), interfaceName,
                pin == null ? null : Path.of(pin), transport.equals("xdp") ? txPath(txPath) : null);
    }

    private static TxPath txPath(String value) {
        if (value == null) {
            return TxPath.XDP;
        }
        for (TxPath path : TxPath.values()) {
            if (path.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(value)) {
                return path;
            }
        }
        throw new IllegalArgumentException("--tx-path must be xdp, kernel-gso or auto, not '" + value + "'");
    }

    private static String required(Map<String, String> values, String flag) {
        String value = values.get(flag);
        if (value == null) {
            throw new IllegalArgumentException(flag + " is missing; " + USAGE);
        }
        return value;
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        }
        catch (NumberFormatException ex) {
            // reported below, as an out-of-range value is
        }
        throw new IllegalArgumentException("--port must be a UDP port from 1 to 65535, not '" + value + "'");
    }
}
