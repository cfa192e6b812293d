package io.quicxdp.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts a server's event loop thread alone on the server's core and every other thread of the process (JIT
 * compilers, GC, timers, Spring's and Reactor's helpers) on the other core, with {@code taskset -p}: the
 * loop's core then runs the loop and the kernel work done in its system calls. A thread created later
 * inherits its creator's affinity, so the JVM's helpers stay off the loop's core.
 */
final class Affinity {

    private Affinity() {
    }

    /**
     * Pins {@code loopTid} of {@code pid} to {@code loopCpu} and every other thread to {@code otherCpu}; returns
     * how many threads went to {@code otherCpu}.
     */
    static int pin(long pid, long loopTid, String loopCpu, String otherCpu) throws IOException, InterruptedException {
        int others = 0;
        List<Long> tids = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                tids.add(Long.parseLong(task.getFileName().toString()));
            }
        }
        for (long tid : tids) {
            boolean loop = tid == loopTid;
            if (taskset(tid, loop ? loopCpu : otherCpu) && !loop) {
                others++;
            }
        }
        return others;
    }

    /** Whether the thread took the affinity; false when it ended meanwhile. */
    private static boolean taskset(long tid, String cpu) throws IOException, InterruptedException {
        Process taskset = new ProcessBuilder("taskset", "-p", "-c", cpu, Long.toString(tid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!taskset.waitFor(10, TimeUnit.SECONDS)) {
            taskset.destroyForcibly();
            throw new IOException("taskset -p -c " + cpu + " " + tid + " did not return");
        }
        return taskset.exitValue() == 0;
    }
}
