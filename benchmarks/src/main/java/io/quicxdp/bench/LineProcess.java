package io.quicxdp.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child process spoken to in lines over its stdin and stdout; stderr goes to a log file. */
final class LineProcess implements AutoCloseable {

    private static final String EOF = "\u0000eof";

    private final String name;

    private final Process process;

    private final BufferedWriter in;

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    LineProcess(String name, List<String> command, File log) throws IOException {
        this.name = name;
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log));
        this.process = builder.start();
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            }
            catch (IOException ex) {
                // the process is gone
            }
            lines.add(EOF);
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** The next line the process prints, waiting at most {@code seconds}. */
    String readLine(double seconds) throws IOException, InterruptedException {
        String line = lines.poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
        if (line == null) {
            throw new IOException(name + " printed nothing within " + seconds + " s");
        }
        if (line.equals(EOF)) {
            lines.add(EOF);
            throw new IOException(name + " exited" + (process.isAlive() ? "" : " with status " + process.exitValue()));
        }
        return line;
    }

    /** Sends one command and returns the answer line. */
    String ask(String command) throws IOException, InterruptedException {
        in.write(command);
        in.newLine();
        in.flush();
        return readLine(15);
    }

    /** The process id, for reading its CPU time from /proc. */
    long pid() {
        return process.pid();
    }

    /** Stops a process that does not speak the protocol: SIGTERM, then SIGKILL after a few seconds. */
    void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Asks the process to quit, and kills it after a few seconds if it does not. */
    @Override
    public void close() throws InterruptedException {
        try {
            in.write("quit");
            in.newLine();
            in.flush();
            in.close();
        }
        catch (IOException ex) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
