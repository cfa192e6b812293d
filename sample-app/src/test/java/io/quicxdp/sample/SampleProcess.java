package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The sample in a JVM of its own, started as {@code java -jar} would start it: through its main method. */
final class SampleProcess {

    private final Process process;

    private final StringBuffer output = new StringBuffer();

    private final Thread reader;

    private SampleProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::read, "sample-output");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Starts the sample with {@code arguments}, behind {@code prefix} (such as setpriv and its options). */
    static SampleProcess start(List<String> prefix, String... arguments) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SampleApplication.class.getName(), "--server.port=0",
                "--spring.main.banner-mode=off"));
        command.addAll(List.of(arguments));
        try {
            return new SampleProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                this.output.append(line).append('\n');
            }
        }
        catch (IOException ex) {
            this.output.append("(reading the output failed: ").append(ex).append(")\n");
        }
    }

    /** Waits until the output contains {@code text}; fails, with the output, on exit or after {@code timeout}. */
    void awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (this.output.indexOf(text) < 0) {
            if (!this.process.isAlive()) {
                this.reader.join(5000);
                if (this.output.indexOf(text) >= 0) {
                    return;
                }
                fail("the sample exited with " + this.process.exitValue() + " before printing \"" + text + "\":\n"
                        + this.output);
            }
            if (System.nanoTime() > deadline) {
                fail("the sample printed no \"" + text + "\" within " + timeout + ":\n" + this.output);
            }
            Thread.sleep(50);
        }
    }

    /** Sends SIGTERM (as systemd and docker stop do) and returns the exit status. */
    int terminate() throws InterruptedException {
        this.process.toHandle().destroy();
        return awaitExit(Duration.ofSeconds(30));
    }

    /** Waits for the sample to exit by itself and returns the exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            fail("the sample did not exit within " + timeout + ":\n" + this.output);
        }
        this.reader.join(5000);
        return this.process.exitValue();
    }

    /** The process id, to read its {@code /proc} entries. */
    long pid() {
        return this.process.pid();
    }

    String output() {
        return this.output.toString();
    }

    /** Kills the process if it still runs: for a test that failed. */
    void kill() {
        if (this.process.isAlive()) {
            this.process.destroyForcibly();
            try {
                this.process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
