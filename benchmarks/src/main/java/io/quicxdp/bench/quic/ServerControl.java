package io.quicxdp.bench.quic;

import io.netty.util.concurrent.EventExecutor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The line protocol every Java server of the QUIC matrix speaks with the benchmark's orchestrator over
 * stdin and stdout, whatever serves HTTP/3 inside it.
 *
 * <p>It prints {@code ready} once serving. Commands, one a line: {@code snap} answers
 * {@code snap KEY=VALUE ...}, all values whole numbers: {@code alloc} (bytes allocated so far by all live
 * threads of the JVM), {@code loopTid} (the Linux thread id of the event loop that serves the port, for
 * its CPU time and wake-ups in {@code /proc}), and whatever the server adds ({@code requests},
 * {@code handshakes}, {@code quic.*} from quiche's connection statistics, {@code xdp.*} from the datapath's
 * state); {@code quit}, or the end of input, returns.
 */
public final class ServerControl {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ServerControl() {
    }

    /**
     * Prints {@code ready}, then answers commands until {@code quit} or the end of input.
     *
     * @param loopTid the serving event loop's thread id
     * @param figures the server's own figures, read at each {@code snap}
     */
    public static void serve(long loopTid, Supplier<Map<String, Long>> figures) throws IOException {
        THREADS.setThreadAllocatedMemoryEnabled(true);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.equals("snap")) {
                Map<String, Long> snap = new LinkedHashMap<>();
                snap.put("alloc", allocatedBytes());
                snap.put("loopTid", loopTid);
                snap.putAll(figures.get());
                out.println(snapLine(snap));
            }
            else {
                out.println("error unknown command " + line);
            }
        }
    }

    /** {@code snap k=v k=v ...}, in the map's order. */
    static String snapLine(Map<String, Long> figures) {
        StringBuilder line = new StringBuilder("snap");
        figures.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
        return line.toString();
    }

    /** The Linux thread id of {@code loop}'s thread, asked on that thread. */
    public static long threadId(EventExecutor loop) throws Exception {
        return loop.submit(ServerControl::currentThreadId).get(10, TimeUnit.SECONDS);
    }

    /** The calling thread's Linux thread id: /proc/thread-self links to PID/task/TID. */
    static long currentThreadId() throws IOException {
        Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        return Long.parseLong(self.getFileName().toString());
    }

    /** Bytes allocated so far by the threads alive now, all of them: the loop's and the codec's helpers. */
    private static long allocatedBytes() {
        long sum = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (bytes > 0) {
                sum += bytes;
            }
        }
        return sum;
    }
}
