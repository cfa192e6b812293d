package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.failure.MemlockLimitException;
import io.quicxdp.datapath.failure.MissingPrivilegeException;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The datapath in another process: killed while its sockets are in the map, and started as an
 * unprivileged user with only the capabilities map mode needs (or without them).
 */
class ChildProcessTests {

    private static final String NOBODY = "65534";

    private XskMapFixture fixture;

    private Path classpathCopy;

    private Path childTmp;

    private String readableClasspath;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(TestPorts.ECHO));
    }

    @AfterEach
    void removeFixture() throws IOException {
        if (fixture != null) {
            fixture.close();
        }
        deleteTree(classpathCopy);
        deleteTree(childTmp);
    }

    private static void deleteTree(Path root) throws IOException {
        if (root != null && Files.exists(root)) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void killedProcessLeavesNoEntryInTheMap() throws Exception {
        Child child = start(List.of(), System.getProperty("java.class.path"), "512");
        try {
            assertThat(child.line()).isEqualTo("OPEN 2");
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();
        }
        finally {
            child.process.destroyForcibly();
            assertThat(child.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((fixture.occupied(0) || fixture.occupied(1)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void closingFromAShutdownHookEmptiesTheSlotsBeforeTheProcessEnds() throws Exception {
        Child child = start(List.of(), System.getProperty("java.class.path"), "512", "hook");
        try {
            assertThat(child.line()).isEqualTo("OPEN 2");
            assertThat(fixture.occupied(0)).isTrue();
            // SIGTERM through the handle: Process.destroy() would also close the pipe we read "CLOSED" from
            assertThat(child.process.toHandle().destroy()).isTrue();
            assertThat(child.line()).isEqualTo("CLOSED 0");
            assertThat(child.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(child.process.exitValue()).as("terminated by SIGTERM after the hooks ran").isEqualTo(143);
        }
        finally {
            child.process.destroyForcibly();
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void unprivilegedUserWithNetRawAndPinPermissionOpensAndCloses() throws Exception {
        Commands.run("chown", NOBODY, fixture.pin().toString());
        Child child = start(unprivileged("+net_raw"), readableClasspath(), "256");
        try {
            assertThat(child.line()).isEqualTo("OPEN 2");
            assertThat(fixture.occupied(0)).isTrue();
            child.process.getOutputStream().close();
            assertThat(child.line()).isEqualTo("CLOSED");
            assertThat(child.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
        }
        finally {
            child.process.destroyForcibly();
        }
    }

    @Test
    void lookingIntoTheSlotsNeedsCapBpfAndCapNetAdminAndSaysSoWithoutThem() throws Exception {
        Commands.run("chown", NOBODY, fixture.pin().toString());
        Child limited = start(unprivileged("+net_raw"), readableClasspath(), "256", "inspect");
        try {
            assertThat(limited.line()).isEqualTo("OPEN 2");
            assertThat(limited.line()).isEqualTo("INSPECT {0=UNKNOWN, 1=UNKNOWN} slots cannot be looked into: "
                    + "loading the read-only probe program needs CAP_BPF and CAP_NET_ADMIN (EPERM)");
        }
        finally {
            limited.process.destroyForcibly();
        }
        Child able = start(unprivileged("+net_raw,+bpf,+net_admin"), readableClasspath(), "256", "inspect");
        try {
            assertThat(able.line()).isEqualTo("OPEN 2");
            assertThat(able.line()).isEqualTo("INSPECT {0=OURS, 1=OURS} null");
        }
        finally {
            able.process.destroyForcibly();
        }
    }

    @Test
    void withoutNetRawTheErrorNamesTheCapability() throws Exception {
        Commands.run("chown", NOBODY, fixture.pin().toString());
        String line = failure(start(unprivileged(""), readableClasspath(), "256"));
        assertThat(line).startsWith("FAILED MissingPrivilegeException: Creating the AF_XDP socket for "
                + fixture.appInterface() + " queue 0 was refused (EPERM): it runs as uid " + NOBODY
                + " without CAP_NET_RAW in effect").contains("AmbientCapabilities=CAP_NET_RAW");
        assertThat(fixture.occupied(0)).isFalse();
    }

    @Test
    void withoutPermissionOnThePinTheErrorNamesThePin() throws Exception {
        String line = failure(start(unprivileged("+net_raw"), readableClasspath(), "256"));
        assertThat(line).startsWith("FAILED MissingPrivilegeException: Opening the XSKMAP pin " + fixture.pin())
                .contains("read and write permission on " + fixture.pin());
    }

    @Test
    void umemBeyondTheMemlockLimitNamesTheLimit() throws Exception {
        Commands.run("chown", NOBODY, fixture.pin().toString());
        List<String> limited = new ArrayList<>(List.of("prlimit", "--memlock=1048576:1048576"));
        limited.addAll(unprivileged("+net_raw"));
        String line = failure(start(limited, readableClasspath(), "1024"));
        assertThat(line).startsWith("FAILED MemlockLimitException: The 2048 KiB UMEM of " + fixture.appInterface()
                + " queue 0 exceeds the locked-memory limit (ENOBUFS).").contains("RLIMIT_MEMLOCK", "CAP_IPC_LOCK");
        assertThat(fixture.occupied(0)).isFalse();
    }

    private static List<String> unprivileged(String capabilities) {
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--inh-caps=-all" + (capabilities.isEmpty() ? "" : "," + capabilities)));
        if (!capabilities.isEmpty()) {
            command.add("--ambient-caps=" + capabilities);
        }
        return command;
    }

    private Child start(List<String> prefix, String classpath, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmpdir(), "-cp", classpath,
                MapModeChild.class.getName(), fixture.appInterface(), fixture.pin().toString()));
        command.addAll(List.of(arguments));
        return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private String tmpdir() throws IOException {
        if (childTmp == null) {
            childTmp = Files.createTempDirectory(Path.of("/tmp"), "quicxdp-child-");
            Commands.run("chmod", "1777", childTmp.toString());
        }
        return childTmp.toString();
    }

    /** The test classpath copied where an unprivileged user can read it (the Maven repository may not be). */
    private String readableClasspath() throws IOException {
        if (readableClasspath != null) {
            return readableClasspath;
        }
        classpathCopy = Files.createTempDirectory(Path.of("/tmp"), "quicxdp-cp-");
        List<String> entries = new ArrayList<>();
        int index = 0;
        for (String entry : System.getProperty("java.class.path").split(":")) {
            Path source = Path.of(entry);
            Path target = classpathCopy.resolve(index++ + "-" + source.getFileName());
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
        Commands.run("chmod", "-R", "a+rX", classpathCopy.toString());
        readableClasspath = String.join(":", entries);
        return readableClasspath;
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

    private static String failure(Child child) throws Exception {
        try {
            String line = child.line();
            assertThat(child.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.process.exitValue()).as(line).isEqualTo(3);
            return line;
        }
        finally {
            child.process.destroyForcibly();
        }
    }

    /** A child JVM and its output. */
    private static final class Child {

        final Process process;

        private final BufferedReader output;

        Child(Process process) {
            this.process = process;
            this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** The next line the child prints that is one of ours, skipping JVM warnings. */
        String line() throws IOException {
            StringBuilder other = new StringBuilder();
            String line;
            while ((line = output.readLine()) != null) {
                if (line.startsWith("OPEN") || line.startsWith("FAILED") || line.startsWith("CLOSED")
                        || line.startsWith("INSPECT")) {
                    return line;
                }
                other.append(line).append('\n');
            }
            throw new AssertionError("the child printed no result; its output was:\n" + other);
        }
    }
}
