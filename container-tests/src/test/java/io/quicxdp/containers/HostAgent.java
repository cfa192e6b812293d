package io.quicxdp.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The quic-xdp agent on the host, as its docs run it: its executable jar under this JVM's {@code java}, as
 * root, serving one map to the uids given. Its standard error goes to a file that failures quote.
 */
final class HostAgent implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(30);

    private final Process process;

    private final Path log;

    private HostAgent(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Runs {@code java -jar quic-xdp-agent-VERSION.jar --socket SOCKET --map INTERFACE=PIN --allow-uid UID...}
     * and waits until it listens.
     */
    static HostAgent start(Path socket, String interfaceName, Path pin, int... allowedUids) throws Exception {
        Path jar = Path.of(System.getProperty("agent.jar", "../agent/target/quic-xdp-agent.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The agent's jar " + jar + " is missing: build it first (mvn package "
                    + "-pl agent -am, or verify from the root, which builds it before this module)");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-jar", jar.toString(), "--socket", socket.toString(), "--map", interfaceName + "=" + pin));
        for (int uid : allowedUids) {
            command.add("--allow-uid");
            command.add(Integer.toString(uid));
        }
        Files.createDirectories(Path.of("target"));
        Path log = Files.createTempFile(Path.of("target"), "agent-", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HostAgent agent = new HostAgent(process, log);
        long deadline = System.nanoTime() + START.toNanos();
        while (!isSocket(socket)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                agent.close();
                throw new IllegalStateException("the agent did not listen on " + socket + " within " + START
                        + "; its log:\n" + agent.log());
            }
            Thread.sleep(20);
        }
        return agent;
    }

    /** What the agent has logged so far. */
    String log() {
        try {
            return Files.readString(this.log, StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            return "(unreadable: " + ex + ")";
        }
    }

    /** Stops it with SIGTERM, as an operator would, and SIGKILL if it does not exit within 10 s. */
    @Override
    public void close() throws InterruptedException {
        this.process.destroy();
        if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
            this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        }
        catch (IOException ex) {
            return false;
        }
    }
}
