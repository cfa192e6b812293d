package io.quicxdp.datapath.internal.maps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code /proc/thread-self/status} says of the calling thread's standing with the kernel: its effective
 * uid, seccomp mode, effective and bounding capabilities and {@code no_new_privs}. Each is {@link #UNREAD}
 * when the kernel did not say. The refusal analyses read it on the thread whose call was refused.
 *
 * @param uid the effective uid
 * @param seccomp 0 none, 1 strict, 2 filter
 * @param effective the effective capability set, one bit per capability
 * @param bounding the bounding capability set
 * @param noNewPrivileges 1 when {@code no_new_privs} is set
 */
record ThreadStatus(long uid, long seccomp, long effective, long bounding, long noNewPrivileges) {

    /** A field the status did not give, or gave in a form not understood. */
    static final long UNREAD = -1;

    /** The calling thread's status; the process's where the kernel has no {@code thread-self}. */
    static ThreadStatus ofCallingThread() {
        String status = read(Path.of("/proc/thread-self/status"));
        return parse((status != null) ? status : read(Path.of("/proc/self/status")));
    }

    /** Reads the fields from {@code status} as in {@code /proc/<pid>/status}; all unread when it is null. */
    static ThreadStatus parse(String status) {
        long uid = UNREAD;
        long seccomp = UNREAD;
        long effective = UNREAD;
        long bounding = UNREAD;
        long noNewPrivileges = UNREAD;
        if (status != null) {
            for (String line : status.split("\n")) {
                String value = line.substring(line.indexOf(':') + 1).trim();
                if (line.startsWith("Uid:")) {
                    // real, effective, saved, filesystem: the kernel checks the effective one
                    String[] ids = value.split("\\s+");
                    uid = (ids.length > 1) ? number(ids[1], 10) : UNREAD;
                }
                else if (line.startsWith("Seccomp:")) {
                    seccomp = number(value, 10);
                }
                else if (line.startsWith("CapEff:")) {
                    effective = number(value, 16);
                }
                else if (line.startsWith("CapBnd:")) {
                    bounding = number(value, 16);
                }
                else if (line.startsWith("NoNewPrivs:")) {
                    noNewPrivileges = number(value, 10);
                }
            }
        }
        return new ThreadStatus(uid, seccomp, effective, bounding, noNewPrivileges);
    }

    /** The text of a file under /proc, or {@code null} when it cannot be read. */
    static String read(Path path) {
        try {
            return Files.readString(path);
        }
        catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    private static long number(String text, int radix) {
        try {
            return Long.parseUnsignedLong(text, radix);
        }
        catch (NumberFormatException ex) {
            return UNREAD;
        }
    }
}
