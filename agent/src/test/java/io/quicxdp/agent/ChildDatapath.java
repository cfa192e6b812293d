package io.quicxdp.agent;

import io.quicxdp.datapath.testing.Commands;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The datapath's test child ({@code io.quicxdp.datapath.MapModeChild}) run as another process, as the
 * unprivileged user 65534 with only the capabilities given, from a copy of the test class path that user
 * can read. It prints {@code OPEN n} or {@code FAILED type: message | action}.
 */
final class ChildDatapath implements AutoCloseable {

    static final String NOBODY = "65534";

    private final Path copy;

    private final Process process;

    private final BufferedReader output;

    private ChildDatapath(Path copy, Process process) {
        this.copy = copy;
        this.process = process;
        this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the child as user 65534 with {@code capabilities} (for example {@code +net_raw}). */
    static ChildDatapath startUnprivileged(String capabilities, String interfaceName, Path agentSocket)
            throws IOException {
        Path copy = Files.createTempDirectory(Path.of("/tmp"), "quicxdp-agent-cp-");
        try {
            String classpath = copyClasspath(copy);
            List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                    "--clear-groups", "--inh-caps=-all," + capabilities, "--ambient-caps=" + capabilities,
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + copy, "-cp", classpath,
                    "io.quicxdp.datapath.MapModeChild", interfaceName, "agent:" + agentSocket, "256"));
            return new ChildDatapath(copy, new ProcessBuilder(command).redirectErrorStream(true).start());
        }
        catch (IOException | RuntimeException ex) {
            delete(copy);
            throw ex;
        }
    }

    Process process() {
        return process;
    }

    /** The next line the child prints that is one of its results, skipping JVM warnings. */
    String line() throws IOException {
        StringBuilder other = new StringBuilder();
        String line;
        while ((line = output.readLine()) != null) {
            if (line.startsWith("OPEN") || line.startsWith("FAILED") || line.startsWith("CLOSED")) {
                return line;
            }
            other.append(line).append('\n');
        }
        throw new AssertionError("the child printed no result; its output was:\n" + other);
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        delete(copy);
    }

    private static String copyClasspath(Path copy) throws IOException {
        List<String> entries = new ArrayList<>();
        int index = 0;
        for (String entry : System.getProperty("java.class.path").split(":")) {
            Path source = Path.of(entry);
            Path target = copy.resolve(index++ + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                try (Stream<Path> paths = Files.walk(source)) {
                    paths.forEach(path -> copy(path, target.resolve(source.relativize(path).toString())));
                }
            }
            else if (Files.exists(source)) {
                copy(source, target);
            }
            entries.add(target.toString());
        }
        Commands.run("chmod", "-R", "a+rwX", copy.toString());
        return String.join(":", entries);
    }

    private static void copy(Path source, Path target) {
        try {
            if (Files.isDirectory(source)) {
                Files.createDirectories(target);
            }
            else {
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static void delete(Path root) throws IOException {
        if (root != null && Files.exists(root)) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
