package io.quicxdp.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a server process's CPU time went, from {@code /proc}: the whole process (threads that ended
 * included), its event loop thread (user and system apart, and its voluntary context switches: each is the
 * loop going to sleep, and so one wake-up), and the JIT compiler threads. Times in nanoseconds.
 *
 * @param processUser user time of the whole process
 * @param processSystem system time of the whole process
 * @param loopUser user time of the event loop thread
 * @param loopSystem system time of the event loop thread
 * @param loopWakeups voluntary context switches of the event loop thread
 * @param jit user and system time of the live JIT compiler threads
 */
record ThreadCpu(long processUser, long processSystem, long loopUser, long loopSystem, long loopWakeups,
        long jit) {

    /** Clock ticks per second of utime and stime: USER_HZ, 100 on Linux. */
    private static final long TICK_NANOS = 1_000_000_000L / 100;

    /** Reads the process {@code pid} with its event loop thread {@code loopTid}. */
    static ThreadCpu read(long pid, long loopTid) throws IOException {
        Path process = Path.of("/proc", Long.toString(pid));
        long[] all = times(Files.readString(process.resolve("stat")));
        Path loop = process.resolve("task").resolve(Long.toString(loopTid));
        long[] loopTimes = times(Files.readString(loop.resolve("stat")));
        long wakeups = voluntarySwitches(Files.readString(loop.resolve("status")));
        long jit = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(process.resolve("task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                }
                catch (NoSuchFileException ex) {
                    continue; // the thread ended meanwhile
                }
                if (isJit(comm(stat))) {
                    long[] t = times(stat);
                    jit += t[0] + t[1];
                }
            }
        }
        return new ThreadCpu(all[0], all[1], loopTimes[0], loopTimes[1], wakeups, jit);
    }

    /** What happened between {@code earlier} and this. */
    ThreadCpu minus(ThreadCpu earlier) {
        return new ThreadCpu(processUser - earlier.processUser, processSystem - earlier.processSystem,
                loopUser - earlier.loopUser, loopSystem - earlier.loopSystem, loopWakeups - earlier.loopWakeups,
                jit - earlier.jit);
    }

    long process() {
        return processUser + processSystem;
    }

    /** HotSpot's compiler threads, "C1 CompilerThread0", "C2 CompilerThread1", ... (15 characters in comm). */
    static boolean isJit(String comm) {
        return comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler");
    }

    /** utime and stime, in nanoseconds, of a {@code /proc/.../stat} line. */
    static long[] times(String stat) {
        // the command name may hold spaces and parentheses; the fields after its last ')' are fixed: utime and
        // stime are the 14th and 15th of the line
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(after[11]) * TICK_NANOS, Long.parseLong(after[12]) * TICK_NANOS};
    }

    /** The command name (comm) of a {@code /proc/.../stat} line. */
    static String comm(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }

    /** voluntary_ctxt_switches of a {@code /proc/.../status} file. */
    static long voluntarySwitches(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IllegalArgumentException("no voluntary_ctxt_switches in the status");
    }
}
