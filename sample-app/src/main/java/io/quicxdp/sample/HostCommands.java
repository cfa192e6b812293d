package io.quicxdp.sample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the standard tools (ip, sh) that build and remove the sandbox, each within a time limit. */
final class HostCommands {

    private static final long TIMEOUT_SECONDS = 15;

    private HostCommands() {
    }

    /** Runs {@code command}; a non-zero exit fails the sandbox with the command's output. */
    static String run(String... command) {
        Result result = tryRun(command);
        if (result.exitCode() != 0) {
            throw new SandboxException("'" + String.join(" ", command) + "' exited with " + result.exitCode() + ": "
                    + result.output().strip(),
                    "Check that iproute2 is installed (apt-get install iproute2) and that the sample runs as "
                            + "root; the command's output above says what the kernel refused.");
        }
        return result.output();
    }

    /** Runs {@code command} and returns how it ended, never throwing. */
    static Result tryRun(String... command) {
        try {
            Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "no exit within " + TIMEOUT_SECONDS + " seconds");
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        catch (IOException ex) {
            return new Result(-1, ex.getMessage());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** A command's exit code (-1 when it did not run or did not end) and its combined output. */
    record Result(int exitCode, String output) {
    }
}
