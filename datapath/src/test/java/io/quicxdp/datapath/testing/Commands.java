package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the standard tools (ip, ethtool) that build and inspect test fixtures, with a time limit. */
public final class Commands {

    private Commands() {
    }

    /** Runs a command and returns its standard output; fails with its output when it exits non-zero. */
    public static String run(String... command) {
        Result result = tryRun(command);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + result.exitCode() + ": "
                    + result.output());
        }
        return result.output();
    }

    /** Runs a command and returns its exit code and combined output. */
    public static Result tryRun(String... command) {
        try {
            Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " timed out");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.exitValue(), output);
        }
        catch (IOException ex) {
            return new Result(-1, ex.toString());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** What a command printed, and how it exited. */
    public record Result(int exitCode, String output) {
    }
}
